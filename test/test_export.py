"""ONNX export: a valid graph, named raw heads, config metadata, and PyTorch == ONNX Runtime on real images."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from conftest_data import coco128_images  # noqa: E402

from yolo_nano_ros.model.config import YoloNanoConfig  # noqa: E402
from yolo_nano_ros.model.export import OUTPUT_NAMES, export_model  # noqa: E402
from yolo_nano_ros.model.yolo_nano import YoloNano  # noqa: E402
from yolo_nano_ros.runtime.model_info import read_onnx_metadata  # noqa: E402
from yolo_nano_ros.runtime.preprocess import letterbox, to_input_tensor  # noqa: E402


@pytest.fixture(scope="module")
def model() -> YoloNano:
    torch.manual_seed(0)
    m = YoloNano(YoloNanoConfig(input_size=320))
    # Non-trivial BN statistics, as a trained model has: a few forward passes in train mode on real data.
    m.train()
    with torch.no_grad():
        for path in coco128_images(4):
            img, _ = letterbox(cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB), 320)
            m(torch.from_numpy(to_input_tensor(img)))
    return m.eval()


def real_batch(n: int, size: int = 320) -> np.ndarray:
    imgs = [letterbox(cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB), size)[0] for p in coco128_images(n)]
    return np.stack(imgs)


def test_float_export_matches_pytorch_on_real_images(model, tmp_path):
    path = export_model(model, tmp_path / "m.onnx")
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto)
    assert proto.opset_import[0].version == 17
    assert [o.name for o in proto.graph.output] == OUTPUT_NAMES
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    info = read_onnx_metadata(path, session.get_modelmeta().custom_metadata_map)
    assert info.input_size == 320 and len(info.class_names) == 20 and not info.uint8_input
    for rgb in real_batch(3):
        x = to_input_tensor(rgb)
        with torch.no_grad():
            expected = [t.numpy() for t in model(torch.from_numpy(x))]
        got = session.run(None, {"images": x})
        for e, g in zip(expected, got, strict=True):
            assert g.shape == e.shape
            assert np.abs(g - e).max() < 1e-4


def test_uint8_nhwc_export_normalises_inside_the_graph(model, tmp_path):
    path = export_model(model, tmp_path / "u8.onnx", uint8_input=True, dynamic_batch=True)
    assert not model.training, "export must leave the model in the mode it found it"
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    inp = session.get_inputs()[0]
    assert inp.type == "tensor(uint8)" and inp.shape[1:] == [320, 320, 3] and isinstance(inp.shape[0], str)
    assert read_onnx_metadata(path, session.get_modelmeta().custom_metadata_map).uint8_input
    batch = real_batch(2)  # dynamic batch of 2
    got = session.run(None, {"images_uint8": batch})
    with torch.no_grad():
        expected = model(torch.from_numpy(np.concatenate([to_input_tensor(b) for b in batch])))
    for e, g in zip(expected, got, strict=True):
        assert g.shape[0] == 2
        assert np.abs(g - e.numpy()).max() < 1e-4
