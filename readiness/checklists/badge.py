"""The README badge: a small SVG with the score and level, coloured by score (no fonts fetched)."""

from __future__ import annotations

from xml.sax.saxutils import escape

COLOURS = {"good": "#1c7c3a", "fair": "#9a6200", "poor": "#b3261e", "none": "#6b7280"}


def badge_colour(score: float | None) -> str:
    if score is None:
        return COLOURS["none"]
    if score >= 8:
        return COLOURS["good"]
    if score >= 5:
        return COLOURS["fair"]
    return COLOURS["poor"]


def _width(text: str) -> int:
    return 10 + int(len(text) * 6.6)


def badge_svg(score) -> str:
    """The badge of a ``ReadinessScore`` (readiness/checklists/score.py): ``8.2/10 silver``, or
    ``not analysed`` / ``analysis failed`` in grey, never 0.0."""
    label = "readiness"
    value = score.text
    if score.scored and score.level:
        value += f" {score.level}"
    lw, vw = _width(label), _width(value)
    total = lw + vw
    colour = badge_colour(score.value if score.scored else None)
    label_e, value_e = escape(label), escape(value)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" '
        f'aria-label="{label_e}: {value_e}"><title>{label_e}: {value_e}</title>'
        f'<rect width="{lw}" height="20" fill="#555"/>'
        f'<rect x="{lw}" width="{vw}" height="20" fill="{colour}"/>'
        f'<g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="{lw / 2}" y="14">{label_e}</text>'
        f'<text x="{lw + vw / 2}" y="14">{value_e}</text></g></svg>'
    )


def sparkline_svg(values: list[float | None], *, width: int = 96, height: int = 24) -> str:
    """A server-rendered trend line of scores 0..10 (gaps where there is no score yet)."""
    n = len(values)
    if n == 0 or all(v is None for v in values):
        return ""
    step = width / max(n - 1, 1)
    segments: list[list[str]] = [[]]
    last_point = ""
    for i, value in enumerate(values):
        if value is None:
            if segments[-1]:
                segments.append([])
            continue
        x = round(i * step, 1)
        y = round(height - 2 - (value / 10) * (height - 4), 1)
        last_point = f'<circle cx="{x}" cy="{y}" r="2"/>'
        segments[-1].append(f"{x},{y}")
    paths = "".join(
        f'<polyline points="{" ".join(points)}" fill="none" stroke="currentColor" stroke-width="1.5"/>'
        for points in segments
        if points
    )
    latest = next((v for v in reversed(values) if v is not None), None)
    first = next((v for v in values if v is not None), None)
    label = f"trend over {n} weeks: from {first:.1f} to {latest:.1f}"
    return (
        f'<svg class="spark" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{label}"><title>{label}</title>'
        f'<g fill="currentColor">{paths}{last_point}</g></svg>'
    )
