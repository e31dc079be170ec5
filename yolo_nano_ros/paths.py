"""Where the package's own files are: demo weights, config, launch, sample images, message definitions.

Two layouts hold them. A colcon install puts them under `share/yolo_nano_ros/` (found through the
ament index); a source checkout (the `make setup` venv's editable install, or a clone on PYTHONPATH)
has them beside this package. The install space wins when both exist, so a robot never runs files
from a stray checkout. This module is the only place that knows either layout.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = "yolo_nano_ros"
DEMO_MODEL_FILE = "yolo_nano_coco128_voc.onnx"
# Folders that both layouts have (setup.py's data_files install them under share/).
SHARED_FOLDERS = ("config", "launch", "models", "data")


def install_share_dir() -> Path | None:
    """share/yolo_nano_ros of a colcon install, or None when the package is not in an ament prefix."""
    try:
        from ament_index_python.packages import PackageNotFoundError, get_package_share_directory
    except ImportError:  # no ROS on this machine: only the source layout exists
        return None
    try:
        return Path(get_package_share_directory(PACKAGE))
    except (PackageNotFoundError, ValueError, OSError):  # OSError: AMENT_PREFIX_PATH unset (no ROS sourced)
        return None


def source_root() -> Path | None:
    """The checkout this package was imported from, recognised by its package.xml; None when installed."""
    root = Path(__file__).resolve().parent.parent
    return root if (root / "package.xml").is_file() and (root / PACKAGE).is_dir() else None


def package_folder(name: str) -> Path | None:
    """One of SHARED_FOLDERS, from the install space first, then the source tree; None if neither has it."""
    if name not in SHARED_FOLDERS:
        raise ValueError(f"{name!r} is not package data; one of {', '.join(SHARED_FOLDERS)}")
    for base in (install_share_dir(), source_root()):
        if base is not None and (base / name).is_dir():
            return base / name
    return None


def searched_folders(name: str) -> list[Path]:
    """Where package_folder looks, for error messages."""
    return [base / name for base in (install_share_dir(), source_root()) if base is not None]


def demo_model_path() -> Path | None:
    """The shipped demo weights (not a deployable detector: models/README.md), or None if absent."""
    folder = package_folder("models")
    model = folder / DEMO_MODEL_FILE if folder else None
    return model if model is not None and model.is_file() else None


def resolve_model(model: str | Path | None) -> Path:
    """The model file to load: the given path, or the demo weights when it is empty (node, YAML, launch
    all say "" for "the shipped demo weights"). FileNotFoundError names every place searched."""
    if model is not None and str(model).strip():
        return Path(str(model).strip()).expanduser()
    demo = demo_model_path()
    if demo is None:
        looked = ", ".join(str(p / DEMO_MODEL_FILE) for p in searched_folders("models")) or "no package data found"
        raise FileNotFoundError(f"parameter `model` is empty and the shipped demo weights were not found "
                                f"(looked for {looked})")
    return demo


def sample_data_dir() -> Path | None:
    """data/: the demo's sample images in both layouts (a colcon install ships data/samples only)."""
    return package_folder("data")


def sample_images_dir() -> Path:
    """data/samples (12 photos with labels: the demo, the node bench and the power sweep replay them)."""
    data = sample_data_dir()
    if data is None or not (data / "samples" / "images").is_dir():
        looked = ", ".join(str(p / "samples") for p in searched_folders("data")) or "no package data found"
        raise FileNotFoundError(f"the sample images were not found (looked in {looked}); give a folder of images")
    return data / "samples"


def interface_definitions(package: str) -> Path | None:
    """interfaces/<package>/msg of a source checkout: .msg files vendored for machines without the package."""
    root = source_root()
    folder = root / "interfaces" / package / "msg" if root is not None else None
    return folder if folder is not None and folder.is_dir() else None
