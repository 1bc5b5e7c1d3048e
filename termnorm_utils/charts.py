"""Charts as standalone SVG, with no plotting library: the run report's bars, the training
loss curves."""

from __future__ import annotations

import html
import math


def bar_chart(rows: list[tuple[str, int]], width: int = 720, bar: int = 18) -> str:
    """Horizontal bars as an SVG element; labels escaped, counts printed at the bar ends."""
    if not rows:
        return '<p class="empty">nothing to show</p>'
    top = max(n for _, n in rows) or 1
    label_w, gap = 260, 4
    height = len(rows) * (bar + gap)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">'
    ]
    for i, (k, n) in enumerate(rows):
        y = i * (bar + gap)
        w = max(1, round((width - label_w - 80) * n / top)) if n else 0
        label = html.escape(str(k)[:40])
        parts.append(
            f'<text x="{label_w - 6}" y="{y + bar - 5}" text-anchor="end">{label}</text>'
            f'<rect class="bar" x="{label_w}" y="{y}" width="{w}" height="{bar}">'
            f"<title>{label}: {n:,}</title></rect>"
            f'<text x="{label_w + w + 6}" y="{y + bar - 5}">{n:,}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    series: dict[str, list[tuple[float, float]]],
    xlabel: str,
    ylabel: str,
    width: int = 640,
    height: int = 320,
) -> str:
    """Lines as a standalone SVG document (loss curves): axes with min/max ticks, a legend."""
    pts = [p for s in series.values() for p in s if p[1] is not None and math.isfinite(p[1])]
    left, bottom, pad = 60, 40, 12
    svg = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            'font-family="sans-serif" font-size="12">'
        )
    ]
    if pts:
        x0, x1 = min(p[0] for p in pts), max(p[0] for p in pts)
        y0, y1 = min(p[1] for p in pts), max(p[1] for p in pts)
        x1, y1 = (x1 if x1 > x0 else x0 + 1), (y1 if y1 > y0 else y0 + 1)

        def xy(x, y):
            return (
                left + (x - x0) / (x1 - x0) * (width - left - pad),
                height - bottom - (y - y0) / (y1 - y0) * (height - bottom - pad),
            )

        svg.append(
            f'<path d="M{left},{pad}V{height - bottom}H{width - pad}" stroke="#444" fill="none"/>'
        )
        for v, (x, y), anchor in (
            (y0, (left - 4, height - bottom), "end"),
            (y1, (left - 4, pad + 10), "end"),
        ):
            svg.append(f'<text x="{x}" y="{y}" text-anchor="{anchor}">{v:.3g}</text>')
        svg.append(
            f'<text x="{left}" y="{height - bottom + 16}">{x0:g}</text>'
            f'<text x="{width - pad}" y="{height - bottom + 16}" text-anchor="end">'
            f"{x1:g}</text>"
            f'<text x="{(left + width) / 2}" y="{height - 6}" text-anchor="middle">'
            f"{html.escape(xlabel)}</text>"
            f'<text x="14" y="{height / 2}" transform="rotate(-90 14 {height / 2})" '
            f'text-anchor="middle">{html.escape(ylabel)}</text>'
        )
        for i, (name, s) in enumerate(series.items()):
            color = ("#4a7ab5", "#d9822b", "#3c9a5f", "#a4508b")[i % 4]
            path = " ".join(
                f"{'M' if j == 0 else 'L'}{x:.1f},{y:.1f}"
                for j, (x, y) in enumerate(xy(a, b) for a, b in s)
            )
            svg.append(
                f'<path d="{path}" stroke="{color}" fill="none" stroke-width="1.5"/>'
                f'<text x="{width - pad}" y="{pad + 14 * (i + 1)}" text-anchor="end" '
                f'fill="{color}">{html.escape(name)}</text>'
            )
    svg.append("</svg>")
    return "".join(svg)
