"""Every supported encoding, step padding, compressed input, and the bad-input errors, without ROS."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from conftest_data import coco128_images

from yolo_nano_ros.msgs.image_encodings import (
    SUPPORTED_ENCODINGS,
    ImageConversionError,
    ImageFault,
    UnsupportedEncodingError,
    compressed_image_to_array,
    raw_image_to_array,
)


@pytest.fixture(scope="module")
def rgb() -> np.ndarray:
    bgr = cv2.resize(cv2.imread(str(coco128_images(1)[0])), (64, 48))
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def encode(rgb: np.ndarray, encoding: str) -> np.ndarray:
    """Independent encoders (OpenCV / NumPy) producing each ROS encoding's pixel layout."""
    if encoding == "rgb8":
        return rgb
    if encoding in ("bgr8", "8UC3"):
        return rgb[:, :, ::-1]
    if encoding == "rgba8":
        return np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])
    if encoding == "bgra8":
        return np.dstack([rgb[:, :, ::-1], np.full(rgb.shape[:2], 255, np.uint8)])
    if encoding in ("mono8", "8UC1"):
        return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    if encoding in ("mono16", "16UC1"):
        return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.uint16) * 257
    if encoding.startswith("bayer_"):
        pattern = encoding[6:10]
        out = np.zeros(rgb.shape[:2], np.uint8)
        ch = {"r": 0, "g": 1, "b": 2}
        for (dy, dx), c in zip([(0, 0), (0, 1), (1, 0), (1, 1)], pattern, strict=True):
            out[dy::2, dx::2] = rgb[dy::2, dx::2, ch[c]]
        return out
    ycrcb = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)  # BT.601, what camera YUV 4:2:2 carries
    y, u, v = ycrcb[:, :, 0], ycrcb[:, 0::2, 2], ycrcb[:, 0::2, 1]
    out = np.zeros((rgb.shape[0], rgb.shape[1] * 2), np.uint8)
    if encoding in ("yuv422", "uyvy"):
        out[:, 0::4], out[:, 1::2], out[:, 2::4] = u, y, v
    else:  # yuyv / yuy2
        out[:, 0::2], out[:, 1::4], out[:, 3::4] = y, u, v
    return out


def as_message_fields(pixels: np.ndarray, pad: int = 0, width: int | None = None) -> tuple[int, int, int, bytes]:
    h, w = pixels.shape[0], width or pixels.shape[1]
    row = pixels.reshape(h, -1).view(np.uint8)
    padded = np.zeros((h, row.shape[1] + pad), np.uint8)
    padded[:, : row.shape[1]] = row
    return h, w, padded.shape[1], padded.tobytes()


@pytest.mark.parametrize("encoding", SUPPORTED_ENCODINGS)
@pytest.mark.parametrize("pad", [0, 13])
def test_every_encoding_round_trips_with_and_without_step_padding(rgb, encoding, pad):
    h, w, step, data = as_message_fields(encode(rgb, encoding), pad, width=rgb.shape[1])
    out, order = raw_image_to_array(encoding, h, w, step, data)
    assert out.shape == (h, w, 3) and out.dtype == np.uint8
    got = out if order == "rgb" else out[:, :, ::-1]
    # Mean absolute error bounds: bayer loses 2/3 of the colour samples, 4:2:2 half the chroma.
    tolerance = {"bayer": 25, "yuv": 14, "uyv": 14, "yuyv": 14, "mon": 2, "8UC1": 2, "16UC1": 2}
    tol = next((t for k, t in tolerance.items() if encoding.startswith(k)), 0)
    if encoding.startswith(("mono", "8UC1", "16UC1")):
        np.testing.assert_allclose(got[:, :, 0], cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), atol=tol)
    else:
        err = np.abs(got.astype(int) - rgb.astype(int))
        assert err.mean() <= tol, (encoding, err.mean())


def test_rgb8_and_bgr8_are_zero_copy_views(rgb):
    h, w, step, data = as_message_fields(rgb, pad=7)
    out, _ = raw_image_to_array("rgb8", h, w, step, data)
    assert not out.flags.owndata and out.base is not None


def test_big_endian_mono16(rgb):
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.uint16) * 257
    out, _ = raw_image_to_array("mono16", 48, 64, 128, grey.astype(">u2").tobytes(), is_bigendian=True)
    np.testing.assert_allclose(out[:, :, 0], cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) * (255 / grey.max() * 257),
                               atol=2)


@pytest.mark.parametrize(("args", "error", "match", "reason"), [
    (("rgb8", 48, 64, 192, b"\0" * 100), ImageConversionError, "truncated", "truncated image"),
    (("rgb8", 0, 64, 192, b""), ImageConversionError, "zero-size", "zero-size image"),
    (("rgb8", 48, 64, 100, b"\0" * 9216), ImageConversionError, "step 100 is smaller", "step smaller than a row"),
    (("32FC1", 48, 64, 256, b"\0" * 12288), UnsupportedEncodingError, "unsupported encoding '32FC1'",
     "unsupported encoding '32FC1'"),
])
def test_bad_raw_images_raise_clear_errors(args, error, match, reason):
    """The message explains; `reason` (kind + encoding) is the stable key skips are counted by."""
    with pytest.raises(error, match=match) as caught:
        raw_image_to_array(*args)
    assert caught.value.reason == reason


def test_compressed_jpeg_and_png(rgb):
    bgr = rgb[:, :, ::-1]
    for ext, tol in ((".jpg", 30), (".png", 0)):
        encoded, buf = cv2.imencode(ext, bgr)
        assert encoded
        out, order = compressed_image_to_array(ext[1:], buf.tobytes())
        assert order == "bgr" and out.shape == bgr.shape
        assert np.abs(out.astype(int) - bgr.astype(int)).mean() <= tol


def test_corrupt_and_empty_compressed_images_raise():
    real = coco128_images(1)[0].read_bytes()
    with pytest.raises(ImageConversionError, match="corrupt") as caught:
        compressed_image_to_array("jpeg", b"\xff\xd8\xff" + b"garbage" * 50)
    assert caught.value.kind is ImageFault.CORRUPT_COMPRESSED
    with pytest.raises(ImageConversionError, match="empty") as caught:
        compressed_image_to_array("jpeg", b"")
    assert caught.value.kind is ImageFault.EMPTY_COMPRESSED
    # A truncated real JPEG either decodes partially (libjpeg fills grey) or fails cleanly: never raises anything else.
    try:
        out, _ = compressed_image_to_array("jpeg", real[: len(real) // 3])
        assert out.ndim == 3
    except ImageConversionError:
        pass


@pytest.mark.ros
def test_one_decoder_for_rclpy_and_rosbags_messages():
    """The node (rclpy) and the bag evaluator (rosbags) hand the same function their own message classes."""
    from rclpy.serialization import deserialize_message, serialize_message
    from sensor_msgs.msg import CompressedImage, Image

    from yolo_nano_ros.msgs.image_encodings import image_message_to_array
    from yolo_nano_ros.msgs.typestore import typestore

    store = typestore()
    rgb = np.random.default_rng(3).integers(0, 255, (6, 5, 3), dtype=np.uint8)
    raw = Image(height=6, width=5, encoding="rgb8", step=15, data=rgb.tobytes())
    png = CompressedImage(format="png", data=cv2.imencode(".png", rgb[:, :, ::-1])[1].tobytes())
    for msg, msgtype in ((raw, "sensor_msgs/msg/Image"), (png, "sensor_msgs/msg/CompressedImage")):
        from_bag = store.deserialize_cdr(serialize_message(msg), msgtype)
        for variant in (deserialize_message(serialize_message(msg), type(msg)), from_bag):
            pixels, order = image_message_to_array(variant)
            assert np.array_equal(pixels[:, :, ::-1] if order == "bgr" else pixels, rgb), (msgtype, type(variant))


def jpeg_declaring(width: int, height: int) -> bytes:
    """A real 16x16 JPEG whose frame header (SOF0) claims width x height: a decompression bomb's shape."""
    _, encoded = cv2.imencode(".jpg", np.zeros((16, 16, 3), np.uint8))
    data = bytearray(encoded.tobytes())
    sof = data.find(b"\xff\xc0")
    data[sof + 5:sof + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    return bytes(data)


@pytest.mark.parametrize(("width", "height"), [(60000, 60000), (10000, 6000)])
def test_a_jpeg_declaring_a_huge_image_is_refused_before_decoding(width, height):
    with pytest.raises(ImageConversionError, match=f"declaring {width * height} pixels") as caught:
        compressed_image_to_array("jpeg", jpeg_declaring(width, height))
    assert caught.value.kind is ImageFault.TOO_LARGE


def test_50_mb_of_garbage_is_one_clear_error():
    garbage = np.random.default_rng(0).integers(0, 256, 50 * 1024 * 1024, dtype=np.uint8).tobytes()
    for data in (garbage, b"\xff\xd8\xff\xe0" + garbage[4:]):  # random, and random behind a JPEG signature
        with pytest.raises(ImageConversionError) as caught:
            compressed_image_to_array("jpeg", data)
        assert caught.value.kind in (ImageFault.CORRUPT_COMPRESSED, ImageFault.TOO_LARGE)
