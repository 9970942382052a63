"""Inline SVG line charts of a metric across releases: one point per release that records the metric, no
script, no CDN; each point carries its version and value as a tooltip and the figure a text alternative."""

from __future__ import annotations

from gitmodel.review.render import value
from gitmodel.review.trends import is_number, lower_is_better
from gitmodel.site.html import esc

WIDTH, HEIGHT = 320, 150
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 28


def _fmt(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def metric_points(rows: list[tuple[str, dict[str, object]]], metric: str) -> list[tuple[str, float]]:
    """(version label, value) for each release whose metrics hold a number for `metric`, oldest first."""
    return [(label, float(m[metric])) for label, m in rows if is_number(m.get(metric))]  # type: ignore[arg-type]


def line_chart(metric: str, points: list[tuple[str, float]], key: int) -> str:
    """A `<figure>` with an SVG chart of `points`; `key` makes the ids unique on the page."""
    low, high = min(v for _l, v in points), max(v for _l, v in points)
    span = high - low or abs(high) or 1.0
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = inner_w / (len(points) - 1) if len(points) > 1 else 0.0
    coords = []
    for i, (_label, v) in enumerate(points):
        x = LEFT + (i * step if len(points) > 1 else inner_w / 2)
        y = TOP + inner_h - ((v - low) / span * inner_h if high != low else inner_h / 2)
        coords.append((x, y))
    direction = "lower is better" if lower_is_better(metric) else "higher is better"
    summary = ", ".join(f"{label}: {value(v)}" for label, v in points)
    title_id = f"chart-{key}"
    circles = "".join(
        f'<circle class="point" cx="{_fmt(x)}" cy="{_fmt(y)}" r="4" data-version="{esc(label)}" '
        f'data-value="{esc(value(v))}"><title>{esc(label)}: {esc(value(v))}</title></circle>'
        for (label, v), (x, y) in zip(points, coords, strict=True))
    polyline = " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in coords)
    bottom = HEIGHT - BOTTOM
    labels = (f'<text x="{LEFT - 4}" y="{TOP + 4}" text-anchor="end">{esc(value(high))}</text>'
              f'<text x="{LEFT - 4}" y="{bottom}" text-anchor="end">{esc(value(low))}</text>'
              f'<text x="{LEFT}" y="{HEIGHT - 8}">{esc(points[0][0])}</text>'
              f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 8}" text-anchor="end">{esc(points[-1][0])}</text>')
    return (f'<figure class="metric" data-metric="{esc(metric)}"><figcaption>{esc(metric)} '
            f'<span class="muted">({direction})</span></figcaption>'
            f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{title_id}">'
            f'<title id="{title_id}">{esc(metric)} across {len(points)} release(s): {esc(summary)}</title>'
            f'<path class="axis" fill="none" d="M{LEFT} {TOP}V{bottom}H{WIDTH - RIGHT}"/>'
            f'<polyline class="line" fill="none" points="{polyline}"/>{circles}{labels}</svg></figure>')
