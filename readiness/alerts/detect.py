"""What is worth an alert, found where it happens (docs/alerts.md):

- ``alerts_run_finished`` (called by the pipeline when an analysis ends): the score dropped by the
  team's threshold or the level was lost, against the previous succeeded run of the default
  branch; checks that newly fail; analyses failing ``analysis_failures`` times in a row.
- ``alerts_scan_endpoints`` (beat, every 15 s): an incident with ``endpoint_failures`` failed probes
  is "down"; its end is "recovered", with its duration. A flapping endpoint sends at most one
  down/up pair per FLAP_WINDOW: later ones are recorded as suppressed.
- ``alerts_scan_waivers`` (beat, every 15 minutes): waivers ending within 7 days, and waivers that
  ended (in the last EXPIRED_LOOKBACK_DAYS, so a first deployment does not announce old ones).

Each event's dedup key names it (repository, kind, subject, run or incident), so finding it twice
(two beats, a retried task) records it once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from readiness.alerts.models import AlertEvent, AlertSettings, Channel, EventKind
from readiness.alerts.services import NewEvent, alert_events_record, site_url
from readiness.checklists.models import AppliedChecklist, ChecklistSnapshot, TemplateItem, Waiver
from readiness.endpoints.models import Incident, ProbeRecord
from readiness.repos.models import AnalysisRun, CheckResult, RunStatus

logger = logging.getLogger(__name__)

FLAP_WINDOW = timedelta(minutes=10)
REMIND_DAYS = 7
EXPIRED_LOOKBACK_DAYS = 3
RECOVERED_LOOKBACK = timedelta(days=1)
LEVELS = {"": 0, "bronze": 1, "silver": 2, "gold": 3}
MAX_DETAILS = 20


def _settings(team_ids) -> dict[int, AlertSettings]:
    rows = {s.team_id: s for s in AlertSettings.objects.filter(team_id__in=team_ids)}
    return {team_id: rows.get(team_id) or AlertSettings(team_id=team_id) for team_id in team_ids}


def _teams_listening(team_ids) -> set[int]:
    """Teams with at least one enabled channel: no one else's events are worth recording."""
    return set(Channel.objects.filter(team_id__in=team_ids, enabled=True).values_list("team_id", flat=True))


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 1:
        return f"{round(seconds)} s"
    if minutes < 120:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


# --- analyses -------------------------------------------------------------------------------------


def _on_default_branch(run: AnalysisRun) -> bool:
    ref = getattr(run, "ref", "") or ""  # runs of other refs (when they exist) are not the service's state
    return ref in ("", run.repository.branch)


def run_score(run: AnalysisRun) -> tuple[float | None, str]:
    """The score and level the dashboard shows for ``run``: the primary checklist's snapshot of the
    run, else the engine's overall score (no checklist applied)."""
    primary = AppliedChecklist.objects.filter(repository_id=run.repository_id, primary=True).first()
    if primary is not None:
        snapshot = ChecklistSnapshot.objects.filter(run=run, template_id=primary.template_id).first()
        if snapshot is not None:
            return snapshot.overall, snapshot.level
    return run.score, ""


def _previous_succeeded(run: AnalysisRun) -> AnalysisRun | None:
    runs = AnalysisRun.objects.filter(repository_id=run.repository_id).exclude(pk=run.pk)
    if run.finished_at:
        runs = runs.filter(finished_at__lte=run.finished_at)
    previous = [r for r in runs.finished_newest_first()[:5] if _on_default_branch(r)]
    return previous[0] if previous else None


def alerts_run_finished(*, run: AnalysisRun, now: datetime | None = None) -> list[AlertEvent]:
    """The events a finished run brings (the pipeline calls this; it never raises)."""
    try:
        return _run_finished(run, now or timezone.now())
    except Exception:  # the run's results are committed; an alert lost is logged, never the run
        logger.exception("alerts for run %s could not be recorded", run.pk)
        return []


def _run_finished(run: AnalysisRun, now: datetime) -> list[AlertEvent]:
    repository = run.repository
    if repository.is_archived or not _teams_listening([repository.team_id]) or not _on_default_branch(run):
        return []
    settings = _settings([repository.team_id])[repository.team_id]
    run_url = site_url(
        reverse(
            "run_detail",
            kwargs={"team_slug": repository.team.slug, "repo_slug": repository.slug, "run_id": run.pk},
        )
    )
    events = []
    base = {"team_id": repository.team_id, "repository_id": repository.pk, "ref": f"run:{run.pk}"}
    if run.status == RunStatus.FAILED:
        event = _analysis_failing(run, settings, base, run_url)
        events += [event] if event else []
    elif run.status == RunStatus.SUCCEEDED:
        previous = _previous_succeeded(run)
        if previous is not None:
            events += _regressions(run, previous, settings, base, run_url, now)
    return alert_events_record(events=events, now=now)


def _regressions(run, previous, settings, base, run_url, now) -> list[NewEvent]:
    events = []
    new_score, new_level = run_score(run)
    old_score, old_level = run_score(previous)
    dropped = (
        old_score is not None
        and new_score is not None
        and old_score - new_score >= settings.score_drop - 1e-9
    )
    lost_level = LEVELS.get(new_level or "", 0) < LEVELS.get(old_level or "", 0)
    results = {r.check_id: r for r in CheckResult.objects.filter(run=run)}
    before = dict(CheckResult.objects.filter(run=previous).values_list("check_id", "status"))
    newly_failing = [
        r for cid, r in sorted(results.items()) if r.status == "fail" and before.get(cid, "fail") != "fail"
    ]
    details = [{"title": r.title, "fix": r.remediation} for r in newly_failing[:MAX_DETAILS]]
    if dropped or lost_level:
        parts = []
        if old_score is not None and new_score is not None:
            parts.append(f"score {old_score:.1f} → {new_score:.1f}")
        if lost_level:
            parts.append(f"level {(old_level or 'none').title()} → {(new_level or 'none').title()}")
        title = ", ".join(parts)
        events.append(
            NewEvent(
                **base,
                kind=EventKind.SCORE_DROP,
                subject="score",
                title=title,
                happened_at=run.finished_at or now,
                data={
                    "summary": f"{title} on {run.repository.branch}",
                    "old": old_score,
                    "new": new_score,
                    "old_level": old_level,
                    "new_level": new_level,
                    "details": details,
                    "url": run_url,
                    "commit": run.commit_sha[:12],
                },
            )
        )
    for result in newly_failing:
        events.append(
            NewEvent(
                **base,
                kind=EventKind.CHECK_FAILS,
                subject=result.check_id,
                title=f"newly fails: {result.title}",
                happened_at=run.finished_at or now,
                data={
                    "summary": f"Newly failing: {result.title}",
                    "details": [{"title": result.title, "fix": result.remediation}],
                    "check": result.check_id,
                    "url": run_url,
                },
            )
        )
    return events


def _analysis_failing(run, settings, base, run_url) -> NewEvent | None:
    """Once per streak: when the last ``analysis_failures`` finished runs all failed; the streak is
    named by its first failed run, so the 4th and 5th failures add nothing."""
    finished = list(
        AnalysisRun.objects.filter(
            repository_id=run.repository_id, status__in=[RunStatus.SUCCEEDED, RunStatus.FAILED]
        )
        .order_by("-finished_at", "-id")
        .values_list("pk", "status")[:200]
    )
    streak = []
    for pk, status in finished:
        if status != RunStatus.FAILED:
            break
        streak.append(pk)
    if len(streak) < settings.analysis_failures:
        return None
    return NewEvent(
        **{**base, "ref": f"streak:{streak[-1]}"},
        kind=EventKind.ANALYSIS_FAILING,
        subject="analysis",
        title=f"{len(streak)} analyses in a row failed",
        happened_at=run.finished_at or timezone.now(),
        data={
            "summary": f"The last {len(streak)} analyses failed: {run.error[:300]}",
            "details": [
                {"title": run.error[:300], "fix": "Check the repository's URL and token in its settings."}
            ],
            "url": run_url,
        },
    )


# --- endpoints ------------------------------------------------------------------------------------


def alerts_scan_endpoints(*, now: datetime | None = None) -> list[AlertEvent]:
    now = now or timezone.now()
    recorded = alert_events_record(events=_endpoint_downs(now), now=now)
    return recorded + alert_events_record(events=_endpoint_ups(now), now=now)


def _endpoint_url(endpoint) -> str:
    repository = endpoint.repository
    return site_url(
        reverse("endpoints:list", kwargs={"team_slug": repository.team.slug, "repo_slug": repository.slug})
    )


def _down_key(incident) -> str:
    endpoint = incident.endpoint
    return f"{endpoint.repository_id}:endpoint_down:endpoint:{endpoint.pk}:incident:{incident.pk}"


def _endpoint_downs(now: datetime) -> list[NewEvent]:
    open_incidents = _open_incidents_with_failures()
    if not open_incidents:
        return []
    team_ids = {i.endpoint.repository.team_id for i in open_incidents}
    listening = _teams_listening(team_ids)
    settings = _settings(team_ids)
    known = set(
        AlertEvent.objects.filter(dedup_key__in=[_down_key(i) for i in open_incidents]).values_list(
            "dedup_key", flat=True
        )
    )
    events = []
    for incident in open_incidents:
        endpoint = incident.endpoint
        team_id = endpoint.repository.team_id
        if team_id not in listening or _down_key(incident) in known:
            continue
        if incident.failures < settings[team_id].endpoint_failures:
            continue
        flapping = AlertEvent.objects.filter(
            kind=EventKind.ENDPOINT_DOWN,
            subject=f"endpoint:{endpoint.pk}",
            suppressed=False,
            happened_at__gt=now - FLAP_WINDOW,
        ).exists()
        cause = incident.cause or incident.error_class or "no answer"
        events.append(
            NewEvent(
                team_id=team_id,
                repository_id=endpoint.repository_id,
                kind=EventKind.ENDPOINT_DOWN,
                subject=f"endpoint:{endpoint.pk}",
                ref=f"incident:{incident.pk}",
                title=f"{endpoint.name} is down",
                happened_at=now,
                suppressed=flapping,
                data={
                    "summary": f"{endpoint.name} is down since {incident.started_at:%H:%M} UTC "
                    f"({incident.failures} failed probes): {cause[:200]}",
                    "details": [],
                    "endpoint": endpoint.name,
                    "endpoint_url": endpoint.url,
                    "since": incident.started_at.isoformat(),
                    "url": _endpoint_url(endpoint),
                },
            )
        )
    return events


def _open_incidents_with_failures() -> list[Incident]:
    incidents = list(
        Incident.objects.filter(ended_at__isnull=True, endpoint__enabled=True).select_related(
            "endpoint__repository__team"
        )
    )
    for incident in incidents:  # open incidents are few; each count reads one endpoint's index range
        incident.failures = ProbeRecord.objects.filter(
            endpoint_id=incident.endpoint_id, at__gte=incident.started_at, ok=False
        ).count()
    return incidents


def _endpoint_ups(now: datetime) -> list[NewEvent]:
    """Incidents that ended recently and whose "down" was recorded: "recovered", with the duration.
    A suppressed down (flapping) makes a suppressed up."""
    downs = {
        event.ref: event
        for event in AlertEvent.objects.filter(
            kind=EventKind.ENDPOINT_DOWN, happened_at__gte=now - RECOVERED_LOOKBACK - timedelta(days=1)
        )
        .annotate(
            answered=Exists(
                AlertEvent.objects.filter(
                    kind=EventKind.ENDPOINT_UP,
                    repository_id=OuterRef("repository_id"),
                    ref=OuterRef("ref"),
                    subject=OuterRef("subject"),
                )
            )
        )
        .filter(answered=False)
    }
    if not downs:
        return []
    incident_ids = [int(ref.split(":", 1)[1]) for ref in downs]
    ended = Incident.objects.filter(
        pk__in=incident_ids, ended_at__isnull=False, ended_at__gte=now - RECOVERED_LOOKBACK
    )
    events = []
    for incident in ended.select_related("endpoint__repository"):
        down = downs[f"incident:{incident.pk}"]
        endpoint = incident.endpoint
        took = _duration(incident.duration_s or 0)
        events.append(
            NewEvent(
                team_id=down.team_id,
                repository_id=down.repository_id,
                kind=EventKind.ENDPOINT_UP,
                subject=down.subject,
                ref=down.ref,
                title=f"{endpoint.name} recovered after {took}",
                happened_at=incident.ended_at,
                suppressed=down.suppressed,
                data={
                    "summary": f"{endpoint.name} is up again: down for {took} "
                    f"({incident.started_at:%H:%M} to {incident.ended_at:%H:%M} UTC)",
                    "details": [],
                    "endpoint": endpoint.name,
                    "duration_s": incident.duration_s,
                    "url": _endpoint_url(endpoint),
                },
            )
        )
    return events


# --- waivers --------------------------------------------------------------------------------------


def alerts_scan_waivers(*, today=None, now: datetime | None = None) -> list[AlertEvent]:
    now = now or timezone.now()
    today = today or timezone.localdate()
    waivers = list(
        Waiver.objects.filter(
            repository__archived_at__isnull=True,  # an archived repository is not watched
            revoked_at__isnull=True,
            expires_on__gte=today - timedelta(days=EXPIRED_LOOKBACK_DAYS),
            expires_on__lte=today + timedelta(days=REMIND_DAYS),
        ).select_related("repository__team")
    )
    if not waivers:
        return []
    listening = _teams_listening({w.repository.team_id for w in waivers})
    waivers = [w for w in waivers if w.repository.team_id in listening]
    titles = dict(
        ((slug, key), title)
        for slug, key, title in TemplateItem.objects.filter(
            template__is_current=True,
            template__slug__in={w.template_slug for w in waivers},
            key__in={w.item_key for w in waivers},
        ).values_list("template__slug", "key", "title")
    )
    events = []
    for waiver in waivers:
        repository = waiver.repository
        item = titles.get((waiver.template_slug, waiver.item_key), waiver.item_key)
        url = site_url(
            reverse(
                "checklists:repository",
                kwargs={"team_slug": repository.team.slug, "repo_slug": repository.slug},
            )
        )
        expired = waiver.expires_on < today
        days = (waiver.expires_on - today).days
        if expired:
            title, kind, ref = f"waiver of “{item}” expired", EventKind.WAIVER_EXPIRED, "expired"
            summary = f"The waiver of “{item}” ended on {waiver.expires_on:%d %b %Y}: the item counts again."
        else:
            when = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
            title, kind, ref = f"waiver of “{item}” ends {when}", EventKind.WAIVER_EXPIRING, "reminder"
            summary = (
                f"The waiver of “{item}” ends on {waiver.expires_on:%d %b %Y} ({when}): fix it or extend it."
            )
        events.append(
            NewEvent(
                team_id=repository.team_id,
                repository_id=repository.pk,
                kind=kind,
                subject=f"waiver:{waiver.pk}",
                ref=ref,
                title=title,
                happened_at=now,
                data={
                    "summary": summary,
                    "details": [{"title": item, "fix": f"Waived because: {waiver.reason[:200]}"}],
                    "expires_on": waiver.expires_on.isoformat(),
                    "url": url,
                },
            )
        )
    return alert_events_record(events=events, now=now)
