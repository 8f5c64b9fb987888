"""The dashboard's team-wide figures (its cards, headline and trend), kept in the cache.

They are read from every repository's history: at a few thousand repositories, the costliest part
of the page by far (docs/benchmarks.md). They are kept under a fingerprint of what they are computed
from, read in one cheap query per request, so that any process sees a change at once without being
told: a run or an expiry (the live states' ``state_updated_at``), a user's action (the team's
latest activity entry: ticks, waivers, renames, archives, templates) or a repository added or gone.
The windows ("the last seven days") move with the clock: an entry lives ``FIGURES_TTL_S`` at most.
Any cache backend works, the per-process default included (settings.CACHES)."""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.db.models import Count, Max, OuterRef, Subquery

from readiness.checklists.models import AppliedChecklist
from readiness.dashboard.selectors import dashboard_summary, team_trend, team_week
from readiness.repos.models import Repository
from readiness.teams.models import ActivityEvent, Team

FIGURES_TTL_S = 60
SHOWN = 3  # regressions named on the card


def team_fingerprint(*, team) -> tuple:
    """What the team figures are computed from, in one query: the number of active repositories
    and of their applied checklists, the last update of those checklists' live states, and the
    team's latest activity entry."""
    applied = (
        AppliedChecklist.objects.filter(repository__team=OuterRef("pk"), repository__archived_at__isnull=True)
        .order_by()
        .values("repository__team")
    )
    row = (
        Team.objects.filter(pk=team.pk)
        .annotate(
            repository_count=Subquery(
                Repository.objects.active()
                .filter(team=OuterRef("pk"))
                .order_by()
                .values("team")
                .annotate(n=Count("pk"))
                .values("n")[:1]
            ),
            applied_count=Subquery(applied.annotate(n=Count("pk")).values("n")[:1]),
            states_updated=Subquery(applied.annotate(last=Max("state_updated_at")).values("last")[:1]),
            last_activity=Subquery(
                ActivityEvent.objects.filter(team=OuterRef("pk"))
                .order_by("-created_at", "-id")
                .values("id")[:1]
            ),
        )
        .values_list("repository_count", "applied_count", "states_updated", "last_activity")
        .first()
    )
    return tuple(row or ())


def team_figures(*, team) -> dict:
    """The dashboard's history cards (``summary``), its headline and its trend; from the cache when
    nothing they are computed from has changed."""
    fingerprint = hashlib.blake2b(repr(team_fingerprint(team=team)).encode(), digest_size=16).hexdigest()
    key = f"team-figures:v1:{team.pk}:{fingerprint}"
    figures = cache.get(key)
    if figures is None:
        summary = dashboard_summary(team=team)
        # (A team without repositories has no summary headline; the page still says "no change".)
        headline = summary.pop("headline") or team_week(team=team)
        regressions = summary.pop("regressions")
        # Only what the page shows: the full lists would cost more to unpickle than to show.
        summary.update(regression_count=len(regressions), regressions=regressions[:SHOWN])
        headline.update(worse=len(headline["worse"]), better=len(headline["better"]))
        figures = {"summary": summary, "headline": headline, "trend": team_trend(team=team)}
        cache.set(key, figures, FIGURES_TTL_S)
    return figures
