"""Read logic for the API: tokens, what a token may reach, gates and run comparisons.

Every repository and run is looked up inside a team the token reaches, so another team's object
is a 404, never a 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404

from readiness.api.levels import LEVELS, checklist_level
from readiness.api.models import ApiToken
from readiness.checklists.models import AppliedChecklist
from readiness.checklists.score import (
    ANALYSIS_FAILED,
    NO_CHECKLIST,
    NOT_ANALYSED,
    ReadinessScore,
    score_from_state,
)
from readiness.checklists.selectors.compare import compare_snapshots, compare_status
from readiness.engine.scoring import CATEGORY_TITLES
from readiness.repos.models import AnalysisRun, Repository, RunStatus, ScoreSnapshot
from readiness.teams.models import Role, Team
from readiness.teams.selectors import membership_get

FAILING_STATUSES = ("error", "fail")


# Tokens ----------------------------------------------------------------------------------------


def token_list_for_team(*, team) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(team=team).select_related("created_by")


def token_list_for_user(*, user) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


def teams_led_by(*, user) -> QuerySet[Team]:
    return Team.objects.filter(memberships__user=user, memberships__role=Role.LEAD).order_by("name")


def token_get_for_team(*, team, token_id: int) -> ApiToken:
    return get_object_or_404(ApiToken, team=team, pk=token_id)


def token_get_for_user(*, user, token_id: int) -> ApiToken:
    return get_object_or_404(ApiToken, user=user, pk=token_id)


# What a token reaches ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamAccess:
    team: Team
    can_trigger: bool
    # Grants waivers: only a lead's personal token (a team token is a CI job, not a person).
    is_lead: bool = False


def token_teams(*, token: ApiToken) -> QuerySet[Team]:
    if token.team_id is not None:
        return Team.objects.filter(pk=token.team_id)
    return Team.objects.filter(memberships__user_id=token.user_id).order_by("name")


def token_team_access(*, token: ApiToken, team_slug: str) -> TeamAccess:
    """The team a token reaches by slug (404 otherwise) and whether it may start analyses:
    a team token may; a personal token may where its user is an engineer or lead."""
    if token.team_id is not None:
        if token.team.slug != team_slug:
            raise Http404
        return TeamAccess(token.team, can_trigger=True)
    membership = membership_get(user=token.user, team_slug=team_slug)
    return TeamAccess(
        membership.team,
        can_trigger=membership.can_edit,
        is_lead=membership.is_lead,
    )


def repository_list_for_teams(*, teams) -> QuerySet[Repository]:
    latest = AnalysisRun.objects.of_outer_repository()
    return (
        Repository.objects.active()
        .filter(team__in=teams)
        .select_related("team")
        .annotate(
            latest_run_id=Subquery(latest.values("id")[:1]),
            latest_status=Subquery(latest.values("status")[:1]),
        )
        .order_by("team__slug", "name", "pk")
    )


# Gate ------------------------------------------------------------------------------------------


def gate_evaluate(
    *,
    repository,
    run: AnalysisRun | None,
    min_score: float | None,
    level: str | None,
    new_since: str | None = None,
) -> dict:
    """Whether a run meets a minimum readiness score, a checklist level and/or has no failing
    finding new since an earlier run (``new_since``: a run id, a commit, or the default branch's
    name for its last run before this one), with what holds it back.

    The score is the readiness score (docs/scoring.md) of the primary checklist with ``run``'s
    results and today's attestations and waivers: for the latest run, the dashboard's number.
    Fails closed: no successful run, a run that is unfinished or failed, or no score, does not pass.
    """
    reasons: list[str] = []
    notes: list[str] = []
    failing_checks: list = []
    failing_items: list[dict] = []
    level_info = None
    since: dict | None = None
    score = ReadinessScore(NOT_ANALYSED)
    if run is None:
        reasons.append("the repository has no successful analysis yet")
        latest = repository.runs.newest_first().only("status", "error").first()
        if latest is not None and latest.status == RunStatus.FAILED:
            score = ReadinessScore(ANALYSIS_FAILED, error=(latest.error or "").strip()[:200])
    elif run.status != RunStatus.SUCCEEDED:
        reasons.append(f"run {run.pk} is {run.status}, not succeeded")
        if run.status == RunStatus.FAILED:
            score = ReadinessScore(ANALYSIS_FAILED, error=(run.error or "").strip()[:200])
    else:
        failing_checks = list(run.check_results.filter(status__in=FAILING_STATUSES).order_by("check_id"))
        level_info = checklist_level(repository=repository, run=run)
        score = ReadinessScore(NO_CHECKLIST) if level_info is None else score_from_state(level_info["state"])
        if new_since is not None:
            since = gate_new_findings(repository=repository, run=run, new_since=new_since)
            failing = [f for f in since["new_findings"] if f["status"] in FAILING_STATUSES]
            if since["run"] is None:
                notes.append(
                    f"no successful run matches new_since={new_since!r}: every finding counts as new"
                )
            if failing:
                base = f"run {since['run'].pk}" if since["run"] is not None else "nothing"
                reasons.append(f"{len(failing)} failing finding(s) new since {base}")
        if min_score is not None and not score.scored:
            reasons.append(f"no readiness score ({score.text}) to hold against the minimum {min_score:g}")
        elif min_score is not None and score.value < min_score:
            reasons.append(f"readiness score {score.value:g} is under the minimum {min_score:g}")
        if level is not None:
            if level_info is None:
                # Passing on nothing checked would open the gate: fail closed.
                reasons.append("the level cannot be checked: the repository has no primary checklist")
            else:
                wanted = LEVELS.index(level)
                reached = LEVELS.index(level_info["level"]) if level_info["level"] in LEVELS else -1
                if reached < wanted:
                    reasons.append(f"checklist level is {level_info['level'] or 'none'}, under {level}")
                failing_items = [
                    item
                    for item in level_info["items"]
                    if item["level"] in LEVELS and LEVELS.index(item["level"]) <= wanted and item["blocking"]
                ]
    return {
        "passed": not reasons,
        "reasons": reasons,
        "notes": notes,
        "run": run,
        "score": score,
        "new_since": since,
        "failing_checks": failing_checks,
        "level": (level_info and {k: level_info[k] for k in ("template", "title", "level")})
        if level
        else None,
        "failing_items": failing_items,
    }


def gate_base_run(*, repository, run: AnalysisRun, new_since: str) -> AnalysisRun | None:
    """The successful run ``new_since`` names: a run id, a commit (or its prefix), or the default
    branch's name for the last successful run before ``run`` (runs analyse the default branch)."""
    earlier = repository.runs.filter(status=RunStatus.SUCCEEDED).exclude(pk=run.pk)
    if new_since.isdigit():
        return earlier.filter(pk=int(new_since)).first()
    if new_since == repository.branch:  # its head's runs, not other refs' nor backfills'
        return repository.runs.exclude(pk=run.pk).latest_succeeded(at=run.finished_at)
    return earlier.filter(commit_sha__startswith=new_since.lower()).order_by("-finished_at", "-id").first()


def gate_new_findings(*, repository, run: AnalysisRun, new_since: str) -> dict:
    """The findings of ``run`` not in the run ``new_since`` names, matched as the CLI's baselines
    match them (fingerprints that survive line moves, then check + file + message)."""
    from readiness.api.sarif import report_from_run
    from readiness.engine.baseline import compare, findings

    base = gate_base_run(repository=repository, run=run, new_since=new_since)
    baseline = {"findings": []}
    if base is not None:
        baseline["findings"] = [
            {"fingerprint": f.fingerprint, "message_key": _message_key(f)}
            for f in findings(report_from_run(base))
        ]
    comparison = compare(report_from_run(run), baseline, path=f"run {base.pk}" if base else "")
    new = [
        {
            "check": f.check,
            "status": str(f.status),
            "file": f.evidence.file,
            "line": f.evidence.line,
            "message": f.evidence.message,
            "fingerprint": f.fingerprint,
        }
        for f in comparison.new
    ]
    return {"run": base, "new_findings": new, "known": comparison.known, "fixed": len(comparison.gone)}


def _message_key(finding) -> str:
    from readiness.engine.fingerprint import message_key

    return message_key(finding.check, finding.evidence)


# Comparison ------------------------------------------------------------------------------------


def runs_compare(*, repository, before: AnalysisRun, after: AnalysisRun) -> dict:
    """The compare page's table between two runs: the primary checklist's categories and the
    readiness score as of each run's end (``overall``), the items that changed (Fixed, Added,
    Regressed...); and, apart, the engine's check scores of the two runs (``check_scores``).
    Without a primary checklist only ``check_scores`` has numbers."""
    from readiness.checklists.services.states import checklist_snapshot_for

    comparison = {"categories": [], "overall": {"before": None, "after": None, "status": "Not applicable"}}
    changes: list[dict] = []
    applied = (
        AppliedChecklist.objects.select_related("template")
        .filter(repository=repository, primary=True)
        .first()
    )
    if applied is not None:
        template = applied.template
        table = compare_snapshots(
            before=checklist_snapshot_for(run=before, template=template),
            after=checklist_snapshot_for(run=after, template=template),
            template=template,
        )
        o = table["overall"]
        comparison = {
            "categories": [
                {k: row[k] for k in ("id", "title", "before", "after", "status")} for row in table["rows"]
            ],
            "overall": {
                "before": o["before"],
                "after": o["after"],
                "status": o["status"],
                "level_before": o["level_before"] or None,
                "level_after": o["level_after"] or None,
                "readiness_before": o["score_before"].as_json(),
                "readiness_after": o["score_after"].as_json(),
            },
        }
        changes = [{k: c[k] for k in ("key", "title", "before", "after", "change")} for c in table["changes"]]
    return {
        **comparison,
        "template": applied.template.slug if applied else None,
        "changes": changes,
        "check_scores": _check_scores_compare(before=before, after=after),
    }


def _check_scores_compare(*, before: AnalysisRun, after: AnalysisRun) -> dict:
    """Category | Before | After | Status from the two runs' engine check scores (the CLI's)."""
    scores_before = {s.category: s for s in ScoreSnapshot.objects.filter(run=before)}
    scores_after = {s.category: s for s in ScoreSnapshot.objects.filter(run=after)}
    ids = [c for c in CATEGORY_TITLES if c in scores_before or c in scores_after]
    ids += sorted((set(scores_before) | set(scores_after)) - set(ids) - {ScoreSnapshot.OVERALL})
    rows = []
    for category in ids:
        b, a = scores_before.get(category), scores_after.get(category)
        bs, as_ = (b.score if b else None), (a.score if a else None)
        title = (a or b).title
        rows.append(
            {"id": category, "title": title, "before": bs, "after": as_, "status": compare_status(bs, as_)}
        )
    ob, oa = scores_before.get(ScoreSnapshot.OVERALL), scores_after.get(ScoreSnapshot.OVERALL)
    overall_before = ob.score if ob else before.score
    overall_after = oa.score if oa else after.score
    return {
        "categories": rows,
        "overall": {
            "before": overall_before,
            "after": overall_after,
            "status": compare_status(overall_before, overall_after),
        },
    }
