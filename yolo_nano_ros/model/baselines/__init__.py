"""Other small detectors, built to measure cost and speed beside YOLO Nano (random weights, no training)."""
