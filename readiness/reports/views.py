"""Pages for weekly reports: the list and a sent report (members), preview, send now, settings and
try again (leads), a member's own subscription, and one-click unsubscribe (no login)."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from readiness.reports import selectors, services
from readiness.reports.forms import ScheduleForm
from readiness.teams.access import team_view
from readiness.teams.models import Role

# A stored e-mail shown in the browser may hold no script and load nothing: inline styles only (the
# e-mail's own). It replaces the site's policy (django-csp keeps a header a view has set) and may
# be framed by our own pages only.
EMAIL_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; frame-ancestors 'self'"
)


LEADS_PREVIEW = "Only team leads can preview the weekly report."
LEADS_SEND = "Only team leads can send the weekly report."


def _report(membership, kwargs) -> dict:
    """The team's report of the URL (404 before any role is judged)."""
    return {"report": selectors.report_get(team=membership.team, report_id=kwargs.pop("report_id"))}


def _email_response(body: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = EMAIL_CSP
    return response


@team_view()
def report_list(request, membership):
    team = membership.team
    schedule = selectors.schedule_for_team(team=team)
    context = {
        "team": team,
        "membership": membership,
        "is_lead": membership.is_lead,
        "reports": selectors.report_list_for_team(team=team)[:52],
        "schedule": schedule,
        "weekday_name": dict(ScheduleForm.base_fields["weekday"].choices)[schedule.weekday],
        "receives": selectors.subscription_for(membership=membership),
        "has_email": bool(request.user.email),
    }
    return render(request, "reports/report_list.html", context)


@team_view(scope=_report)
def report_detail(request, membership, report):
    context = {
        "team": membership.team,
        "report": report,
        "is_lead": membership.is_lead,
        "body_text": services.stored_body(report.body_text, team=membership.team),
    }
    return render(request, "reports/report_detail.html", context)


@team_view(scope=_report)
@xframe_options_sameorigin
def report_html(request, membership, report):
    return _email_response(services.stored_body(report.body_html, team=membership.team))


@team_view(min_role=Role.LEAD, refusal=LEADS_PREVIEW)
def report_preview(request, membership):
    preview = services.report_preview(team=membership.team)
    context = {
        "team": membership.team,
        "subject": preview["subject"],
        "body_text": services.stored_body(preview["body_text"], team=membership.team),
        "recipients": selectors.report_recipients(team=membership.team),
        "week_start": preview["data"]["week_start"],
        "week": preview["data"]["week"],
    }
    return render(request, "reports/report_preview.html", context)


@team_view(min_role=Role.LEAD, refusal=LEADS_PREVIEW)
@xframe_options_sameorigin
def report_preview_html(request, membership):
    preview = services.report_preview(team=membership.team)
    return _email_response(services.stored_body(preview["body_html"], team=membership.team))


@team_view(methods=["POST"], min_role=Role.LEAD, refusal=LEADS_SEND)
def report_send_now(request, membership):
    try:
        services.report_send_now(team=membership.team, user=request.user)
    except services.ReportError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "This week's report is on its way; the schedule will not send it again.")
    return redirect("reports:list", team_slug=membership.team.slug)


@team_view(methods=["POST"], min_role=Role.LEAD, refusal=LEADS_SEND, scope=_report)
def report_retry(request, membership, report):
    try:
        services.report_retry(report=report, user=request.user)
    except services.ReportError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Trying again, to the recipients who did not get it.")
    return redirect("reports:detail", team_slug=membership.team.slug, report_id=report.pk)


@team_view(
    methods=["GET", "POST"],
    min_role=Role.LEAD,
    refusal="Only team leads can change the weekly report's settings.",
)
def report_settings(request, membership):
    team = membership.team
    schedule = selectors.schedule_for_team(team=team)
    row = team.report_schedule if hasattr(team, "report_schedule") else None
    form = ScheduleForm(
        request.POST or None,
        initial={
            "enabled": schedule.enabled,
            "weekday": schedule.weekday,
            "hour": schedule.hour,
            "timezone": schedule.timezone,
            "external_addresses": "\n".join(row.external_addresses) if row else "",
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.schedule_update(
            team=team,
            weekday=data["weekday"],
            hour=data["hour"],
            timezone_name=data["timezone"],
            enabled=data["enabled"],
            external_addresses=data["external_addresses"],
        )
        messages.success(request, "Report settings saved.")
        return redirect("reports:list", team_slug=membership.team.slug)
    status = 400 if form.is_bound else 200
    return render(request, "reports/report_settings.html", {"team": team, "form": form}, status=status)


@team_view(methods=["POST"])
def subscription_toggle(request, membership):
    receives = request.POST.get("receives") == "on"
    services.subscription_set(team=membership.team, user=request.user, receives=receives)
    messages.success(request, "You will receive the report." if receives else "You will not receive it.")
    return redirect("reports:list", team_slug=membership.team.slug)


@csrf_exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" with no session or token
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """GET shows a confirmation (link scanners follow GETs); POST turns the report off. The signed
    token is the authority: no login is needed, and it names one user or address of one team."""
    try:
        payload = services.unsubscribe_read(token)
    except services.ReportError as exc:
        return render(request, "reports/unsubscribe.html", {"error": str(exc)}, status=400)
    if request.method == "GET":
        team = selectors.team_by_id(team_id=payload["t"])
        return render(request, "reports/unsubscribe.html", {"token": token, "team": team, "payload": payload})
    try:
        result = services.report_unsubscribe(token=token)
    except services.ReportError as exc:
        return render(request, "reports/unsubscribe.html", {"error": str(exc)}, status=400)
    context = {"done": True, "team": result["team"], "external": payload.get("u") is None}
    return render(request, "reports/unsubscribe.html", context)
