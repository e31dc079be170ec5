"""Detection metrics (VOC and COCO conventions) and reports. NumPy only."""
