"""``{% reports_team_notice team membership %}``: the team page's link to its reports and, for
leads, the reports that could not be sent (so a failure is never silent)."""

from django import template

from readiness.reports import selectors

register = template.Library()


@register.inclusion_tag("reports/_team_notice.html")
def reports_team_notice(team, membership):
    is_lead = membership is not None and membership.is_lead
    failed = list(selectors.reports_failed_for_team(team=team)[:5]) if is_lead else []
    return {"team": team, "failed": failed, "is_lead": is_lead}
