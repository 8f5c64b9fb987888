"""The readiness score: one number per repository, with one meaning, wherever a score is shown.

A repository's readiness score is the ``overall`` of its primary checklist's state
(``status.checklist_state``, docs/scoring.md "The readiness score"): the one formula over the
*decided* items (automated results, ticked and lapsed manual items; waived items left out), with
the manual items nobody has reviewed yet shown beside it as coverage ("8.2/10 · 12 of 40
reviewed"), never counted as failures. A repository with no finished analysis has no score: it
reads "not analysed" (or "analysis failed" when its only runs failed), never 0.0.

Every surface gets its number here: ``repository_scores`` (the live score of many repositories,
two queries), ``repository_score`` (one), ``score_from_state`` (a state already loaded: the live
one, a run's snapshot, a state computed as of a moment for the e-mail or the gate).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import OuterRef, Subquery

from readiness.checklists.models import AppliedChecklist, ChecklistSnapshot
from readiness.repos.models import AnalysisRun, Repository, RunStatus

NAME = "readiness score"

SCORED = "scored"
NOT_ANALYSED = "not_analysed"
ANALYSIS_FAILED = "analysis_failed"
NO_CHECKLIST = "no_checklist"

STATUS_TEXT = {
    NOT_ANALYSED: "not analysed",
    ANALYSIS_FAILED: "analysis failed",
    NO_CHECKLIST: "no checklist",
}


@dataclass(frozen=True)
class ReadinessScore:
    """A repository's readiness score and what the pages say beside it."""

    status: str
    value: float | None = None
    level: str = ""
    manual: int = 0
    reviewed: int = 0
    waived: int = 0
    error: str = ""

    @property
    def scored(self) -> bool:
        return self.status == SCORED and self.value is not None

    @property
    def to_review(self) -> int:
        return self.manual - self.reviewed

    @property
    def text(self) -> str:
        """``8.2/10``, ``n/a`` (nothing decided), ``not analysed``, ``analysis failed``..."""
        if self.status == SCORED:
            return "n/a" if self.value is None else f"{self.value:.1f}/10"
        return STATUS_TEXT.get(self.status, self.status)

    @property
    def short(self) -> str:
        """The number alone (``8.2``), or the status words: for tables and e-mail subjects."""
        if self.status == SCORED:
            return "n/a" if self.value is None else f"{self.value:.1f}"
        return STATUS_TEXT.get(self.status, self.status)

    @property
    def coverage(self) -> str:
        """``12 of 40 reviewed``, or "" when the checklist has no manual item (or no score)."""
        if self.status != SCORED or not self.manual:
            return ""
        return f"{self.reviewed} of {self.manual} reviewed"

    @property
    def label(self) -> str:
        """``8.2/10 · 12 of 40 reviewed``: the score as every page and e-mail writes it."""
        return f"{self.text} · {self.coverage}" if self.coverage else self.text

    @property
    def css(self) -> str:
        if not self.scored:
            return "score-none"
        return "score-good" if self.value >= 8 else "score-fair" if self.value >= 5 else "score-poor"

    def as_json(self) -> dict:
        """The API's shape (``readiness_score`` in docs/api.md)."""
        return {
            "value": self.value if self.status == SCORED else None,
            "status": self.status,
            "text": self.text,
            "level": self.level or None,
            "manual_items": self.manual,
            "reviewed": self.reviewed,
            "to_review": self.to_review,
            "waived": self.waived,
            "error": self.error or None,
        }


def _analysed(state: dict) -> bool:
    if "analysed" in state:
        return bool(state["analysed"])
    # States stored before "analysed" existed: automated items are "pending" without a run.
    return not any(status == "pending" for status in state.get("items", {}).values())


def score_from_state(
    state: dict | None, *, run_status: str | None = None, run_error: str = ""
) -> ReadinessScore:
    """The readiness score of a checklist state (a live state, a run's snapshot, or one computed
    as of a moment). ``state`` None: the repository has no primary checklist. ``run_status`` and
    ``run_error`` are the repository's latest run's, to tell "analysis failed" from "not analysed"."""
    if state is None:
        return ReadinessScore(NO_CHECKLIST)
    if not _analysed(state):
        if run_status == RunStatus.FAILED:
            return ReadinessScore(ANALYSIS_FAILED, error=_first_line(run_error))
        return ReadinessScore(NOT_ANALYSED)
    items = state.get("items", {})
    manual = state.get("manual")
    reviewed = state.get("reviewed")
    if manual is None:  # stored before coverage existed: manual statuses are their own words
        manual = sum(1 for s in items.values() if s in ("done", "todo", "due"))
        reviewed = sum(1 for s in items.values() if s in ("done", "due"))
    return ReadinessScore(
        SCORED,
        value=state.get("overall"),
        level=state.get("level", ""),
        manual=manual,
        reviewed=reviewed,
        waived=state.get("waived", 0),
    )


def _first_line(text: str) -> str:
    return (text or "").strip().splitlines()[0][:200] if (text or "").strip() else ""


def repository_scores(
    *, repository_ids: Iterable[int], latest_runs: dict[int, tuple] | None = None
) -> dict[int, ReadinessScore]:
    """The live readiness score of each repository, ``{id: ReadinessScore}``, in two queries; one
    when the caller has read their latest runs already (``latest_runs``: ``{id: (status, error)}``)."""
    ids = list(repository_ids)
    states = dict(
        AppliedChecklist.objects.filter(repository_id__in=ids, primary=True).values_list(
            "repository_id", "state"
        )
    )
    runs = latest_runs
    if runs is None:
        latest = AnalysisRun.objects.of_outer_repository()  # the repository's latest run (of its branch)
        runs = {
            pk: (status, error)
            for pk, status, error in Repository.objects.filter(pk__in=ids)
            .annotate(s=Subquery(latest.values("status")[:1]), e=Subquery(latest.values("error")[:1]))
            .values_list("pk", "s", "e")
        }
    return {
        pk: score_from_state(
            states.get(pk),
            run_status=runs.get(pk, (None, ""))[0],
            run_error=runs.get(pk, (None, ""))[1] or "",
        )
        for pk in ids
    }


_UNREAD = object()


def repository_score(*, repository, latest_run=_UNREAD) -> ReadinessScore:
    """The live readiness score of one repository. ``latest_run``: its latest run (``run_latest``'s,
    None for none), when the caller has read it already: one query instead of two."""
    latest_runs = None
    if latest_run is not _UNREAD:
        latest_runs = {repository.pk: (latest_run.status, latest_run.error) if latest_run else (None, "")}
    return repository_scores(repository_ids=[repository.pk], latest_runs=latest_runs)[repository.pk]


def run_scores(*, repository, runs: Iterable[AnalysisRun], template_slug: str | None = None) -> dict:
    """The readiness score of each finished run (its primary checklist's snapshot, or that of
    ``template_slug``, as of the run's end), ``{run id: ReadinessScore}``; a failed run reads
    "analysis failed", a run without a snapshot is left out. Two queries."""
    runs = list(runs)
    slug = template_slug or (
        AppliedChecklist.objects.filter(repository=repository, primary=True)
        .values_list("template__slug", flat=True)
        .first()
    )
    snapshots = {}
    if slug is not None:
        snapshots = dict(
            ChecklistSnapshot.objects.filter(
                run_id__in=[r.pk for r in runs if r.status == RunStatus.SUCCEEDED], template_slug=slug
            ).values_list("run_id", "data")
        )
    scores = {}
    for run in runs:
        if run.status == RunStatus.FAILED:
            scores[run.pk] = ReadinessScore(ANALYSIS_FAILED, error=_first_line(run.error))
        elif run.pk in snapshots:
            scores[run.pk] = score_from_state(snapshots[run.pk])
    return scores


# Team figures: what moved, named ------------------------------------------------------------------

LEVEL_RANK = {"bronze": 1, "silver": 2, "gold": 3}
MAX_NAMED = 3  # repositories named in a headline; the rest are counted


def level_title(level: str) -> str:
    return level.title() if level else "no level"


@dataclass(frozen=True)
class ScoreChange:
    """One repository's readiness score and level at two moments (None: no score then)."""

    name: str
    before: float | None
    after: float | None
    level_before: str = ""
    level_after: str = ""
    slug: str = ""

    @property
    def movement(self) -> str:
        """``worse`` when the score or the level dropped, ``better`` when either rose and neither
        dropped, ``same``; ``new`` (no score before), ``unscored`` (none now)."""
        if self.after is None:
            return "unscored"
        if self.before is None:
            return "new"
        levels = LEVEL_RANK.get(self.level_after, 0) - LEVEL_RANK.get(self.level_before, 0)
        if self.after < self.before or levels < 0:
            return "worse"
        if self.after > self.before or levels > 0:
            return "better"
        return "same"

    @property
    def rise(self) -> float:
        return (self.after - self.before) if self.after is not None and self.before is not None else 0.0

    @property
    def phrase(self) -> str:
        """ "api 8.1 → 6.0", "worker lost Silver", "api 8.1 → 6.0 (lost Silver)", "web reached Gold"."""
        parts = []
        if self.before is not None and self.after is not None and self.after != self.before:
            parts.append(f"{self.before:.1f} → {self.after:.1f}")
        rank_before, rank_after = LEVEL_RANK.get(self.level_before, 0), LEVEL_RANK.get(self.level_after, 0)
        if rank_after < rank_before:
            parts.append(f"lost {level_title(self.level_before)}")
        elif rank_after > rank_before:
            parts.append(f"reached {level_title(self.level_after)}")
        if not parts:
            return self.name
        return f"{self.name} " + (parts[0] if len(parts) == 1 else f"{parts[0]} ({parts[1]})")


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def changes_named(changes: list[ScoreChange], *, limit: int = MAX_NAMED) -> str:
    phrases = [c.phrase for c in changes[:limit]]
    more = len(changes) - len(phrases)
    return ", ".join(phrases) + (f" and {more} more" if more else "")


def worse_first(changes: Iterable[ScoreChange]) -> tuple[list[ScoreChange], list[ScoreChange]]:
    """(the repositories that got worse, largest drop first; those that got better, largest rise
    first), each then by name. A level change alone counts as a small move."""
    changes = list(changes)
    worse = sorted((c for c in changes if c.movement == "worse"), key=lambda c: (c.rise, c.name.lower()))
    better = sorted((c for c in changes if c.movement == "better"), key=lambda c: (-c.rise, c.name.lower()))
    return worse, better


def team_headline(changes: Iterable[ScoreChange]) -> str:
    """The team's week in a few words, regressions first: "2 repositories got worse: api 8.1 →
    6.0, worker lost Silver", else "1 repository got better: ...", else "no change". Never a mean,
    which would hide a regression behind a fix elsewhere."""
    worse, better = worse_first(changes)
    if worse:
        return f"{_count(len(worse), 'repository', 'repositories')} got worse: {changes_named(worse)}"
    if better:
        return f"{_count(len(better), 'repository', 'repositories')} got better: {changes_named(better)}"
    return "no change"


def team_score_changes(*, repository_ids: Iterable[int], since) -> list[ScoreChange]:
    """Each repository's readiness score and level now (its primary checklist's live state) and
    as of ``since`` (that checklist's snapshot of the last run finished by then), in one query.
    Reads the stored columns only, so a big team's dashboard stays cheap."""
    primary = AppliedChecklist.objects.filter(repository=OuterRef("pk"), primary=True)
    then = ChecklistSnapshot.objects.filter(
        repository=OuterRef("pk"), template_slug=OuterRef("primary_slug"), taken_at__lte=since
    ).order_by("-taken_at", "-id")
    rows = (
        Repository.objects.filter(pk__in=repository_ids)  # a list, or a queryset of ids (a subquery)
        .annotate(
            primary_slug=Subquery(primary.values("template__slug")[:1]),
            now_overall=Subquery(primary.values("overall")[:1]),
            now_level=Subquery(primary.values("level")[:1]),
            then_overall=Subquery(then.values("overall")[:1]),
            then_level=Subquery(then.values("level")[:1]),
        )
        .values_list("name", "slug", "now_overall", "now_level", "then_overall", "then_level")
    )
    return [
        ScoreChange(name, then_overall, now_overall, then_level or "", now_level or "", slug)
        for name, slug, now_overall, now_level, then_overall, then_level in rows
    ]
