"""Turn saved results into docs: a results table (reST) and an SVG plot.

``python -m bench --docs`` calls :func:`write_docs` after a run; ``python -m
bench.report RESULTS.json [MORE.json ...]`` merges saved results (of runs of
different cases) into docs/benchmarks.json and rewrites the docs from them; a
result in a later file replaces one of the same case, database, N (and kind of
sender) in an earlier one.  The plots are written by hand (no plotting
library): one panel per case and database, time per message (ms) against N on
a logarithmic axis, the floor and ours; the scale-out cases go to their own
plot (:mod:`bench.scaleplot`).
"""

import json
import math
import sys
from html import escape
from pathlib import Path

from bench import scaleplot
from bench.axes import nice_max

PANEL_W, PANEL_H = 300, 210
MARGIN = {"left": 52, "right": 26, "top": 30, "bottom": 40}
COLUMNS = 3
COLORS = {"floor": "#7f7f7f", "ours": "#1f5fbf", "inprocess": "#2ca02c"}


def _mb(value):
    return "" if value is None else f"{value / 1048576:.1f}"


def _paired(summary):
    if "paired_ratio" not in summary:
        return "-"
    low, high = summary["paired_range"]
    return f"{summary['paired_ratio']:.2f} ({low:.2f}–{high:.2f})"


def table_rows(results):
    rows = []
    for result in results:
        summary = result["summary"]
        if not summary.get("available", True):
            rows.append([summary["case"], *[""] * (len(HEADER) - 2), summary["reason"]])
            continue
        if summary["case"] == "rate-limit":
            rows.append(rate_limit_row(summary))
            continue
        if summary["case"] == "latency":
            rows.append(latency_row(summary))
            continue
        medians = result["medians"]
        ours, floor = medians["ours"], medians.get("floor") or {}
        note = _note(summary, medians)
        rows.append([
            summary["case"], summary["db"], f"{summary['n']:,}",
            f"{floor['seconds']:.3f}" if floor else "-", f"{ours['seconds']:.3f}",
            f"{summary['ratio']:.2f}" if "ratio" in summary else "-",
            f"{summary['cpu_ratio']:.2f}" if "cpu_ratio" in summary else "-",
            _paired(summary),
            f"{floor.get('queries', '-')} / {ours['queries']}",
            f"{floor.get('connections', '-')} / {ours['connections']}",
            f"{ours['messages_delivered']:,}",
            _mb(ours["rss_delta"]),
            note,
        ])
    return rows


def _note(summary, medians):
    """The notes column of a floor-against-ours case: its target and what it counts."""
    ours = medians["ours"]
    if summary["case"] == "postmark-batch":
        return (f"HTTP requests floor / ours: {summary['requests'][0]} / "
                f"{summary['requests'][1]}; target ≤ {summary['target_requests']}: "
                f"{'met' if summary['target_met'] else 'MISSED'}")
    if summary["case"] == "memory":
        return (f"RSS +{_mb(ours['rss_delta'])} MB (limit {_mb(summary['rss_limit'])} MB): "
                f"{'met' if summary['target_met'] else 'MISSED'}")
    if summary["case"] == "enqueue":
        return f"issue() returns in {ours['seconds'] * 1000:.1f} ms"
    if "inprocess_ratio" in summary:
        return (f"in-process issue {medians['inprocess']['seconds']:.3f} s; background / "
                f"in-process {summary['inprocess_ratio']:.2f} (CPU "
                f"{summary['inprocess_cpu_ratio']:.2f}, per repeat "
                f"{_paired(summary['inprocess_paired'])}); target ≤ "
                f"{summary['inprocess_target']}: {'met' if summary['target_met'] else 'MISSED'}")
    if "target" in summary:
        return f"target ≤ {summary['target']}: {'met' if summary['target_met'] else 'MISSED'}"
    return ""


def _note_row(summary, note):
    """A table row whose measurements are all in its notes column."""
    cells = [summary["case"], summary["db"], f"{summary['n']:,}"]
    return [*cells, *["-"] * (len(HEADER) - len(cells) - 1), note]


def rate_limit_row(summary):
    """The rate-limit case in the table: the measured rate and its spread in the notes."""
    spread = summary.get("spread") or {}
    senders = summary.get("senders", "processes")
    who = (f"{summary['processes']} db_workers (tasks each: "
           f"{', '.join(map(str, summary.get('tasks_per_worker', [])))})"
           if senders == "workers" else f"{summary['processes']} in-process senders")
    note = (f"{who}, limit {summary['limit']}/s in "
            f"{summary['cache']}: {summary['rate']}/s ({summary['rate_error'] * 100:+.1f} %) over "
            f"{summary['span_seconds']} s, per second {spread.get('min')}–{spread.get('max')} "
            f"(σ {spread.get('stdev')}); lost {summary['lost']}, doubled {summary['doubled']}; "
            f"target ±5 %: {'met' if summary['target_met'] else 'MISSED'}")
    return _note_row(summary, note)


def latency_row(summary):
    """The latency case in the table: throughput per configuration, the
    physical limit of its connections, and the ratios against the targets."""
    limits = summary.get("limit", {})
    rates = ", ".join(f"{name} {value:.1f}/s" + (f" (limit {limits[name]:g})" if name in limits
                                                  else "")
                      for name, value in summary["throughput"].items())
    chunk = summary["chunk"]
    chunks = "default chunks" if chunk == "default" else f"chunks of {chunk}"
    judged = "; ".join(
        f"{LATENCY_RATIOS.get(key, key)} {summary[key]:.2f}× (target ≥ {target})"
        for key, target in summary["targets"].items() if key in summary)
    note = (f"receiver {summary['delay_ms']:g} ms per message, {chunks}: {rates}; {judged}: "
            f"{'met' if summary['target_met'] else 'MISSED'}")
    return _note_row(summary, note)


#: How the report names the latency case's ratios.
LATENCY_RATIOS = {"workers_4_vs_1": "4 / 1 workers", "workers_4_vs_plain": "4 workers / plain loop",
                  "connections_4_vs_plain": "1 worker × 4 connections / plain loop",
                  "workers_4_c4_vs_plain": "4 workers × 4 connections / plain loop"}


HEADER = ["case", "db", "N", "floor s", "ours s", "ours/floor", "CPU ours/floor",
          "per-repeat ours/floor: median (range)",
          "queries floor / ours",
          "connections floor / ours", "delivered", "ours RSS Δ MB", "notes"]


def table_rst(results):
    """A list-table of the medians."""
    lines = [".. list-table:: Medians of the runs (seconds are wall-clock)",
             "   :header-rows: 1", ""]
    for row in [HEADER, *table_rows(results)]:
        lines.append(f"   * - {row[0]}")
        lines.extend(f"     - {cell}" for cell in row[1:])
    return "\n".join(lines) + "\n"


def panels(results):
    """{(case, db): {impl: [(n, ms per message)]}} for the plotted cases."""
    found = {}
    for result in results:
        summary = result["summary"]
        if not summary.get("available", True) or summary["case"] in ("memory", "enqueue",
                                                                          "rate-limit", "latency"):
            continue
        key = (summary["case"], summary["db"])
        for impl, median in result["medians"].items():
            per_message = median["seconds"] * 1000 / max(summary["n"], 1)
            found.setdefault(key, {}).setdefault(impl, []).append((summary["n"], per_message))
    for series in found.values():
        for points in series.values():
            points.sort()
    return found


def _panel(key, series, x0, y0):
    case, db = key
    inner_w = PANEL_W - MARGIN["left"] - MARGIN["right"]
    inner_h = PANEL_H - MARGIN["top"] - MARGIN["bottom"]
    ns = sorted({n for points in series.values() for n, _ in points})
    top = max(v for points in series.values() for _, v in points) * 1.05
    step = nice_max(top / 4)
    ticks = max(1, math.ceil(top / step))
    y_max = step * ticks
    lo, hi = math.log10(ns[0]), math.log10(ns[-1])
    if hi - lo < 1e-9:
        lo, hi = lo - 0.5, hi + 0.5

    def sx(n):
        return x0 + MARGIN["left"] + (math.log10(n) - lo) / (hi - lo) * inner_w

    def sy(v):
        return y0 + MARGIN["top"] + inner_h - v / y_max * inner_h

    parts = [f'<text x="{x0 + PANEL_W / 2:.1f}" y="{y0 + 18}" text-anchor="middle" '
             f'font-weight="bold">{escape(case)} ({escape(db)})</text>',
             f'<rect x="{x0 + MARGIN["left"]}" y="{y0 + MARGIN["top"]}" width="{inner_w}" '
             f'height="{inner_h}" fill="none" stroke="#ccc"/>']
    for i in range(ticks + 1):
        value = step * i
        y = sy(value)
        parts.append(f'<line x1="{x0 + MARGIN["left"]}" x2="{x0 + MARGIN["left"] + inner_w}" '
                     f'y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>')
        parts.append(f'<text x="{x0 + MARGIN["left"] - 4}" y="{y + 4:.1f}" '
                     f'text-anchor="end">{value:g}</text>')
    for n in ns:
        parts.append(f'<text x="{sx(n):.1f}" y="{y0 + PANEL_H - MARGIN["bottom"] + 14}" '
                     f'text-anchor="middle">{n:,}</text>')
    parts.append(f'<text x="{x0 + MARGIN["left"] + inner_w / 2:.1f}" '
                 f'y="{y0 + PANEL_H - 8}" text-anchor="middle">N (log scale)</text>')
    parts.append(f'<text transform="translate({x0 + 12},{y0 + MARGIN["top"] + inner_h / 2}) '
                 f'rotate(-90)" text-anchor="middle">ms per message</text>')
    for impl, points in series.items():
        color = COLORS.get(impl, "#000")
        coords = " ".join(f"{sx(n):.1f},{sy(v):.1f}" for n, v in points)
        if len(points) > 1:
            parts.append(f'<polyline points="{coords}" fill="none" stroke="{color}" '
                         f'stroke-width="2"/>')
        for n, v in points:
            parts.append(f'<circle cx="{sx(n):.1f}" cy="{sy(v):.1f}" r="3" fill="{color}">'
                         f'<title>{impl} N={n}: {v:.3f} ms/message</title></circle>')
    return parts


def svg(results):
    found = panels(results)
    keys = sorted(found)
    rows = max(1, math.ceil(len(keys) / COLUMNS))
    width, height = PANEL_W * COLUMNS, PANEL_H * rows + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
             f'<rect width="{width}" height="{height}" fill="white"/>']
    for index, key in enumerate(keys):
        parts.extend(_panel(key, found[key], PANEL_W * (index % COLUMNS),
                            PANEL_H * (index // COLUMNS)))
    legend_y = PANEL_H * rows + 18
    legend = [("floor", "floor: plain Django by hand"), ("ours", "ours: django-vox issue()")]
    if any("inprocess" in series for series in found.values()):
        legend.append(("inprocess", "in-process issue (background case)"))
    for i, (impl, label) in enumerate(legend):
        x = 20 + i * 260
        parts.append(f'<line x1="{x}" x2="{x + 24}" y1="{legend_y - 4}" y2="{legend_y - 4}" '
                     f'stroke="{COLORS[impl]}" stroke-width="2"/>')
        parts.append(f'<text x="{x + 30}" y="{legend_y}">{escape(label)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def write_docs(results, docs_dir):
    docs_dir = Path(docs_dir)
    (docs_dir / "benchmarks-results.inc").write_text(table_rst(results))
    (docs_dir / "benchmarks.svg").write_text(svg(results))
    scale = scaleplot.svg(results)
    if scale is not None:
        (docs_dir / "benchmarks-scale.svg").write_text(scale)


def _key(result):
    summary = result["summary"]
    return (summary.get("case"), summary.get("db"), summary.get("n"), summary.get("senders"))


def merge(batches):
    """The results of several saved runs, later ones replacing earlier ones of the same
    key (in the earlier one's place)."""
    merged = {}
    for results in batches:
        for result in results:
            merged[_key(result)] = result
    return list(merged.values())


def main(paths):
    docs_dir = Path(__file__).resolve().parent.parent / "docs"
    results = merge(json.loads(Path(path).read_text()) for path in paths)
    (docs_dir / "benchmarks.json").write_text(json.dumps(results, indent=1) + "\n")
    write_docs(results, docs_dir)


if __name__ == "__main__":
    main(sys.argv[1:])
