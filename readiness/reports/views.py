"""Pages for weekly reports: the list and a sent report (members), preview, send now, settings and
try again (leads), a member's own subscription, and one-click unsubscribe (no login)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from readiness.reports import selectors, services
from readiness.reports.forms import ScheduleForm
from readiness.teams.models import Role
from readiness.teams.selectors import membership_get, role_at_least

# A stored e-mail shown in the browser may hold no script and load nothing: inline styles only (the
# e-mail's own). It replaces the site's policy (django-csp keeps a header a view has set) and may
# be framed by our own pages only.
EMAIL_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; frame-ancestors 'self'"
)


def _membership(request, team_slug, *, lead=False):
    membership = membership_get(user=request.user, team_slug=team_slug)
    return membership, (role_at_least(membership, Role.LEAD) if lead else True)


def _email_response(body: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = EMAIL_CSP
    return response


@login_required
@require_GET
def report_list(request, team_slug):
    membership, _ = _membership(request, team_slug)
    team = membership.team
    schedule = selectors.schedule_for_team(team=team)
    context = {
        "team": team,
        "membership": membership,
        "is_lead": role_at_least(membership, Role.LEAD),
        "reports": selectors.report_list_for_team(team=team)[:52],
        "schedule": schedule,
        "weekday_name": dict(ScheduleForm.base_fields["weekday"].choices)[schedule.weekday],
        "receives": selectors.subscription_for(membership=membership),
        "has_email": bool(request.user.email),
    }
    return render(request, "reports/report_list.html", context)


@login_required
@require_GET
def report_detail(request, team_slug, report_id):
    membership, _ = _membership(request, team_slug)
    report = selectors.report_get(team=membership.team, report_id=report_id)
    context = {
        "team": membership.team,
        "report": report,
        "is_lead": role_at_least(membership, Role.LEAD),
        "body_text": services.stored_body(report.body_text, team=membership.team),
    }
    return render(request, "reports/report_detail.html", context)


@login_required
@require_GET
@xframe_options_sameorigin
def report_html(request, team_slug, report_id):
    membership, _ = _membership(request, team_slug)
    report = selectors.report_get(team=membership.team, report_id=report_id)
    return _email_response(services.stored_body(report.body_html, team=membership.team))


@login_required
@require_GET
def report_preview(request, team_slug):
    membership, is_lead = _membership(request, team_slug, lead=True)
    if not is_lead:
        return HttpResponseForbidden("Only team leads can preview the weekly report.")
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


@login_required
@require_GET
@xframe_options_sameorigin
def report_preview_html(request, team_slug):
    membership, is_lead = _membership(request, team_slug, lead=True)
    if not is_lead:
        return HttpResponseForbidden("Only team leads can preview the weekly report.")
    preview = services.report_preview(team=membership.team)
    return _email_response(services.stored_body(preview["body_html"], team=membership.team))


@login_required
@require_POST
def report_send_now(request, team_slug):
    membership, is_lead = _membership(request, team_slug, lead=True)
    if not is_lead:
        return HttpResponseForbidden("Only team leads can send the weekly report.")
    try:
        services.report_send_now(team=membership.team, user=request.user)
    except services.ReportError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "This week's report is on its way; the schedule will not send it again.")
    return redirect("reports:list", team_slug=team_slug)


@login_required
@require_POST
def report_retry(request, team_slug, report_id):
    membership, is_lead = _membership(request, team_slug, lead=True)
    report = selectors.report_get(team=membership.team, report_id=report_id)
    if not is_lead:
        return HttpResponseForbidden("Only team leads can send the weekly report.")
    try:
        services.report_retry(report=report, user=request.user)
    except services.ReportError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Trying again, to the recipients who did not get it.")
    return redirect("reports:detail", team_slug=team_slug, report_id=report.pk)


@login_required
@require_http_methods(["GET", "POST"])
def report_settings(request, team_slug):
    membership, is_lead = _membership(request, team_slug, lead=True)
    if not is_lead:
        return HttpResponseForbidden("Only team leads can change the weekly report's settings.")
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
        return redirect("reports:list", team_slug=team_slug)
    status = 400 if form.is_bound else 200
    return render(request, "reports/report_settings.html", {"team": team, "form": form}, status=status)


@login_required
@require_POST
def subscription_toggle(request, team_slug):
    membership, _ = _membership(request, team_slug)
    receives = request.POST.get("receives") == "on"
    services.subscription_set(team=membership.team, user=request.user, receives=receives)
    messages.success(request, "You will receive the report." if receives else "You will not receive it.")
    return redirect("reports:list", team_slug=team_slug)


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
