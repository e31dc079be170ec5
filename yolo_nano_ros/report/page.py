"""The page itself: a jinja2 template, inline CSS, every image a data URI, so report.html opens with no
network and travels as one file. Numbers carry their full value in data-value attributes, so a test (or a
script) can read the page and compare it with report.json."""

from __future__ import annotations

import datetime
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ page.title }}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1200px;
       padding: 1.2rem 1.5rem 3rem; color: #1d2330; background: #fff; }
h1 { font-size: 1.5rem; margin: 0 0 .3rem; } h2 { font-size: 1.15rem; margin: 2rem 0 .6rem;
     border-bottom: 1px solid #d8dde6; padding-bottom: .25rem; }
.headline { display: flex; flex-wrap: wrap; gap: .8rem; margin: 1rem 0; }
.metric { background: #f2f5fa; border-radius: 8px; padding: .6rem .9rem; min-width: 8.5rem; }
.metric .value { font-size: 1.45rem; font-weight: 600; font-variant-numeric: tabular-nums; }
.metric .label { font-size: .78rem; color: #5a6475; }
dl.context { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; font-size: .85rem; }
dl.context dt { color: #5a6475; } dl.context dd { margin: 0; word-break: break-all; }
table { border-collapse: collapse; font-size: .85rem; margin: .4rem 0; }
th, td { padding: .25rem .6rem; border-bottom: 1px solid #e6e9ef; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
img.figure { max-width: 100%; height: auto; display: block; margin: .5rem 0; }
.thumbs { display: flex; flex-wrap: wrap; gap: .8rem; }
figure.thumb { margin: 0; font-size: .78rem; color: #5a6475; max-width: 360px; }
.note { font-size: .85rem; color: #5a6475; }
.legend-gt { color: rgb(40, 200, 60); font-weight: 600; } .legend-det { color: rgb(230, 40, 200); font-weight: 600; }
</style>
</head>
<body>
<h1>{{ page.title }}</h1>
<div class="headline">
{% for m in page.headline %}<div class="metric" data-key="{{ m.key }}" data-value="{{ m.value }}">
<div class="value">{{ m.text }}</div><div class="label">{{ m.label }}</div></div>
{% endfor %}</div>
<dl class="context">
{% for label, value in page.context %}<dt>{{ label }}</dt><dd>{{ value }}</dd>
{% endfor %}</dl>
{% for s in page.sections %}
<section id="{{ s.anchor }}">
<h2>{{ s.title }}</h2>
{% if s.note %}<p class="note">{{ s.note }}</p>{% endif %}
{% if s.table %}<table data-table="{{ s.anchor }}">
<thead><tr>{% for h in s.table.header %}<th
{%- if loop.index0 >= s.table.numeric_from %} class="num"{% endif %}>{{ h }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in s.table.rows %}<tr data-row="{{ row.key }}">{% for cell in row.cells %}<td
{%- if loop.index0 >= s.table.numeric_from %} class="num"{% endif %}
{%- if cell.key %} data-key="{{ cell.key }}" data-value="{{ cell.value }}"{% endif %}>{{ cell.text }}</td>
{%- endfor %}</tr>
{% endfor %}</tbody></table>{% endif %}
{% for uri in s.figures %}<img class="figure" alt="{{ s.title }}" src="{{ uri }}">
{% endfor %}
{% if s.thumbnails %}<p class="note"><span class="legend-gt">green: ground truth</span> ·
<span class="legend-det">magenta: detections</span></p><div class="thumbs">
{% for t in s.thumbnails %}<figure class="thumb"><img alt="{{ t.caption }}" src="{{ t.uri }}">
<figcaption>{{ t.caption }}</figcaption></figure>
{% endfor %}</div>{% endif %}
</section>
{% endfor %}
</body>
</html>
"""


@dataclass(frozen=True)
class Metric:
    key: str  # the report.json key it shows
    label: str
    value: float | int | str  # full precision, in data-value
    text: str  # as shown


@dataclass(frozen=True)
class Cell:
    text: str
    key: str = ""
    value: float | int | str = ""


@dataclass(frozen=True)
class Row:
    key: str
    cells: list[Cell]


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[Row]
    numeric_from: int = 1  # columns from here on are numbers (right-aligned)


@dataclass(frozen=True)
class Thumbnail:
    uri: str
    caption: str


@dataclass
class Section:
    title: str
    anchor: str
    note: str = ""
    table: Table | None = None
    figures: list[str] = field(default_factory=list)
    thumbnails: list[Thumbnail] = field(default_factory=list)


@dataclass
class ReportPage:
    title: str
    headline: list[Metric]
    context: list[tuple[str, str]]
    sections: list[Section] = field(default_factory=list)


def run_context(machine: str | None = None) -> list[tuple[str, str]]:
    """Machine, date and the command line that made the report."""
    if machine is None:
        import platform

        from yolo_nano_ros.benchmarks.machine import cpu_model, package_version
        from yolo_nano_ros.runtime.backends.cpu_settings import usable_cores

        runtimes = ", ".join(f"{n} {v}" for n in ("onnxruntime", "openvino") if (v := package_version(n)))
        machine = (f"{cpu_model()} ({platform.machine()}, {usable_cores()} usable cores), {platform.system()} "
                   f"{platform.release()}, Python {platform.python_version()}; {runtimes}")
    return [("machine", machine), ("date", datetime.datetime.now().astimezone().isoformat(timespec="seconds")),
            ("command", shlex.join([Path(sys.argv[0]).name, *sys.argv[1:]]))]


def render(page: ReportPage) -> str:
    import jinja2

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(TEMPLATE).render(page=page)


def write_page(page: ReportPage, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(page), encoding="utf-8")
    return path
