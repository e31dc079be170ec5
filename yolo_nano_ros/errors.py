"""The package's exception root. A YoloNanoError is a known failure with a one-line message that says
what and where; console scripts print it and exit 2, anything else is a bug and keeps its traceback."""

from __future__ import annotations


class YoloNanoError(Exception):
    """Root of every error this package raises on purpose."""


class UnsafeCheckpointError(YoloNanoError, ValueError):
    """A checkpoint that holds more than tensors and plain data: refused, nothing of it was run."""


class ConfigError(YoloNanoError, ValueError):
    """A setting or argument that cannot mean anything (an input size that is no multiple of 32, an unknown
    network, method or benchmark case): the message names it, the value and what it takes."""


class ModelLoadError(YoloNanoError, RuntimeError):
    """A model file that cannot be used (missing, unreadable, outputs of no known layout); the message says what
    to do."""
