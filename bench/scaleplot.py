"""The scale-out plot (docs/benchmarks-scale.svg), written by hand like the other.

Two panels: the latency case's throughput per configuration (bars, each with
the physical limit of its connections as a dashed tick, and the plain loop's
throughput × 10 drawn as the target line of four workers with four
connections each), and the rate-limit
case's messages per whole second for each kind of sender (lines, with the
limit and its ±5 % band).
"""

import math
from html import escape

from bench.axes import nice_max

WIDTH, HEIGHT = 900, 320
PANEL_W = WIDTH // 2
MARGIN = {"left": 56, "right": 16, "top": 30, "bottom": 46}
BAR = "#4c72b0"
PLAIN = "#999999"
LINES = {"workers": "#dd8452", "processes": "#55a868"}


def scale_summaries(results):
    """The latency summary (or None) and the rate-limit summaries, from saved results."""
    latency, rates = None, []
    for result in results:
        summary = result["summary"]
        if not summary.get("available", True):
            continue
        if summary["case"] == "latency":
            latency = summary
        elif summary["case"] == "rate-limit" and summary.get("per_second"):
            rates.append(summary)
    return latency, rates


def _frame(x0, title, y_max, y_label):
    """The panel's box, title, horizontal grid and the y scale function."""
    inner_w = PANEL_W - MARGIN["left"] - MARGIN["right"]
    inner_h = HEIGHT - MARGIN["top"] - MARGIN["bottom"]
    step = nice_max(y_max / 4)
    top = step * math.ceil(y_max / step)

    def sy(value):
        return MARGIN["top"] + inner_h - value / top * inner_h

    left = x0 + MARGIN["left"]
    parts = [f'<text x="{x0 + PANEL_W / 2:.1f}" y="18" text-anchor="middle" '
             f'font-weight="bold">{escape(title)}</text>',
             f'<rect x="{left}" y="{MARGIN["top"]}" width="{inner_w}" height="{inner_h}" '
             f'fill="none" stroke="#ccc"/>',
             f'<text transform="translate({x0 + 12},{MARGIN["top"] + inner_h / 2}) rotate(-90)" '
             f'text-anchor="middle">{escape(y_label)}</text>']
    value = 0.0
    while value <= top + 1e-9:
        parts.append(f'<line x1="{left}" x2="{left + inner_w}" y1="{sy(value):.1f}" '
                     f'y2="{sy(value):.1f}" stroke="#eee"/>')
        parts.append(f'<text x="{left - 4}" y="{sy(value) + 4:.1f}" '
                     f'text-anchor="end">{value:g}</text>')
        value += step
    return parts, sy, left, inner_w


def latency_panel(summary, x0=0):
    """Bars of messages per second per configuration, each with its
    connections' limit (a dashed tick); the target over the plain loop dashed."""
    throughput = summary["throughput"]
    limits = summary.get("limit", {})
    factor = summary["targets"].get("workers_4_c4_vs_plain",
                                    summary["targets"].get("workers_4_vs_plain", 0))
    target = throughput.get("plain", 0) * factor
    parts, sy, left, inner_w = _frame(
        x0, f"latency: {summary['n']:,} emails, receiver {summary['delay_ms']:g} ms late",
        max([*throughput.values(), *limits.values(), target]) * 1.08, "messages per second")
    slot = inner_w / max(len(throughput), 1)
    for index, (name, value) in enumerate(throughput.items()):
        x = left + index * slot + slot * 0.2
        color = PLAIN if name == "plain" else BAR
        parts.append(f'<rect x="{x:.1f}" y="{sy(value):.1f}" width="{slot * 0.6:.1f}" '
                     f'height="{sy(0) - sy(value):.1f}" fill="{color}">'
                     f'<title>{escape(name)}: {value:.1f} messages/s</title></rect>')
        parts.append(f'<text x="{x + slot * 0.3:.1f}" y="{sy(value) - 4:.1f}" '
                     f'text-anchor="middle" font-size="9">{value:.0f}</text>')
        parts.append(f'<text x="{x + slot * 0.3:.1f}" y="{sy(0) + 12 + 9 * (index % 2):.1f}" '
                     f'text-anchor="middle" font-size="9">{escape(name)}</text>')
        if name in limits:
            parts.append(f'<line x1="{x - slot * 0.1:.1f}" x2="{x + slot * 0.7:.1f}" '
                         f'y1="{sy(limits[name]):.1f}" y2="{sy(limits[name]):.1f}" '
                         f'stroke="#333" stroke-dasharray="3,2"><title>{escape(name)}: limit '
                         f'{limits[name]:g} messages/s</title></line>')
    if target:
        parts.append(f'<line x1="{left}" x2="{left + inner_w}" y1="{sy(target):.1f}" '
                     f'y2="{sy(target):.1f}" stroke="#c44e52" stroke-dasharray="5,4"/>')
        parts.append(f'<text x="{left + inner_w - 4}" y="{sy(target) - 4:.1f}" '
                     f'text-anchor="end" fill="#c44e52">target: {factor:g} × plain</text>')
    parts.append(f'<text x="{left + inner_w / 2:.1f}" y="{HEIGHT - 8}" text-anchor="middle">'
                 f'configuration (-c4: 4 connections each; ticks: the connections\' limit)'
                 f'</text>')
    return parts


def rate_panel(summaries, x0=PANEL_W):
    """Messages in each whole second, per kind of sender; the limit ±5 % shaded."""
    limit = summaries[0]["limit"]
    seconds = max(len(s["per_second"]) for s in summaries)
    parts, sy, left, inner_w = _frame(
        x0, f"rate-limit: {limit}/s shared, {summaries[0]['processes']} senders",
        max(max(max(s["per_second"]) for s in summaries), limit) * 1.15, "messages in the second")

    def sx(second):
        return left + second / max(seconds - 1, 1) * inner_w

    parts.append(f'<rect x="{left}" y="{sy(limit * 1.05):.1f}" width="{inner_w}" '
                 f'height="{sy(limit * 0.95) - sy(limit * 1.05):.1f}" fill="#c44e52" '
                 f'opacity="0.12"/>')
    for index, summary in enumerate(summaries):
        senders = summary.get("senders", "processes")
        color = LINES.get(senders, "#000")
        points = " ".join(f"{sx(i):.1f},{sy(v):.1f}" for i, v in enumerate(summary["per_second"]))
        parts.append(f'<polyline points="{points}" fill="none" stroke="{color}" '
                     f'stroke-width="1.5"/>')
        parts.append(f'<text x="{left + 8}" y="{MARGIN["top"] + 14 + 14 * index}" fill="{color}">'
                     f'{escape(senders)}: {summary["rate"]}/s '
                     f'({summary["rate_error"] * 100:+.1f} %)</text>')
    parts.append(f'<text x="{left + inner_w / 2:.1f}" y="{HEIGHT - 8}" text-anchor="middle">'
                 f'seconds from the first message ({seconds} whole seconds; band: limit ±5 %)'
                 f'</text>')
    return parts


def svg(results):
    """The plot, or None when the results hold neither case."""
    latency, rates = scale_summaries(results)
    if latency is None and not rates:
        return None
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11">',
             f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>']
    if latency is not None:
        parts.extend(latency_panel(latency))
    if rates:
        parts.extend(rate_panel(rates))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
