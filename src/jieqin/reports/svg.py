"""Charts as inline SVG text: no scripts, no fonts or files fetched, readable offline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

__all__ = ["PALETTE", "horizontal_bars", "stacked_columns"]

#: Colour-blind-safe colours (Okabe-Ito), one per series.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return float(step * magnitude)
    return float(10 * magnitude)


def stacked_columns(
    title: str,
    columns: Sequence[str],
    series: Sequence[str],
    values: Mapping[str, Mapping[str, int | None]],
    labels: Mapping[str, str] | None = None,
) -> str:
    """Columns (e.g. months) stacked by series (e.g. activity kinds); ``None`` counts as 0."""
    labels = labels or {}
    width, height, left, bottom, top = 720, 300, 50, 40, 30
    plot_w, plot_h = width - left - 150, height - bottom - top
    totals = [sum((values.get(c, {}).get(s) or 0) for s in series) for c in columns]
    top_value = _nice_max(max(totals, default=0))
    slot = plot_w / max(len(columns), 1)
    bar = slot * 0.7
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}"><title>{escape(title)}</title>',
        f'<text x="{left}" y="18" class="t">{escape(title)}</text>',
    ]
    for i in range(5):
        v = top_value * i / 4
        y = top + plot_h - plot_h * i / 4
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" class="g"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" class="a" text-anchor="end">{v:g}</text>'
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
            f'<text x="{x + bar / 2:.1f}" y="{top + plot_h + 14}" class="a" '
            f'text-anchor="middle">{escape(column[-2:] if len(columns) > 1 else column)}</text>'
        )
    for si, name in enumerate(series):
        y = top + 14 * si
        parts.append(
            f'<rect x="{left + plot_w + 12}" y="{y}" width="10" height="10" '
            f'fill="{PALETTE[si % len(PALETTE)]}"/>'
            f'<text x="{left + plot_w + 26}" y="{y + 9}" class="a">'
            f"{escape(labels.get(name, name))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def horizontal_bars(
    title: str,
    rows: Sequence[tuple[str, float | None, str]],
    colour: str = PALETTE[0],
) -> str:
    """One bar per row: (label, value, text shown after the bar); ``None`` is withheld."""
    width, row_h, left, top = 720, 24, 220, 30
    height = top + row_h * max(len(rows), 1) + 10
    top_value = _nice_max(max((v or 0 for _, v, _ in rows), default=0))
    plot_w = width - left - 140
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}"><title>{escape(title)}</title>',
        f'<text x="8" y="18" class="t">{escape(title)}</text>',
    ]
    if not rows:
        parts.append(f'<text x="8" y="{top + 14}" class="a">nothing to show</text>')
    for i, (label, value, text) in enumerate(rows):
        y = top + i * row_h
        w = plot_w * (value or 0) / top_value
        parts.append(
            f'<text x="{left - 6}" y="{y + 15}" class="a" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" fill="{colour}">'
            f"<title>{escape(label)}: {escape(text)}</title></rect>"
            f'<text x="{left + w + 6:.1f}" y="{y + 15}" class="a">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
