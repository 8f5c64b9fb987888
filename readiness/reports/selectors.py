"""Read logic for weekly reports: what a report holds (pure data, from the dashboard's selectors),
who receives it, and which teams are due.

The figures come from the checklists app's selectors, so the e-mail shows what the dashboard shows
for the same data: a repository's score is its primary checklist's live score
(``dashboard_repositories``), category cells come from ``dashboard_rows``, the team's score is
``team_summaries``' mean, statuses are ``compare_status``, and item changes are
``compare_snapshots``. Only "last week" needs a query of its own: the primary checklist's latest
snapshot at or before the same moment a week earlier (``_snapshots_at``).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.db.models import Max, OuterRef, Q, Subquery
from django.db.models.functions import Lower
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from readiness.checklists.models import (
    AppliedChecklist,
    Attestation,
    ChecklistSnapshot,
    ChecklistTemplate,
    TemplateItem,
    Waiver,
)
from readiness.checklists.selectors import compare
from readiness.checklists.selectors.items import CATEGORY_ORDER
from readiness.reports.models import (
    DEFAULT_HOUR,
    DEFAULT_WEEKDAY,
    ReportSchedule,
    ReportStatus,
    ReportSubscription,
    WeeklyReport,
)
from readiness.reports.schedule import Schedule, due_week, week_start_for
from readiness.repos.models import AnalysisRun, Repository, RunStatus
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
    return _schedule_of(_schedule_row(team))


def _schedule_of(row: ReportSchedule | None) -> Schedule:
    if row is None:
        return Schedule(DEFAULT_WEEKDAY, DEFAULT_HOUR, settings.TIME_ZONE, True)
    return Schedule(row.weekday, row.hour, row.timezone, row.enabled)


def current_week(*, team, now: datetime | None = None) -> date:
    return week_start_for(now or timezone.now(), schedule_for_team(team=team).timezone)


def reports_due(*, now: datetime) -> list[tuple[int, date]]:
    """(team id, week start) of every team whose report time has come this week (in its own time
    zone) and that has no report row for that week yet. Two queries, whatever the number of teams."""
    schedules = {row.team_id: row for row in ReportSchedule.objects.all()}
    due = []
    for team_id in Team.objects.values_list("id", flat=True):
        week = due_week(_schedule_of(schedules.get(team_id)), now)
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


def _mean(values) -> float | None:
    # The same formula as dashboard.selectors.team_summaries (the dashboard's team figure).
    values = [v for v in values if v is not None]
    return round(sum(values) / len(values), 1) if values else None


def _change(before: float | None, after: float | None) -> float | None:
    if before is None or after is None:
        return None
    return round(after - before, 1)


def _snapshots_at(*, team, when: datetime) -> dict[int, ChecklistSnapshot]:
    """Per repository, the primary checklist's latest snapshot taken at or before ``when``."""
    latest = Subquery(
        AppliedChecklist.objects.filter(repository__team=team, primary=True)
        .annotate(
            snapshot_id=Subquery(
                ChecklistSnapshot.objects.filter(
                    repository=OuterRef("repository_id"),
                    template_slug=OuterRef("template__slug"),
                    taken_at__lte=when,
                )
                .order_by("-taken_at", "-id")
                .values("id")[:1]
            )
        )
        .values("snapshot_id")
    )
    snapshots = ChecklistSnapshot.objects.filter(id__in=latest).only("repository_id", "data")
    return {s.repository_id: s for s in snapshots}


def _endpoint_section(*, team, since: datetime, until: datetime) -> list[dict] | None:
    """Per endpoint: uptime over the week, p95 latency and the incidents (down periods); None when
    this installation has no endpoints app, so the e-mail leaves the section out.

    The figures are the endpoints app's own (``probe_stats``: 7-day uptime, p95 of the last 24
    hours; ``incidents_for_team``), read only when that app is installed.
    """
    if not apps.is_installed("readiness.endpoints"):
        return None
    from readiness.endpoints import selectors as endpoint_selectors

    endpoint_model = apps.get_model("endpoints", "Endpoint")
    endpoints = list(
        endpoint_model.objects.filter(repository__team=team, enabled=True)
        .select_related("repository")
        .order_by("repository__name", "name")
    )
    if not endpoints:
        return []
    stats = endpoint_selectors.probe_stats([e.pk for e in endpoints], now=until)
    incidents = defaultdict(list)
    for incident in endpoint_selectors.incidents_for_team(team=team, since=since, until=until):
        incidents[incident.endpoint_id].append({"start": incident.started_at, "end": incident.ended_at})
    section = []
    for endpoint in endpoints:
        figures = stats.get(endpoint.pk, {})
        uptime = figures.get("uptime_7d")
        section.append(
            {
                "name": f"{endpoint.repository.name} / {endpoint.name}",
                "uptime_percent": None if uptime is None else round(uptime * 100, 2),
                "p95_ms": figures.get("p95_24h_ms"),
                "incidents": incidents.get(endpoint.pk, []),
            }
        )
    return section


def _current_states(team) -> tuple[list, dict[int, AppliedChecklist], list[dict]]:
    """The team's repositories by name; each one's primary checklist with its live state, which is
    what the dashboard's score column (``overall``) and heat map (``state["categories"]``) show;
    and the category columns in the dashboard's order. Two queries."""
    repositories = list(Repository.objects.filter(team=team).order_by(Lower("name")).only("name", "slug"))
    applied = {
        a.repository_id: a
        for a in AppliedChecklist.objects.filter(repository__team=team, primary=True).only(
            "repository_id", "template_id", "state", "overall", "level"
        )
    }
    titles: dict[str, str] = {}
    for a in applied.values():
        for cid, category in a.state.get("categories", {}).items():
            titles.setdefault(cid, category["title"])
    order = CATEGORY_ORDER  # as dashboard.selectors.dashboard_rows sorts its columns
    ids = sorted(titles, key=lambda c: (order.index(c) if c in order else 99, c))
    return repositories, applied, [{"id": c, "title": titles[c]} for c in ids]


def report_build(*, team, now: datetime | None = None) -> dict:
    """Everything the weekly e-mail says, as plain data: this week (now) against a week earlier."""
    now = now or timezone.now()
    since = now - timedelta(days=7)
    schedule = schedule_for_team(team=team)
    tz = ZoneInfo(schedule.timezone)
    today = now.astimezone(tz).date()

    repositories, applied, category_columns = _current_states(team)
    before_snapshots = _snapshots_at(team=team, when=since)
    templates = {
        t.pk: t
        for t in ChecklistTemplate.objects.filter(id__in={a.template_id for a in applied.values()})
        .prefetch_related("items")
        .only("id", "slug", "title")
    }

    checklist_urls: dict[int, str] = {}

    def repo_url(repo, anchor=""):
        # reverse() once per repository: a team's report links to each one many times.
        if repo.pk not in checklist_urls:
            kwargs = {"team_slug": team.slug, "repo_slug": repo.slug}
            checklist_urls[repo.pk] = absolute_url(reverse("checklists:repository", kwargs=kwargs))
        return f"{checklist_urls[repo.pk]}#{anchor}" if anchor else checklist_urls[repo.pk]

    repo_rows, newly_failing, newly_fixed = [], [], []
    before_categories: dict[str, list] = defaultdict(list)
    for repo in repositories:
        current = applied.get(repo.pk)
        snapshot = before_snapshots.get(repo.pk)
        before_data = snapshot.data if snapshot else {}
        after, before = (current.overall if current else None), before_data.get("overall")
        repo_rows.append(
            {
                "name": repo.name,
                "url": repo_url(repo),
                "before": before,
                "after": after,
                "change": _change(before, after),
                "status": compare.compare_status(before, after),
                "level": current.level if current else "",
            }
        )
        for cid, category in before_data.get("categories", {}).items():
            before_categories[cid].append(category.get("score"))
        if current is None or snapshot is None:
            continue  # a repository with no checklist, or new this week: nothing "newly" changed
        template = templates[current.template_id]
        # compare_snapshots reads only ``.data``: last week's snapshot against the live state.
        comparison = compare.compare_snapshots(
            before=SimpleNamespace(data=before_data),
            after=SimpleNamespace(data=current.state),
            template=template,
        )
        after_items = current.state.get("items", {})
        for change in comparison["changes"]:
            entry = {
                "repository": repo.name,
                "title": change["title"],
                "category": change["category"],
                "before": change["before"],
                "after": change["after"],
                "url": repo_url(repo, anchor=f"item-{template.slug}-{change['key']}"),
            }
            if change["change"] == "Fixed":
                newly_fixed.append(entry)
            elif change["change"] == "Regressed" and after_items.get(change["key"]) in compare.BAD:
                newly_failing.append(entry)
    # Worst first: the lowest score this week, unscored repositories last.
    repo_rows.sort(key=lambda r: (r["after"] is None, r["after"] if r["after"] is not None else 0, r["name"]))

    categories = []
    for category in category_columns:
        # The dashboard's heat map cells show these same stored scores.
        after = _mean(
            (a.state.get("categories", {}).get(category["id"]) or {}).get("score") for a in applied.values()
        )
        before = _mean(before_categories.get(category["id"], []))
        categories.append(
            {
                "title": category["title"],
                "before": before,
                "after": after,
                "change": _change(before, after),
                "status": compare.compare_status(before, after),
            }
        )
    # team_summaries' figures, from the rows already loaded (tests check they are equal).
    overall_after = _mean(a.overall for a in applied.values())
    levels = dict.fromkeys(("gold", "silver", "bronze", "none"), 0)
    for repo in repositories:
        key = (applied[repo.pk].level if repo.pk in applied else "") or "none"
        if key in levels:
            levels[key] += 1
    overall_before = _mean(s.data.get("overall") for s in before_snapshots.values())
    return {
        "team": {"name": team.name, "slug": team.slug},
        "since": since,
        "until": now,
        "week_start": week_start_for(now, schedule.timezone),
        "timezone": schedule.timezone,
        "overall": {
            "before": overall_before,
            "after": overall_after,
            "change": _change(overall_before, overall_after),
            "status": compare.compare_status(overall_before, overall_after),
            "repositories": len(repositories),
            "levels": levels,
        },
        "categories": categories,
        "repositories": repo_rows,
        "newly_failing": newly_failing[:MAX_LISTED],
        "newly_failing_more": max(0, len(newly_failing) - MAX_LISTED),
        "newly_fixed": newly_fixed[:MAX_LISTED],
        "newly_fixed_more": max(0, len(newly_fixed) - MAX_LISTED),
        "expiring": _expiring(team=team, now=now, today=today, tz=tz, repo_url=repo_url),
        "failed_runs": _failed_runs(team=team, since=since, repo_url=repo_url),
        "endpoints": _endpoint_section(team=team, since=since, until=now),
        "links": {
            "dashboard": absolute_url(reverse("dashboard:team", kwargs={"team_slug": team.slug})),
            "team": absolute_url(reverse("team_detail", kwargs={"team_slug": team.slug})),
            "reports": absolute_url(reverse("reports:list", kwargs={"team_slug": team.slug})),
        },
    }


def _expiring(*, team, now: datetime, today: date, tz, repo_url) -> list[dict]:
    """Waivers ending and manual ticks falling due in the next 14 days, soonest first."""
    horizon = today + timedelta(days=EXPIRY_HORIZON_DAYS)
    waivers = list(
        Waiver.objects.filter(
            repository__team=team, revoked_at__isnull=True, expires_on__gte=today, expires_on__lte=horizon
        ).select_related("repository")
    )
    # Manual items with a re-attestation interval, on checklists applied to the team's repositories.
    intervals = {}
    titles = {}
    # Only the items named below: waived ones and manual ones with a re-attestation interval.
    wanted = Q(reattest_days__isnull=False) | Q(key__in={w.item_key for w in waivers})
    for repo_id, slug, key, title, days in TemplateItem.objects.filter(
        wanted, template__applications__repository__team=team
    ).values_list("template__applications__repository_id", "template__slug", "key", "title", "reattest_days"):
        titles[(slug, key)] = title
        if days:
            intervals[(repo_id, slug, key)] = days
    latest_ids = (
        Attestation.objects.filter(repository__team=team)
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
                "title": titles.get((waiver.template_slug, waiver.item_key), waiver.item_key),
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


def _failed_runs(*, team, since: datetime, repo_url) -> list[dict]:
    runs = (
        AnalysisRun.objects.filter(repository__team=team, status=RunStatus.FAILED, finished_at__gte=since)
        .select_related("repository")
        .order_by("-finished_at", "-id")[:MAX_LISTED]
    )
    return [
        {
            "repository": run.repository.name,
            "id": run.pk,
            "finished_at": run.finished_at,
            "error": (run.error or "").splitlines()[0][:200] if run.error else "",
            "url": absolute_url(
                reverse(
                    "run_detail",
                    kwargs={"team_slug": team.slug, "repo_slug": run.repository.slug, "run_id": run.pk},
                )
            ),
        }
        for run in runs
    ]
