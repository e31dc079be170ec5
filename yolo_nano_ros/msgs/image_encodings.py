"""sensor_msgs/Image and CompressedImage payloads -> HxWx3 uint8 arrays for the detector. No rclpy.

Raw images are viewed in place (np.frombuffer + strides honour `step` padding; no copy) and only
converted with OpenCV when the encoding is not already 3-channel. The returned colour order (rgb or bgr)
lets the detector swap channels after letterboxing, on fewer pixels.
"""

from __future__ import annotations

import io
import re
import warnings
from enum import Enum
from typing import Any, Literal

import cv2
import numpy as np

from yolo_nano_ros.errors import YoloNanoError

ColorOrder = Literal["rgb", "bgr"]


class ImageFault(Enum):
    """Why an image message has no pixels: the closed set nodes and the bag evaluator count skips by."""

    UNSUPPORTED_ENCODING = "unsupported encoding"
    ZERO_SIZE = "zero-size image"
    STEP_TOO_SMALL = "step smaller than a row"
    TRUNCATED = "truncated image"
    EMPTY_COMPRESSED = "empty CompressedImage"
    CORRUPT_COMPRESSED = "corrupt or undecodable compressed image"
    TOO_LARGE = "image larger than the pixel limit"


class ImageConversionError(YoloNanoError, ValueError):
    """An image message that cannot be turned into pixels; the message says why, `kind` says which case."""

    def __init__(self, message: str, kind: ImageFault, detail: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.detail = detail

    @property
    def reason(self) -> str:
        """Short, stable key for counting skips: the kind, plus the encoding when it is unsupported."""
        return f"{self.kind.value} {self.detail}".strip()


class UnsupportedEncodingError(ImageConversionError):
    def __init__(self, message: str, encoding: str) -> None:
        super().__init__(message, ImageFault.UNSUPPORTED_ENCODING, repr(encoding))


# encoding -> (channels, dtype, colour conversion to RGB or None, colour order of the result)
_RAW: dict[str, tuple[int, str, int | None, ColorOrder]] = {
    "rgb8": (3, "u1", None, "rgb"),
    "bgr8": (3, "u1", None, "bgr"),
    "rgba8": (4, "u1", cv2.COLOR_RGBA2RGB, "rgb"),
    "bgra8": (4, "u1", cv2.COLOR_BGRA2BGR, "bgr"),
    "mono8": (1, "u1", cv2.COLOR_GRAY2RGB, "rgb"),
    "8UC1": (1, "u1", cv2.COLOR_GRAY2RGB, "rgb"),
    "8UC3": (3, "u1", None, "bgr"),  # OpenCV's default order
    "mono16": (1, "u2", None, "rgb"),
    "16UC1": (1, "u2", None, "rgb"),
    "bayer_rggb8": (1, "u1", cv2.COLOR_BayerBG2RGB, "rgb"),
    "bayer_bggr8": (1, "u1", cv2.COLOR_BayerRG2RGB, "rgb"),
    "bayer_gbrg8": (1, "u1", cv2.COLOR_BayerGR2RGB, "rgb"),
    "bayer_grbg8": (1, "u1", cv2.COLOR_BayerGB2RGB, "rgb"),
    "yuv422": (2, "u1", cv2.COLOR_YUV2RGB_UYVY, "rgb"),  # ROS "yuv422" is UYVY
    "uyvy": (2, "u1", cv2.COLOR_YUV2RGB_UYVY, "rgb"),
    "yuv422_yuy2": (2, "u1", cv2.COLOR_YUV2RGB_YUY2, "rgb"),
    "yuyv": (2, "u1", cv2.COLOR_YUV2RGB_YUY2, "rgb"),
}
SUPPORTED_ENCODINGS = tuple(_RAW)


def raw_image_to_array(encoding: str, height: int, width: int, step: int, data: bytes | memoryview | np.ndarray,
                       is_bigendian: bool = False) -> tuple[np.ndarray, ColorOrder]:
    """sensor_msgs/Image fields -> (HxWx3 uint8, colour order)."""
    if encoding not in _RAW:
        raise UnsupportedEncodingError(
            f"unsupported encoding {encoding!r}; supported: {', '.join(SUPPORTED_ENCODINGS)}", encoding)
    channels, kind, conversion, order = _RAW[encoding]
    if height <= 0 or width <= 0:
        raise ImageConversionError(f"zero-size image ({width}x{height})", ImageFault.ZERO_SIZE)
    itemsize = 2 if kind == "u2" else 1
    row_bytes = width * channels * itemsize
    if step < row_bytes:
        raise ImageConversionError(
            f"step {step} is smaller than a row of {width} {encoding} pixels ({row_bytes} bytes)",
            ImageFault.STEP_TOO_SMALL)
    buf = np.frombuffer(data, np.uint8)
    needed = step * (height - 1) + row_bytes
    if buf.size < needed:
        raise ImageConversionError(
            f"truncated image: {buf.size} bytes for {width}x{height} {encoding} with step {step} (need {needed})",
            ImageFault.TRUNCATED)
    rows = np.lib.stride_tricks.as_strided(buf, (height, row_bytes), (step, 1), writeable=False)
    if kind == "u2":
        dtype = np.dtype(">u2" if is_bigendian else "<u2")
        mono16 = np.ascontiguousarray(rows).view(dtype).reshape(height, width)
        # Scale the used range to 8 bits (depth/thermal cameras rarely fill 16 bits).
        top = max(int(mono16.max()), 1)
        mono8 = (mono16.astype(np.float32) * (255.0 / top)).astype(np.uint8)
        return cv2.cvtColor(mono8, cv2.COLOR_GRAY2RGB), "rgb"
    pixels = rows.reshape(height, width, channels) if channels > 1 else rows.reshape(height, width)
    if conversion is None:
        return pixels, order  # zero-copy view
    return cv2.cvtColor(np.ascontiguousarray(pixels), conversion), order


# 50 megapixels: above any camera a detector at 320-640 px input needs, far below what a decompression bomb
# (a tiny file declaring, say, 60000x60000) would make OpenCV allocate (its own limit is 1 gigapixel, 3 GB).
MAX_IMAGE_PIXELS = 50_000_000


def declared_pixels(data: bytes | memoryview | np.ndarray) -> int | None:
    """width x height from the image header, without decoding (Pillow reads only the header); None if
    Pillow cannot tell, in which case OpenCV's decode decides."""
    from PIL import Image  # imported on the first compressed frame: raw-image users never load Pillow

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's own bomb warning: we judge the size ourselves
            with Image.open(io.BytesIO(bytes(data))) as image:
                return image.size[0] * image.size[1]
    except Image.DecompressionBombError as exc:  # Pillow refused to open it; its message has the count
        found = re.search(r"\((\d+) pixels\)", str(exc))
        return int(found.group(1)) if found else 2 * int(Image.MAX_IMAGE_PIXELS or 0) + 1
    except Exception:  # not an image Pillow knows, or a truncated header
        return None


def compressed_image_to_array(fmt: str, data: bytes | memoryview | np.ndarray,
                              max_pixels: int = MAX_IMAGE_PIXELS) -> tuple[np.ndarray, ColorOrder]:
    """sensor_msgs/CompressedImage (jpeg/png, any format string image_transport writes) -> (HxWx3, 'bgr').

    The header's declared size is checked first: a small file declaring a huge image is refused before
    OpenCV allocates for it."""
    buf = np.frombuffer(data, np.uint8)
    if buf.size == 0:
        raise ImageConversionError("empty CompressedImage", ImageFault.EMPTY_COMPRESSED)
    if "compressedDepth" in fmt:
        raise UnsupportedEncodingError(f"compressedDepth images are not supported (format {fmt!r})", fmt)
    pixels = declared_pixels(buf)
    if pixels is not None and pixels > max_pixels:
        raise ImageConversionError(f"image larger than the pixel limit: {buf.size} bytes declaring {pixels} "
                                   f"pixels, above {max_pixels} (format {fmt!r})", ImageFault.TOO_LARGE)
    image = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    if image is None:
        raise ImageConversionError(f"corrupt or undecodable compressed image ({buf.size} bytes, format {fmt!r})",
                                   ImageFault.CORRUPT_COMPRESSED)
    return image, "bgr"


def image_message_to_array(msg: Any) -> tuple[np.ndarray, ColorOrder]:
    """A sensor_msgs Image or CompressedImage from rclpy or from rosbags (same fields) -> (HxWx3, order).

    CompressedImage is the one with a `format` field; both libraries expose the message fields as
    attributes, so the node and the bag evaluator decode through this one function.
    """
    if hasattr(msg, "format"):
        return compressed_image_to_array(msg.format, msg.data)
    return raw_image_to_array(msg.encoding, msg.height, msg.width, msg.step, msg.data, bool(msg.is_bigendian))


def array_to_rgb8(image: np.ndarray, order: ColorOrder) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB) if order == "bgr" else image
