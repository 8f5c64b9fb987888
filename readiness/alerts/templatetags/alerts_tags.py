"""``{% alerts_team_notice team membership %}``: the team page's link to its alerts and, for
leads, the alerts that could not be delivered (so a failure is never silent)."""

from django import template

from readiness.alerts import selectors

register = template.Library()


@register.inclusion_tag("alerts/_team_notice.html")
def alerts_team_notice(team, membership):
    is_lead = membership is not None and membership.is_lead
    failed = list(selectors.failed_deliveries(team=team, limit=5)) if is_lead else []
    return {"team": team, "failed": failed, "is_lead": is_lead}
