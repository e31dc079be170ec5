"""TEST DOUBLES for hardware we do not have (TensorRT, pycuda, tegrastats, nvpmodel). Unit tests only."""
