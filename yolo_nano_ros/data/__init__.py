"""Datasets: annotation readers (VOC XML, COCO JSON, YOLO txt) and class-name maps. No torch."""
