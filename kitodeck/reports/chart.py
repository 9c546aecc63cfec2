"""The overview's volume and flagged-rate time series as a self-contained SVG (pygal).

Self-contained: pygal's CSS is inlined, its tooltip script is not linked (``js=[]``) and the
inline config script it always writes is removed, so the file renders offline, in an <img>
or straight from disk, and carries no data beyond what is drawn.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any
from xml.etree import ElementTree

import pygal
from pygal.style import Style

SERIES_SCANS = "Scans"
SERIES_FLAGGED = "Flagged"
SERIES_RATE = "Flagged rate (%)"

_STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#9aa5b1",
    opacity=".9",
    opacity_hover="1",
    colors=("#2f6fde", "#e8833a", "#d1344b"),
    font_family="DejaVu Sans, Helvetica, Arial, sans-serif",
    title_font_size=16,
    legend_font_size=13,
    label_font_size=11,
    major_label_font_size=11,
)


def _number(value: float) -> str:
    # Axis labels: whole numbers from 10 up (the rate axis's thirds would print 33.3333333).
    return f"{value:,.0f}" if abs(value) >= 10 else f"{value:.2g}"


def _label(point: dict[str, Any], interval: str) -> str:
    start = point["start"].astimezone(UTC)
    return f"{start:%G-W%V}" if interval == "week" else f"{start:%Y-%m-%d}"


def render_overview_svg(report: dict[str, Any]) -> bytes:
    """An SVG line chart: scans and flagged per bucket, flagged rate on the right axis."""
    series = report["series"]
    interval = report["interval"]
    start, end = report["from"].astimezone(UTC), report["to"].astimezone(UTC)
    chart = pygal.Line(
        style=_STYLE,
        js=[],
        width=960,
        height=480,
        title=(
            f"KitoDeck scans per {interval}, {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC"
        ),
        x_title=f"{interval.capitalize()} (UTC)",
        y_title="Scans",
        legend_at_bottom=True,
        legend_at_bottom_columns=3,
        x_label_rotation=40,
        show_minor_x_labels=False,
        x_labels_major_every=max(1, len(series) // 12),
        truncate_label=-1,
        dots_size=2,
        show_dots=len(series) <= 60,
        # Headroom above the busiest bucket, so the volume line never runs along the frame.
        range=(0, max([point["scans"] for point in series] + [4]) * 1.1),
        secondary_range=(0, 100),
        include_x_axis=True,
        min_scale=4,
        max_scale=10,
        no_data_text="No data",
        value_formatter=_number,
    )
    chart.x_labels = [_label(point, interval) for point in series]
    chart.add(SERIES_SCANS, [point["scans"] for point in series])
    chart.add(SERIES_FLAGGED, [point["flagged"] for point in series])
    chart.add(
        SERIES_RATE,
        [
            None if point["flagged_rate"] is None else round(point["flagged_rate"] * 100, 2)
            for point in series
        ],
        secondary=True,
        formatter=lambda value: "" if value is None else f"{value:.1f}%",
    )
    root = chart.render_tree()
    for parent in root.iter():
        for child in [c for c in parent if c.tag == "script"]:
            parent.remove(child)
    body = ElementTree.tostring(root, encoding="unicode")
    return ("<?xml version='1.0' encoding='utf-8'?>\n" + body).encode("utf-8")
