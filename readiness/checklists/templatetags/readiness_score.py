"""``{% readiness_score score %}``: the readiness score as every page writes it (docs/scoring.md):
"8.2/10 · 12 of 40 reviewed", or why there is none ("not analysed", "analysis failed"), never 0.0.
``compact=True`` leaves the coverage out.

Written in Python rather than as an included template: tables repeat it on every row (25 on a
dashboard page, 50 on a team's), where an include cost about ten times as much."""

from django import template
from django.template.defaultfilters import floatformat
from django.utils.html import format_html

from readiness.checklists.score import ANALYSIS_FAILED, ReadinessScore

register = template.Library()

COVERAGE_TITLE = "manual items nobody has reviewed yet are left out of the score; levels still need them"


@register.simple_tag
def readiness_score(score: ReadinessScore | None, compact: bool = False) -> str:
    if score is None:
        return ""
    if score.scored:
        shown = format_html(
            '<span class="score {}">{}<small>/10</small></span>', score.css, floatformat(score.value, 1)
        )
    elif score.status == ANALYSIS_FAILED:
        title = format_html(' title="{}"', score.error) if score.error else ""
        shown = format_html('<span class="status status-failed"{}>{}</span>', title, score.text)
    else:
        shown = format_html('<span class="muted">{}</span>', score.text)
    coverage = ""
    if score.coverage and not compact:
        coverage = format_html(
            ' <small class="muted coverage" title="{}">· {}</small>', COVERAGE_TITLE, score.coverage
        )
    return format_html(
        '<span class="readiness-score" data-readiness-score="{}">{}{}</span>', score.short, shown, coverage
    )
