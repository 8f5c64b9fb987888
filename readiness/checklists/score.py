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


def repository_scores(*, repository_ids: Iterable[int]) -> dict[int, ReadinessScore]:
    """The live readiness score of each repository, ``{id: ReadinessScore}``, in two queries."""
    ids = list(repository_ids)
    states = dict(
        AppliedChecklist.objects.filter(repository_id__in=ids, primary=True).values_list(
            "repository_id", "state"
        )
    )
    latest = AnalysisRun.objects.filter(repository=OuterRef("pk")).newest_first()
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


def repository_score(*, repository) -> ReadinessScore:
    """The live readiness score of one repository."""
    return repository_scores(repository_ids=[repository.pk])[repository.pk]


def run_scores(*, repository, runs: Iterable[AnalysisRun]) -> dict[int, ReadinessScore]:
    """The readiness score of each finished run (its primary checklist's snapshot, as of the run's
    end), ``{run id: ReadinessScore}``; a failed run reads "analysis failed". Two queries."""
    runs = list(runs)
    slug = (
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
