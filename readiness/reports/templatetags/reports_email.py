"""Filters for the e-mail templates: one way to print a score and a change, in both parts."""

from django import template

register = template.Library()

STATUS_COLOURS = {
    "Fixed": "#1a7f37",
    "Improved": "#1a7f37",
    "Maintained": "#57606a",
    "Regressed": "#cf222e",
    "New": "#0969da",
    "Removed": "#57606a",
}


@register.filter
def score(value) -> str:
    return "n/a" if value is None else f"{value:.1f}/10"


@register.filter
def change(value) -> str:
    if value is None:
        return "—"
    return "±0.0" if value == 0 else f"{value:+.1f}"


@register.filter
def status_colour(status) -> str:
    return STATUS_COLOURS.get(status, "#57606a")


@register.filter
def score_colour(value) -> str:
    if value is None:
        return "#57606a"
    return "#1a7f37" if value >= 8 else "#9a6700" if value >= 5 else "#cf222e"


@register.filter
def verdict(status) -> str:
    """How a newly failing check's status reads: "Newly failing", "Now warning"."""
    return {"warn": "Now warning"}.get(status, "Newly failing")
