"""report.html of every evaluating command, opened in a real browser (Debian's Chromium, headless, driven by
Playwright) with the network refused: no console error, no failed or outside request, every image decoded,
a screenshot that is not blank, and the numbers on the page equal to report.json's. Edge cases render:
no detections at all, a class with no ground truth, one frame, a bag without ground truth."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest_data import DEMO_MODEL, REPO_ROOT
from rosbags.rosbag2 import Reader, Writer

from yolo_nano_ros.apps import cli, eval_cli
from yolo_nano_ros.bag.writer import BagSettings, dataset_from_folder, write_bag

SAMPLES = REPO_ROOT / "data" / "samples"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def browser_skip_reason() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (make setup: the dev extra)"
    if CHROMIUM is None:
        return "Chromium is not installed (make setup installs Debian's chromium where it runs as root)"
    return None


@pytest.fixture(scope="module")
def browser():
    reason = browser_skip_reason()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI must check the report in a real browser: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


def open_offline(browser, page_path: Path, shot: Path) -> dict:
    """Load the page from file with every non-file, non-data request refused; what the page shows."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    outside, failed, errors = [], [], []

    def refuse(route) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", refuse)
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(page_path.resolve().as_uri(), wait_until="load")
    images = page.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight])")
    shown = page.evaluate("""() => ({
        headline: Object.fromEntries(Array.from(document.querySelectorAll('.metric')).map(
            m => [m.dataset.key, m.dataset.value])),
        cells: Array.from(document.querySelectorAll('tr[data-row] td[data-key]')).map(
            td => [td.closest('table').dataset.table, td.closest('tr').dataset.row, td.dataset.key, td.dataset.value]),
        sections: Array.from(document.querySelectorAll('section h2')).map(h => h.textContent)})""")
    page.screenshot(path=str(shot), full_page=True)
    context.close()
    assert outside == [] and failed == [] and errors == [], (outside, failed, errors)
    assert images and all(complete and w > 0 and h > 0 for complete, w, h in images), images
    pixels = cv2.imread(str(shot))
    assert pixels is not None and pixels.std() > 10, "a blank screenshot"
    return shown


def check_per_class(shown: dict, report: dict) -> None:
    cells = {(row, key): float(value) for table, row, key, value in shown["cells"] if table == "per-class"}
    assert {row for row, _ in cells} == set(report["per_class"])
    for name, values in report["per_class"].items():
        for key in ("ap50_voc07", "ap50", "ap50_95", "num_gt", "num_det", "recall"):
            assert cells[(name, key)] == pytest.approx(values[key], abs=1e-12), (name, key)


def test_dataset_report_shows_report_json_s_numbers(browser, tmp_path):
    out = tmp_path / "eval"
    assert cli.main(["evaluate", str(DEMO_MODEL), "--data", str(SAMPLES), "--split", "train", "--backend",
                     "onnxruntime", "--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    shown = open_offline(browser, out / "report.html", tmp_path / "dataset.png")
    for key in ("map50_voc07", "map50", "map50_95"):
        assert float(shown["headline"][key]) == pytest.approx(report[key], abs=1e-12)
    check_per_class(shown, report)
    assert shown["sections"] == ["Per class", "Precision-recall curves", "Confusion matrix", "Worst frames", "Speed"]
    assert "aeroplane" not in report["per_class"], "a class without ground truth is left out of mAP, and renders"
    assert (out / "report.html").stat().st_size < 3_000_000


def images_only(bag: Path, out: Path) -> Path:
    """The bag without its ground truth: a camera bag as recorded."""
    with Reader(bag) as reader, Writer(out, version=8) as writer:
        conns = {c.id: writer.add_connection(c.topic, c.msgtype, typestore=None, msgdef=c.msgdef.data,
                                             rihs01=c.digest) for c in reader.connections if "image" in c.topic}
        for conn, t, raw in reader.messages():
            if conn.id in conns:
                writer.write(conns[conn.id], t, raw)
    return out


def test_bag_reports_with_and_without_ground_truth_and_a_one_frame_dataset_with_no_detections(browser, tmp_path):
    bag = tmp_path / "bag"
    write_bag(dataset_from_folder("yolo", SAMPLES, "voc"), BagSettings(bag), progress=False)
    out = tmp_path / "bag_eval"
    assert eval_cli.main([str(bag), "--model", str(DEMO_MODEL), "--backend", "onnxruntime", "--out", str(out),
                          "--quiet", "--no-detections-bag"]) == 0
    report = json.loads((out / "report.json").read_text())
    shown = open_offline(browser, out / "report.html", tmp_path / "bag.png")
    assert float(shown["headline"]["fps"]) == pytest.approx(report["fps"], abs=1e-9)
    assert float(shown["headline"]["latency_ms.total.p50"]) == pytest.approx(report["latency_ms"]["total"]["p50"])
    check_per_class(shown, report)
    assert "Latency" in shown["sections"]

    speed_only = tmp_path / "speed_only"
    assert eval_cli.main([str(images_only(bag, tmp_path / "camera_bag")), "--model", str(DEMO_MODEL), "--backend",
                          "onnxruntime", "--out", str(speed_only), "--quiet", "--no-detections-bag"]) == 0
    shown = open_offline(browser, speed_only / "report.html", tmp_path / "speed.png")
    assert "map50" not in shown["headline"] and "fps" in shown["headline"]
    assert shown["sections"] == ["Accuracy", "Latency"]

    one = tmp_path / "one"
    (one / "images").mkdir(parents=True)
    (one / "labels").mkdir()
    first = sorted((SAMPLES / "images").iterdir())[0]
    shutil.copy(first, one / "images" / first.name)
    shutil.copy(SAMPLES / "labels" / f"{first.stem}.txt", one / "labels" / f"{first.stem}.txt")
    shutil.copy(SAMPLES / "data.yaml", one / "data.yaml") if (SAMPLES / "data.yaml").exists() else None
    nothing = tmp_path / "nothing"
    assert cli.main(["evaluate", str(DEMO_MODEL), "--data", str(one), "--split", "train", "--backend", "onnxruntime",
                     "--conf", "0.9999", "--out", str(nothing)]) == 0
    report = json.loads((nothing / "report.json").read_text())
    assert all(c["num_det"] == 0 for c in report["per_class"].values()), "the case needs no detections at all"
    shown = open_offline(browser, nothing / "report.html", tmp_path / "nothing.png")
    assert float(shown["headline"]["map50"]) == 0.0
    check_per_class(shown, report)


def test_the_power_sweep_page(browser, tmp_path):
    from yolo_nano_ros.report.page import write_page
    from yolo_nano_ros.report.pages import sweep_page

    rows = [{"mode": "MODE_15W", "fps": 40.0, "power_w": 9.5, "images_per_s_per_w": 40 / 9.5, "mj_per_frame": 237.5},
            {"mode": "MODE_30W", "fps": 60.0, "power_w": 18.0, "images_per_s_per_w": 60 / 18.0, "mj_per_frame": 300.0},
            {"mode": "MODE_50W", "fps": None, "power_w": None, "images_per_s_per_w": None, "mj_per_frame": None}]
    page = write_page(sweep_page(rows, {"sweep": "test"}), tmp_path / "report.html")
    shown = open_offline(browser, page, tmp_path / "sweep.png")
    assert shown["headline"]["best_mode"] == "MODE_15W"
    cells = {(row, key): value for _, row, key, value in shown["cells"]}
    assert float(cells[("MODE_30W", "fps")]) == 60.0 and cells[("MODE_50W", "fps")] == ""
    assert np.isclose(float(shown["headline"]["best_images_per_s_per_w"]), 40 / 9.5)
