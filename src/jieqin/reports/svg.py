"""Charts as inline SVG text: no scripts, no fonts or files fetched, readable offline.

Every chart names a CJK-capable font stack on its root element (:data:`FONT_STACK`),
so its Chinese labels are drawn with a Chinese font wherever the SVG is shown, inside
the report page or opened on its own; the value axis has whole-number ticks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape

__all__ = ["FONT_STACK", "PALETTE", "horizontal_bars", "stacked_columns", "whole_ticks"]

#: Colour-blind-safe colours (Okabe-Ito), one per series.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")

#: Fonts with Chinese glyphs on Linux, Windows and macOS, then the generic family.
FONT_STACK = (
    "'Noto Sans CJK SC','Source Han Sans SC','Microsoft YaHei','PingFang SC',"
    "'WenQuanYi Micro Hei',sans-serif"
)


def whole_ticks(value: float, most: int = 5) -> list[int]:
    """Axis ticks from 0 past ``value`` in a whole, round step (1, 2 or 5 times a
    power of ten), at most ``most`` steps: counts never read 2.5 or 0.25."""
    if value <= 0:
        return [0, 1]
    raw = value / most
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    top = math.ceil(value / step) * step
    return list(range(0, top + 1, step))


def _open(title: str, width: int, height: int) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" font-family="{FONT_STACK}">'
        f"<title>{escape(title)}</title>",
    ]


def stacked_columns(
    title: str,
    columns: Sequence[str],
    series: Sequence[str],
    values: Mapping[str, Mapping[str, int | None]],
    labels: Mapping[str, str] | None = None,
) -> str:
    """Columns (e.g. months) stacked by series (e.g. activity kinds); ``None`` counts as 0.

    The legend sits right of the plot, one series a line in the page's text size."""
    labels = labels or {}
    width, left, bottom, top, legend_w, line = 760, 50, 40, 34, 200, 20
    height = max(300, top + line * len(series) + bottom)
    plot_w, plot_h = width - left - legend_w, height - bottom - top
    totals = [sum((values.get(c, {}).get(s) or 0) for s in series) for c in columns]
    ticks = whole_ticks(max(totals, default=0))
    top_value = ticks[-1]
    slot = plot_w / max(len(columns), 1)
    bar = slot * 0.7
    parts = _open(title, width, height)
    parts.append(f'<text x="{left}" y="20" class="t">{escape(title)}</text>')
    for v in ticks:
        y = top + plot_h - plot_h * v / top_value
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" class="g"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" class="a" text-anchor="end">{v}</text>'
        )
    for ci, column in enumerate(columns):
        x = left + ci * slot + (slot - bar) / 2
        y = top + plot_h
        for si, name in enumerate(series):
            n = values.get(column, {}).get(name) or 0
            if n <= 0:
                continue
            h = plot_h * n / top_value
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[si % len(PALETTE)]}"><title>{escape(column)} '
                f"{escape(labels.get(name, name))}: {n}</title></rect>"
            )
        parts.append(
            f'<text x="{x + bar / 2:.1f}" y="{top + plot_h + 16}" class="a" '
            f'text-anchor="middle">{escape(column[-2:] if len(columns) > 1 else column)}</text>'
        )
    for si, name in enumerate(series):
        y = top + line * si
        parts.append(
            f'<rect x="{left + plot_w + 16}" y="{y}" width="14" height="14" '
            f'fill="{PALETTE[si % len(PALETTE)]}"/>'
            f'<text x="{left + plot_w + 36}" y="{y + 12}" class="l">'
            f"{escape(labels.get(name, name))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def horizontal_bars(
    title: str,
    rows: Sequence[tuple[str, float | None, str]],
    colour: str = PALETTE[0],
    empty: str = "nothing to show",
) -> str:
    """One bar per row: (label, value, text shown after the bar); ``None`` is withheld."""
    width, row_h, left, top = 760, 26, 220, 34
    height = top + row_h * max(len(rows), 1) + 10
    top_value = whole_ticks(max((v or 0 for _, v, _ in rows), default=0))[-1]
    plot_w = width - left - 170
    parts = _open(title, width, height)
    parts.append(f'<text x="8" y="20" class="t">{escape(title)}</text>')
    if not rows:
        parts.append(f'<text x="8" y="{top + 14}" class="a">{escape(empty)}</text>')
    for i, (label, value, text) in enumerate(rows):
        y = top + i * row_h
        w = plot_w * (value or 0) / top_value
        parts.append(
            f'<text x="{left - 6}" y="{y + 16}" class="l" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" fill="{colour}">'
            f"<title>{escape(label)}: {escape(text)}</title></rect>"
            f'<text x="{left + w + 6:.1f}" y="{y + 16}" class="a">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
