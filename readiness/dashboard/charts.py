"""Server-rendered SVG for the dashboard (no JavaScript, no inline style: the CSP allows neither;
colours come from classes in static/css/readiness.css). Every chart carries its figures as text
too, in its <title> and beside it in the page, so nothing is said by colour alone."""

from __future__ import annotations

from django.utils.html import escape

LEVEL_NAMES = {"gold": "Gold", "silver": "Silver", "bronze": "Bronze", "none": "No level"}


def level_bar_svg(levels: list[dict], *, width: int = 240, height: int = 14) -> str:
    """One horizontal bar split by level (gold, silver, bronze, none), widths proportional to the
    number of repositories at each; empty when there are none."""
    total = sum(entry["count"] for entry in levels)
    if not total:
        return ""
    x = 0.0
    rects = []
    for entry in levels:
        if not entry["count"]:
            continue
        w = width * entry["count"] / total
        name = LEVEL_NAMES.get(entry["level"], entry["level"])
        rects.append(
            f'<rect class="bar-{escape(entry["level"])}" x="{x:.1f}" y="0" width="{w:.1f}" height="{height}">'
            f"<title>{escape(name)}: {entry['count']}</title></rect>"
        )
        x += w
    label = ", ".join(f"{LEVEL_NAMES.get(e['level'], e['level'])} {e['count']}" for e in levels if e["count"])
    return (
        f'<svg class="level-bar" xmlns="http://www.w3.org/2000/svg" width="100%" height="{height}" '
        f'viewBox="0 0 {width} {height}" preserveAspectRatio="none" role="img" '
        f'aria-label="Repositories by level: {escape(label)}">{"".join(rects)}</svg>'
    )
