"""The network exactly as the paper's Figure 1 table gives it, block by block at 416x416."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")

from yolo_nano_ros.model.blocks import EP, PEP  # noqa: E402
from yolo_nano_ros.model.complexity import measure  # noqa: E402
from yolo_nano_ros.model.config import YoloNanoConfig  # noqa: E402
from yolo_nano_ros.model.yolo_nano import YoloNano  # noqa: E402

# (table layer, H=W, C) from the design notes' table.
EXPECTED = {
    1: (416, 12), 2: (208, 24), 3: (208, 24), 4: (104, 70), 5: (104, 70), 6: (104, 70),
    7: (52, 150), 8: (52, 150), 9: (52, 150), 10: (52, 150), 11: (52, 150), 12: (52, 150),
    13: (52, 150), 14: (26, 325), **{n: (26, 325) for n in range(15, 23)}, 23: (13, 545),
    24: (13, 545), 25: (13, 230), 26: (13, 489), 27: (13, 469), 28: (13, 189), 29: (13, 105),
    31: (26, 325), 32: (26, 207), 33: (26, 98), 34: (26, 47), 36: (52, 122), 37: (52, 87),
    38: (52, 93), 39: (52, 75), 40: (26, 183), 41: (26, 75), 42: (13, 462), 43: (13, 75),
}


def numbered_layers(model: YoloNano) -> dict[int, torch.nn.Module]:
    b, n, h = model.backbone, model.neck, model.head
    layers = {1: b.stage208[0], 2: b.stage208[1], 3: b.stage208[2]}
    layers |= {4 + i: m for i, m in enumerate(b.stage104)}
    layers |= {7 + i: m for i, m in enumerate(b.stage52)}
    layers |= {14 + i: m for i, m in enumerate(b.stage26)}
    layers |= {23 + i: m for i, m in enumerate(b.stage13)}
    layers |= {29: n.reduce13, 31: n.fuse26[0], 32: n.fuse26[1], 33: n.fuse26[2], 34: n.reduce26,
               36: n.fuse52[0], 37: n.fuse52[1], 38: n.fuse52[2], 40: n.out26, 42: n.out13,
               39: h.convs[0], 41: h.convs[1], 43: h.convs[2]}
    return layers


def test_every_block_output_shape_matches_the_table():
    model = YoloNano(YoloNanoConfig()).eval()
    shapes: dict[int, tuple[int, ...]] = {}
    for number, module in numbered_layers(model).items():
        module.register_forward_hook(lambda _m, _i, out, n=number: shapes.__setitem__(n, tuple(out.shape)))
    with torch.no_grad():
        model(torch.zeros(1, 3, 416, 416))
    assert set(shapes) == set(EXPECTED)
    for number, (size, channels) in EXPECTED.items():
        assert shapes[number] == (1, channels, size, size), f"layer {number}"


def test_block_kinds_and_strides_follow_the_figure():
    layers = numbered_layers(YoloNano())
    for n in (4, 7, 14, 23):
        assert isinstance(layers[n], EP) and not layers[n].use_residual, n
    for n in (3, 5, 6, 8, 11, 12, 13, *range(15, 23), 24):
        assert isinstance(layers[n], PEP) and layers[n].use_residual, n
    assert not layers[27].use_residual  # 489 -> 469: no residual on a width change
    for n in (39, 41, 43):  # detection convs are linear with bias
        assert isinstance(layers[n], torch.nn.Conv2d) and layers[n].bias is not None


@pytest.mark.parametrize(("expansion", "params", "macs"), [(1.0, 2.89e6, 2.03e9), (2.0, 4.66e6, 3.20e9)])
def test_counts_match_the_design_notes(expansion, params, macs):
    model = YoloNano(YoloNanoConfig(expansion=expansion))
    c = measure(model, 416)
    head_bias = sum(conv.bias.numel() for conv in model.head.convs)
    assert (c.params - head_bias) == pytest.approx(params, rel=0.005)
    assert c.macs == pytest.approx(macs, rel=0.005)


@pytest.mark.parametrize(("size", "classes"), [(320, 80), (448, 3), (608, 1)])
def test_any_multiple_of_32_and_any_class_count(size, classes):
    cfg = YoloNanoConfig(input_size=size, num_classes=classes, class_names=tuple(f"c{i}" for i in range(classes)))
    with torch.no_grad():
        outs = YoloNano(cfg).eval()(torch.zeros(2, 3, size, size))
    assert [tuple(o.shape) for o in outs] == [(2, 3 * (5 + classes), size // s, size // s) for s in (8, 16, 32)]


def test_input_size_not_multiple_of_32_is_rejected():
    with pytest.raises(ValueError, match="multiple of 32"):
        YoloNanoConfig(input_size=400)


def test_aligned_variant_rounds_every_width_to_8():
    model = YoloNano(YoloNanoConfig(channel_multiple=8))
    for m in model.modules():
        if isinstance(m, torch.nn.Conv2d) and m not in model.head.convs and m.in_channels != 3:
            assert m.out_channels % 8 == 0 and m.in_channels % 8 == 0


def test_info_cli_json():
    out = subprocess.run([sys.executable, "-m", "yolo_nano_ros.apps.cli", "info", "--json"],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    info = json.loads(out)
    assert {"params", "macs", "ops", "size_fp32_mb", "size_int8_mb"} <= info.keys()
    assert info["ops"] == 2 * info["macs"]
    assert info["size_fp32_mb"] == pytest.approx(info["params"] * 4 / 2**20, abs=1e-3)
