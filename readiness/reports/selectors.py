"""Read logic for weekly reports: what a report holds (plain data), who receives it, and which
teams are due.

A report covers the seven days before the week it is sent in, in the team's time zone
(``schedule.reported_week``). Each repository is read at the two ends of that week with the
checklists app's one state function (``facts_for_repositories`` + ``checklist_state_from_facts``):
the score and level the dashboard showed at those moments (``repository_scores_at``, the one place
the e-mail gets a score from), the checks that moved between them, and what fails at the end.
``content`` turns that into the e-mail's sections and subject.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.db.models import Max, OuterRef, Subquery
from django.db.models.functions import Lower
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from readiness.checklists.models import AppliedChecklist, Attestation, ChecklistTemplate, TemplateItem
from readiness.checklists.score import NO_CHECKLIST as NO_CHECKLIST_STATUS
from readiness.checklists.score import NOT_ANALYSED as NOT_ANALYSED_STATUS
from readiness.checklists.score import SCORED, score_from_state
from readiness.checklists.selectors import states as checklist_states
from readiness.checklists.selectors.waivers import waivers_expiring
from readiness.reports import content
from readiness.reports.models import (
    DEFAULT_HOUR,
    DEFAULT_WEEKDAY,
    ReportSchedule,
    ReportStatus,
    ReportSubscription,
    WeeklyReport,
)
from readiness.reports.schedule import (
    ReportedWeek,
    Schedule,
    due_week,
    first_week,
    reported_week,
    week_start_for,
)
from readiness.repos.models import AnalysisRun, CheckResult, Repository, RunStatus
from readiness.teams.models import Membership, Role, Team

EXPIRY_HORIZON_DAYS = 14
MAX_LISTED = 25  # per section, so one bad week cannot make an unreadable e-mail
DEFAULT_RECEIVERS = {Role.LEAD, Role.ENGINEER}


def absolute_url(path: str) -> str:
    return settings.SITE_URL + path


# Schedules -------------------------------------------------------------------------------------


def _schedule_row(team) -> ReportSchedule | None:
    # team.report_schedule is free when loaded with select_related("team__report_schedule").
    try:
        return team.report_schedule
    except ReportSchedule.DoesNotExist:
        return None


def schedule_for_team(*, team) -> Schedule:
    return _schedule_of(_schedule_row(team), team.timezone)


def _schedule_of(row: ReportSchedule | None, tz: str) -> Schedule:
    if row is None:
        return Schedule(DEFAULT_WEEKDAY, DEFAULT_HOUR, tz, True)
    return Schedule(row.weekday, row.hour, tz, row.enabled)


def current_week(*, team, now: datetime | None = None) -> date:
    return week_start_for(now or timezone.now(), team.timezone)


def reports_due(*, now: datetime) -> list[tuple[int, date]]:
    """(team id, week start) of every team whose report time has come this week (in its own time
    zone, and not before its first full week) and that has no report row for that week yet. Three
    queries, whatever the number of teams."""
    schedules = {row.team_id: row for row in ReportSchedule.objects.all()}
    due = []
    for team_id, tz, created_at in Team.objects.values_list("id", "timezone", "created_at"):
        week = due_week(_schedule_of(schedules.get(team_id), tz), now, created_at=created_at)
        if week is not None:
            due.append((team_id, week))
    if not due:
        return []
    taken = set(
        WeeklyReport.objects.filter(
            team_id__in=[t for t, _ in due], week_start__gte=min(w for _, w in due)
        ).values_list("team_id", "week_start")
    )
    return [entry for entry in due if entry not in taken]


# Recipients ------------------------------------------------------------------------------------


def member_receives(*, membership: Membership, subscription: ReportSubscription | None) -> bool:
    if subscription is not None:
        return subscription.receives
    return membership.role in DEFAULT_RECEIVERS


def subscription_for(*, membership: Membership) -> bool:
    subscription = ReportSubscription.objects.filter(team=membership.team, user=membership.user).first()
    return member_receives(membership=membership, subscription=subscription)


def report_recipients(*, team) -> list[dict]:
    """``[{"address", "user_id"}]``: members who receive it (with an address), then external ones."""
    subscriptions = {s.user_id: s for s in ReportSubscription.objects.filter(team=team)}
    recipients, seen = [], set()
    memberships = Membership.objects.filter(team=team, user__is_active=True).select_related("user")
    for membership in memberships.order_by("user__username"):
        address = (membership.user.email or "").strip()
        if not address or address.lower() in seen:
            continue
        if member_receives(membership=membership, subscription=subscriptions.get(membership.user_id)):
            recipients.append({"address": address, "user_id": membership.user_id})
            seen.add(address.lower())
    schedule = _schedule_row(team)
    for address in schedule.external_addresses if schedule else []:
        if address.lower() not in seen:
            recipients.append({"address": address, "user_id": None})
            seen.add(address.lower())
    return recipients


# Reports ---------------------------------------------------------------------------------------


def report_list_for_team(*, team):
    return WeeklyReport.objects.filter(team=team).defer("body_text", "body_html")


def report_get(*, team, report_id: int) -> WeeklyReport:
    return get_object_or_404(WeeklyReport, team=team, pk=report_id)


def team_by_id(*, team_id) -> Team | None:
    return Team.objects.filter(pk=team_id).first()


def reports_failed_for_team(*, team):
    return WeeklyReport.objects.filter(team=team, status=ReportStatus.FAILED).defer("body_text", "body_html")


# What a report holds ---------------------------------------------------------------------------


def report_week(*, team, now: datetime, week_start: date | None = None) -> tuple[date, ReportedWeek]:
    """(the week the report is sent in, the days it covers). Without ``week_start``, this week's
    report; for a team too new for it, its first one (next week's, covering the days so far)."""
    tz = team.timezone
    if week_start is None:
        week_start = max(week_start_for(now, tz), first_week(team.created_at, tz))
    return week_start, reported_week(week_start, tz, created_at=team.created_at)


# The readiness score: the ONE place the e-mail gets a repository's score from. It is the primary
# checklist's state computed by the checklists app's one state function, as of a moment (the
# week's start and end), read by the one score module (readiness/checklists/score.py): the number
# the dashboard shows, with its coverage ("3 of 12 reviewed").
NOT_ANALYSED = "not analysed yet"
NO_CHECKLIST = "no checklist"


def repository_scores_at(*, repositories, applied: dict, templates: dict, when: datetime) -> dict[int, dict]:
    """``{repository id: {"value", "text", "level", "state", "run", "checks"}}`` as of ``when``:
    the score and level the dashboard showed at that moment. Four queries for the whole team."""
    facts = checklist_states.facts_for_repositories(repository_ids=[r.pk for r in repositories], at=when)
    scores = {}
    for repo in repositories:
        current, fact = applied.get(repo.pk), facts[repo.pk]
        state = None
        if current is not None:
            template = templates[current.template_id]
            state = checklist_states.checklist_state_from_facts(
                template=template, facts=fact, now=when, items=template.items_loaded
            )
        scores[repo.pk] = _score(score_from_state(state), state, fact)
    return scores


def _score(readiness, state, fact) -> dict:
    """The e-mail's view of a ReadinessScore: ``value`` (None unless scored), ``text`` ("6.0",
    "not analysed yet", "no checklist"), ``level`` and ``coverage`` ("3 of 12 reviewed")."""
    words = {NOT_ANALYSED_STATUS: NOT_ANALYSED, NO_CHECKLIST_STATUS: NO_CHECKLIST}
    return {
        "value": readiness.value if readiness.scored else None,
        "text": words.get(readiness.status, readiness.short),
        "level": readiness.level if readiness.status == SCORED else "",
        "coverage": readiness.coverage,
        "state": state,
        "run": fact["run"],
        "checks": fact["check_statuses"],
    }


def _repositories(team, *, until: datetime) -> tuple[list, dict[int, AppliedChecklist], dict]:
    """The team's repositories that existed by the week's end, by name; each one's primary
    checklist; their templates with items. Three queries."""
    repositories = list(
        Repository.objects.active()
        .filter(team=team, created_at__lt=until)
        .order_by(Lower("name"))
        .only("name", "slug", "created_at")
    )
    applied = {
        a.repository_id: a
        for a in AppliedChecklist.objects.filter(repository__in=repositories, primary=True).only(
            "repository_id", "template_id"
        )
    }
    templates = {
        t.pk: t
        for t in ChecklistTemplate.objects.filter(id__in={a.template_id for a in applied.values()})
        .prefetch_related("items")
        .only("id", "slug", "title")
    }
    for template in templates.values():
        template.items_loaded = list(template.items.all())
    return repositories, applied, templates


def _results(run_ids) -> dict[int, dict]:
    """CheckResult rows of the given runs, ``{run id: {check id: row}}`` (one query)."""
    rows: dict[int, dict] = defaultdict(dict)
    for result in CheckResult.objects.filter(run_id__in=[r for r in run_ids if r]).only(
        "run_id", "check_id", "status", "title", "evidence", "remediation"
    ):
        rows[result.run_id][result.check_id] = result
    return rows


def report_build(*, team, now: datetime | None = None, week_start: date | None = None) -> dict:
    """Everything the weekly e-mail says, as plain data: each repository at the start and at the
    end of the reported week (``report_week``), in the team's time zone."""
    now = now or timezone.now()
    week_start, week = report_week(team=team, now=now, week_start=week_start)
    until = min(week.until, now)  # a preview of a first report covers the days so far
    links = _Links(team)
    repositories, applied, templates = _repositories(team, until=until)
    before = repository_scores_at(
        repositories=repositories, applied=applied, templates=templates, when=week.since
    )
    after = repository_scores_at(repositories=repositories, applied=applied, templates=templates, when=until)
    results = _results(score["run"].pk for score in after.values() if score["run"] is not None)

    rows = []
    for repo in repositories:
        b, a = before[repo.pk], after[repo.pk]
        current = applied.get(repo.pk)
        template = templates[current.template_id] if current else None
        items = template.items_loaded if template else []
        repo_links = links.repository(repo, template.slug if template else "")
        run_results = results.get(a["run"].pk, {}) if a["run"] else {}
        existed = repo.created_at <= week.since
        changes = content.compare_items(
            items=items,
            before=b["state"] if existed and b["run"] else None,
            after=a["state"] if a["run"] else None,
            before_checks=b["checks"],
            after_checks=a["checks"],
            results=run_results,
            item_url=repo_links["item"],
        )
        row = {
            "name": repo.name,
            "before": b if existed else {**b, "value": None, "text": "new", "level": ""},
            "after": a,
            "changes": changes,
            "failing_now": content.failing_now(
                items=items,
                after=a["state"] if a["run"] else None,
                after_checks=a["checks"],
                results=run_results,
                item_url=repo_links["item"],
            ),
            "url": repo_links["checklist"],
            "compare_url": links.compare(repo, b["run"] if existed else None, a["run"]),
        }
        row["movement"] = content.movement(row["before"], a, changes)
        row["change"] = content.change_phrase(row)
        row["delta"] = content.delta_text(row)
        row["failing_count"] = len(row["failing_now"])
        rows.append(row)

    def drop(row):
        b, a = row["before"]["value"], row["after"]["value"]
        return (b - a) if b is not None and a is not None else 0

    # What got worse: the repositories whose score or level dropped, largest drop first, then any
    # other with a check that newly fails (a regression is never hidden by a fix elsewhere).
    worse = sorted(
        (r for r in rows if r["movement"] == "worse" or r["changes"]["failing"]),
        key=lambda r: (r["movement"] != "worse", -drop(r), r["name"].lower()),
    )
    better = sorted(
        (r for r in rows if r["movement"] in ("better", "new")), key=lambda r: (drop(r), r["name"].lower())
    )
    words = content.summary(rows)
    tz = ZoneInfo(week.timezone)
    return {
        "team": {"name": team.name, "slug": team.slug},
        "week_start": week_start,
        "week": {
            "label": week.label,
            "first_day": week.first_day,
            "last_day": week.last_day,
            "since": week.since,
            "until": week.until,
            "partial": week.partial,
            "so_far": until < week.until,
            "timezone": week.timezone,
        },
        "summary": words,
        "worse": worse,
        "next_steps": content.next_steps(rows),
        "better": better,
        "repositories": rows,
        "endpoints": _endpoint_section(team=team, since=week.since, until=until, now=now, tz=tz),
        "expiring": _expiring(
            team=team, now=now, today=now.astimezone(tz).date(), tz=tz, repo_url=links.anchor
        ),
        "failed_runs": _failed_runs(team=team, since=week.since, until=until, now=now, links=links),
        "links": links.team,
        # For the reports list (one line per sent report).
        "figures": {
            "label": week.label,
            "summary": words,
            "worse": sum(1 for r in rows if r["movement"] == "worse"),
            "better": sum(1 for r in better if r["movement"] == "better"),
        },
    }


class _Links:
    """Absolute links (SITE_URL) of one team's report, each reversed once."""

    def __init__(self, team):
        self.slug = team.slug
        self.team = {
            "dashboard": absolute_url(reverse("dashboard:team", kwargs={"team_slug": team.slug})),
            "team": absolute_url(reverse("team_detail", kwargs={"team_slug": team.slug})),
            "reports": absolute_url(reverse("reports:list", kwargs={"team_slug": team.slug})),
        }
        self._checklists: dict[int, str] = {}

    def checklist(self, repo) -> str:
        if repo.pk not in self._checklists:
            kwargs = {"team_slug": self.slug, "repo_slug": repo.slug}
            self._checklists[repo.pk] = absolute_url(reverse("checklists:repository", kwargs=kwargs))
        return self._checklists[repo.pk]

    def anchor(self, repo, anchor: str = "") -> str:
        return f"{self.checklist(repo)}#{anchor}" if anchor else self.checklist(repo)

    def repository(self, repo, template_slug: str) -> dict:
        return {
            "checklist": self.checklist(repo),
            "item": lambda key: self.anchor(repo, f"item-{template_slug}-{key}"),
        }

    def compare(self, repo, before_run, after_run) -> str:
        """The before/after page of the week: the runs the two scores were computed from."""
        if before_run is None or after_run is None:
            return self.checklist(repo)
        kwargs = {"team_slug": self.slug, "repo_slug": repo.slug}
        query = urlencode({"before": before_run.pk, "after": after_run.pk})
        return absolute_url(reverse("checklists:compare", kwargs=kwargs)) + "?" + query

    def run(self, repo, run_id: int) -> str:
        kwargs = {"team_slug": self.slug, "repo_slug": repo.slug, "run_id": run_id}
        return absolute_url(reverse("run_detail", kwargs=kwargs))


def _endpoint_section(*, team, since: datetime, until: datetime, now: datetime, tz) -> list[dict] | None:
    """Per endpoint: uptime over the week with how much probing backs it ("99.2% of 6 days
    probed"), and the down periods that overlap the week with their durations. None when this
    installation has no endpoints app, so the e-mail leaves the section out."""
    if not apps.is_installed("readiness.endpoints"):
        return None
    from readiness.endpoints import selectors as endpoint_selectors

    endpoint_model = apps.get_model("endpoints", "Endpoint")
    endpoints = list(
        endpoint_model.objects.filter(
            repository__team=team, repository__archived_at__isnull=True, enabled=True
        )
        .select_related("repository")
        .order_by(Lower("repository__name"), "name")
    )
    if not endpoints:
        return []
    figures = endpoint_selectors.uptime_between([e.pk for e in endpoints], since=since, until=until, now=now)
    incidents = defaultdict(list)
    for incident in endpoint_selectors.incidents_for_team(team=team, since=since, until=until):
        ongoing = incident.ended_at is None
        end = now if ongoing else incident.ended_at
        incidents[incident.endpoint_id].append(
            {
                "start": incident.started_at.astimezone(tz),
                "end": None if ongoing else incident.ended_at.astimezone(tz),
                "duration": content.duration_text((end - incident.started_at).total_seconds()),
                "cause": incident.error_class or "",
            }
        )
    window = (until - since).total_seconds()
    section = []
    for endpoint in endpoints:
        f = figures.get(endpoint.pk, {"probes": 0, "ok": 0})
        covered = min(window, f["probes"] * endpoint.interval_s)
        section.append(
            {
                "name": f"{endpoint.repository.name} / {endpoint.name}",
                "uptime": content.uptime_text(f["ok"], f["probes"]),
                "coverage": content.coverage_text(covered) if f["probes"] else "",
                "probed": bool(f["probes"]),
                "incidents": incidents.get(endpoint.pk, []),
            }
        )
    return section


def _expiring(*, team, now: datetime, today: date, tz, repo_url) -> list[dict]:
    """Waivers ending and manual ticks falling due in the next 14 days, soonest first."""
    horizon = today + timedelta(days=EXPIRY_HORIZON_DAYS)
    # The checklists app's reminder list (the waivers page's too), without archived repositories.
    waivers = [
        w
        for w in waivers_expiring(team, EXPIRY_HORIZON_DAYS, today=today)
        if w.repository.archived_at is None
    ]
    # Manual items with a re-attestation interval, on checklists applied to the team's repositories.
    intervals = {}
    titles = {}
    for repo_id, slug, key, title, days in TemplateItem.objects.filter(
        reattest_days__isnull=False, template__applications__repository__team=team
    ).values_list("template__applications__repository_id", "template__slug", "key", "title", "reattest_days"):
        titles[(slug, key)] = title
        intervals[(repo_id, slug, key)] = days
    latest_ids = (
        Attestation.objects.filter(repository__team=team, repository__archived_at__isnull=True)
        .values("repository_id", "template_slug", "item_key")
        .annotate(last=Max("id"))
        .values("last")
    )
    entries = []
    for waiver in waivers:
        entries.append(
            {
                "kind": "Waiver ends",
                "repository": waiver.repository.name,
                "title": waiver.item_title,
                "on": waiver.expires_on,
                "url": repo_url(waiver.repository, anchor=f"item-{waiver.template_slug}-{waiver.item_key}"),
            }
        )
    if intervals:
        current = Attestation.objects.filter(id__in=latest_ids, checked=True).select_related("repository")
        for attestation in current:
            ref = (attestation.template_slug, attestation.item_key)
            days = intervals.get((attestation.repository_id, *ref))
            if not days:
                continue
            due = attestation.at + timedelta(days=days)
            if now <= due and due.astimezone(tz).date() <= horizon:
                entries.append(
                    {
                        "kind": "Tick falls due",
                        "repository": attestation.repository.name,
                        "title": titles.get(ref, attestation.item_key),
                        "on": due.astimezone(tz).date(),
                        "url": repo_url(attestation.repository, anchor=f"item-{ref[0]}-{ref[1]}"),
                    }
                )
    entries.sort(key=lambda e: (e["on"], e["repository"], e["title"]))
    return entries[:MAX_LISTED]


def _failed_runs(*, team, since: datetime, until: datetime, now: datetime, links) -> list[dict]:
    """Per repository whose analyses failed during the week: how many, the last error, and whether
    it is still failing now (its branch's latest finished run failed) or succeeded since. Two queries."""
    failed = (
        AnalysisRun.objects.filter(
            repository__team=team,
            repository__archived_at__isnull=True,
            status=RunStatus.FAILED,
            finished_at__gte=since,
            finished_at__lt=until,
        )
        .select_related("repository")
        .order_by("repository__name", "-finished_at", "-id")
    )
    by_repo: dict[int, dict] = {}
    for run in failed:
        entry = by_repo.setdefault(
            run.repository_id,
            {
                "repository": run.repository.name,
                "count": 0,
                "last_error": (run.error or "").strip().splitlines()[0][:200] if run.error else "",
                "last_at": run.finished_at,
                "url": links.run(run.repository, run.pk),
            },
        )
        entry["count"] += 1
    if not by_repo:
        return []
    # The tracked branch's latest finished run: a backfilled old commit or a tag's run that failed
    # since does not make the repository "still failing".
    latest = (
        AnalysisRun.objects.of_head()
        .filter(repository_id=OuterRef("repository_id"), finished_at__isnull=False)
        .order_by("-finished_at", "-id")
        .values("status")[:1]
    )
    still = dict(
        AnalysisRun.objects.filter(repository_id__in=list(by_repo))
        .values("repository_id")
        .annotate(latest=Subquery(latest))
        .values_list("repository_id", "latest")
        .distinct()
    )
    for repo_id, entry in by_repo.items():
        entry["still_failing"] = still.get(repo_id) == RunStatus.FAILED
    return sorted(by_repo.values(), key=lambda e: (not e["still_failing"], e["repository"].lower()))[
        :MAX_LISTED
    ]
