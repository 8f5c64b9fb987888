"""The audit log: a team's (leads), and the whole instance's (administrators), as sentences with
filters and pages, and as CSV."""

import csv
import json

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from readiness.teams.access import team_view
from readiness.teams.activity import activity_sentence
from readiness.teams.forms import ActivityFilterForm, AuditFilterForm
from readiness.teams.models import ActivityEvent, Role
from readiness.teams.selectors import activity_filtered

EVENTS_PER_PAGE = 50
CSV_COLUMNS = ["time", "team", "actor", "ip", "action", "sentence", "object", "target", "changes", "details"]
LEADS_ONLY = "Only team leads can read the activity log."


def _filtered(request, events, form_class):
    form = form_class(request.GET or None)
    if form.is_valid():
        events = activity_filtered(events, form.cleaned_data)
    elif form.is_bound:
        events = events.none()
    return form, events.select_related("actor", "team")


def _page(request, template, events, form, **context):
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    for event in page:
        event.sentence = activity_sentence(event)
    query = request.GET.copy()
    query.pop("page", None)
    context.update(form=form, page=page, query=query.urlencode())
    return render(request, template, context, status=400 if form.is_bound and not form.is_valid() else 200)


@team_view(min_role=Role.LEAD, refusal=LEADS_ONLY)
def activity(request, membership):
    team = membership.team
    form, events = _filtered(request, ActivityEvent.objects.filter(team=team), ActivityFilterForm)
    return _page(request, "teams/activity.html", events, form, team=team)


@team_view(min_role=Role.LEAD, refusal=LEADS_ONLY)
def activity_export(request, membership):
    team = membership.team
    _form, events = _filtered(request, ActivityEvent.objects.filter(team=team), ActivityFilterForm)
    return _csv(events, f"activity-{team.slug}")


def _staff(request):
    # Not a team route: an account that is not an administrator is told nothing exists here.
    if not (request.user.is_staff or request.user.is_superuser):
        raise Http404


@login_required
@require_GET
def audit(request):
    _staff(request)
    form, events = _filtered(request, ActivityEvent.objects.all(), AuditFilterForm)
    return _page(request, "teams/audit.html", events, form)


@login_required
@require_GET
def audit_export(request):
    _staff(request)
    _form, events = _filtered(request, ActivityEvent.objects.all(), AuditFilterForm)
    return _csv(events, "audit")


class _Echo:
    def write(self, value):
        return value


def _csv(events, name: str) -> StreamingHttpResponse:
    """Every matching event (no page limit), streamed, oldest last like the page."""
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(CSV_COLUMNS)
        for event in events.iterator(chunk_size=500):
            yield writer.writerow([_cell(value) for value in _row(event)])

    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    return response


def _row(event):
    return [
        event.created_at.isoformat(),
        event.team.slug if event.team_id else "",
        event.actor_name or (event.actor.get_username() if event.actor_id else ""),
        event.ip or "",
        event.verb,
        activity_sentence(event),
        f"{event.object_type}:{event.object_id}" if event.object_type else "",
        event.target,
        json.dumps(event.changes, ensure_ascii=False) if event.changes else "",
        json.dumps(event.details, ensure_ascii=False) if event.details else "",
    ]


def _cell(value: str) -> str:
    # A cell a spreadsheet would read as a formula (=, +, -, @) is quoted: CSV injection.
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
