"""Server-rendered SVG for the dashboard (no JavaScript, no inline style: the CSP allows neither;
colours come from classes in static/css/readiness.css). Every chart carries its figures as text
too, in its <title> and beside it in the page, so nothing is said by colour alone."""

from __future__ import annotations

from datetime import datetime, timedelta

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


# --- the trend chart -----------------------------------------------------------------------------

CHART_W, CHART_H = 640, 220
PAD_L, PAD_R, PAD_T, PAD_B = 34, 74, 12, 28


def _day(moment: datetime) -> str:
    return f"{moment.day} {moment:%b}"


def trend_chart_svg(
    series: list[dict], *, start: datetime, end: datetime, label: str, ticks: list[datetime] | None = None
) -> str:
    """A line chart of scores (0 to 10) over time: ``series`` is a list of ``{"name", "css",
    "points": [(moment, value, note)]}``; each point is drawn where it happened (a run, a week's
    end), joined as steps (a score holds until the next one), with its value in a tooltip and the
    last value written at the right edge. Horizontal guides at 5 and 8 mark the heat map's fair
    and good. Empty when no series has a point."""
    if not any(s["points"] for s in series):
        return ""
    plot_w, plot_h = CHART_W - PAD_L - PAD_R, CHART_H - PAD_T - PAD_B
    span = max((end - start).total_seconds(), 1.0)

    def x(moment: datetime) -> float:
        return PAD_L + plot_w * min(max((moment - start).total_seconds() / span, 0.0), 1.0)

    def y(value: float) -> float:
        return PAD_T + plot_h * (1 - min(max(value, 0.0), 10.0) / 10)

    parts = []
    for value in (0, 5, 8, 10):
        css = {5: "guide guide-fair", 8: "guide guide-good"}.get(value, "axis-line")
        parts.append(
            f'<line class="{css}" x1="{PAD_L}" x2="{PAD_L + plot_w}" '
            f'y1="{y(value):.1f}" y2="{y(value):.1f}"/>'
        )
        parts.append(
            f'<text class="axis" x="{PAD_L - 6}" y="{y(value) + 4:.1f}" text-anchor="end">{value}</text>'
        )
    for moment in ticks or []:
        parts.append(
            f'<text class="axis" x="{x(moment):.1f}" y="{CHART_H - 8}" text-anchor="middle">'
            f"{escape(_day(moment))}</text>"
        )
        parts.append(
            f'<line class="tick" x1="{x(moment):.1f}" x2="{x(moment):.1f}" '
            f'y1="{PAD_T + plot_h}" y2="{PAD_T + plot_h + 4}"/>'
        )
    ends = []
    for s in series:
        points = s["points"]
        if not points:
            continue
        css = escape(s["css"])
        path = []
        for i, (moment, value, _note) in enumerate(points):
            px, py = x(moment), y(value)
            if i == 0:
                path.append(f"M{px:.1f},{py:.1f}")
            else:
                path.append(f"H{px:.1f}V{py:.1f}")
        path.append(f"H{x(end):.1f}")  # the last score holds until now
        parts.append(f'<path class="line {css}" d="{"".join(path)}"/>')
        for moment, value, note in points:
            tip = f"{s['name']}: {value:.1f} ({note})" if note else f"{s['name']}: {value:.1f}"
            parts.append(
                f'<circle class="dot {css}" cx="{x(moment):.1f}" cy="{y(value):.1f}" r="3.5">'
                f"<title>{escape(tip)}</title></circle>"
            )
        ends.append([y(points[-1][1]), f"{s['name']} {points[-1][1]:.1f}", css])
    # End labels, nudged apart when two lines end close together.
    ends.sort()
    for i in range(1, len(ends)):
        ends[i][0] = max(ends[i][0], ends[i - 1][0] + 13)
    for end_y, text, css in ends:
        parts.append(
            f'<text class="end-label {css}" x="{PAD_L + plot_w + 6}" y="{end_y + 4:.1f}">'
            f"{escape(text)}</text>"
        )
    return (
        f'<svg class="trend-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {CHART_W} {CHART_H}" '
        f'role="img" aria-label="{escape(label)}"><title>{escape(label)}</title>{"".join(parts)}</svg>'
    )


def _ticks(start: datetime, end: datetime, every: timedelta) -> list[datetime]:
    ticks, moment = [], start + every
    while moment <= end:
        ticks.append(moment)
        moment += every
    return ticks


def team_trend_chart(trend: dict) -> dict:
    """The dashboard's chart: the team's average and lowest score at the end of each week."""
    weeks = [w for w in trend["weeks"] if w["mean"] is not None]
    average = [(w["end"], w["mean"], f"week to {_day(w['end'])}, {w['count']} repositories") for w in weeks]
    lowest = [(w["end"], w["lowest"], f"week to {_day(w['end'])}") for w in weeks]
    if weeks:
        label = (
            f"Team score over {len(trend['weeks'])} weeks: average from {weeks[0]['mean']:.1f} to "
            f"{weeks[-1]['mean']:.1f}, lowest from {weeks[0]['lowest']:.1f} to {weeks[-1]['lowest']:.1f}"
        )
    else:
        label = "No score yet"
    svg = trend_chart_svg(
        [
            {"name": "Average", "css": "series-mean", "points": average},
            {"name": "Lowest", "css": "series-low", "points": lowest},
        ],
        start=trend["start"],
        end=trend["end"],
        label=label,
        ticks=_ticks(trend["start"], trend["end"], timedelta(weeks=2)),
    )
    now = {"mean": weeks[-1]["mean"], "lowest": weeks[-1]["lowest"]} if weeks else None
    return {"svg": svg, "label": label, "rows": weeks, "now": now}


def repository_trend_chart(trend: dict) -> dict:
    """The repository page's chart: the primary checklist's score at every run."""
    points = trend["points"]
    series = [
        (
            p["at"],
            p["score"],
            "before these weeks" if p["carried"] else f"run #{p['run_id']}, {_day(p['at'])}",
        )
        for p in points
    ]
    runs = [p for p in points if not p["carried"]]
    if points:
        label = (
            f"{trend['title']} score over 12 weeks: {len(runs)} run{'s' if len(runs) != 1 else ''}, "
            f"from {points[0]['score']:.1f} to {points[-1]['score']:.1f}"
        )
    else:
        label = "No score yet"
    svg = trend_chart_svg(
        [{"name": "Score", "css": "series-mean", "points": series}],
        start=trend["start"],
        end=trend["end"],
        label=label,
        ticks=_ticks(trend["start"], trend["end"], timedelta(weeks=2)),
    )
    now = {"score": points[-1]["score"]} if points else None
    return {"svg": svg, "label": label, "rows": points, "now": now}
