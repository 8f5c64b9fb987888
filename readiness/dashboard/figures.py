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
from django.db.models import Count, Max, Subquery

from readiness.dashboard.selectors import dashboard_summary, team_trend, team_week
from readiness.repos.models import Repository
from readiness.teams.models import ActivityEvent

FIGURES_TTL_S = 60
SHOWN = 3  # regressions named on the card


def team_fingerprint(*, team) -> tuple:
    """What the team figures are computed from, in one query: the number of active repositories
    and of their applied checklists, the last update of those checklists' live states (a run, a
    tick, an expiry; applying a checklist computes one too), and the team's latest activity entry
    (removing a checklist, renaming, archiving...)."""
    latest_activity = ActivityEvent.objects.filter(team=team).order_by("-created_at", "-id").values("id")[:1]
    row = (
        Repository.objects.active()
        .filter(team=team)
        .aggregate(
            repositories=Count("pk", distinct=True),
            applied=Count("checklists"),
            states_updated=Max("checklists__state_updated_at"),
            last_activity=Max(Subquery(latest_activity)),
        )
    )
    return tuple(row.values())


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
