"""TensorRT: the engine backend, its builder and calibrator, and the engine cache (plain Python)."""
