"""The JSON shapes of the API (described in openapi.py); plain functions over model instances."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse


def absolute(path: str) -> str:
    # SITE_URL is the public address; the request's Host may be a proxy's internal name.
    return settings.SITE_URL + path


def _repo_kwargs(repository) -> dict:
    return {"team_slug": repository.team.slug, "repo_slug": repository.slug}


def _iso(value):
    return value.isoformat() if value else None


def run_payload(run) -> dict:
    repository = run.repository
    kwargs = {**_repo_kwargs(repository), "run_id": run.pk}
    return {
        "id": run.pk,
        "team": repository.team.slug,
        "repository": repository.slug,
        "status": run.status,
        "finished": run.is_finished,
        "trigger": run.trigger,
        "ref": run.ref or None,
        "commit_sha": run.commit_sha or None,
        "commit_date": _iso(run.commit_date),
        # The engine's score of the automated checks alone (the CLI's "check score"); the
        # repository's readiness score is ``readiness_score`` of the scorecard and the gate.
        "check_score": run.score,
        "error": run.error or None,
        "queued_at": _iso(run.queued_at),
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "url": absolute(reverse("api:run_detail", kwargs=kwargs)),
        "sarif_url": absolute(reverse("api:run_sarif", kwargs=kwargs)),
        "html_url": absolute(reverse("run_detail", kwargs=kwargs)),
    }


def backfill_payload(progress: dict | None) -> dict:
    """A backfill's progress (readiness.repos.backfill.backfill_progress) with its runs."""
    if progress is None:
        return {"state": None, "count": None, "done": True, "total": 0, "finished": 0, "runs": []}
    fields = ("state", "count", "error", "requested_at", "total", "finished", "succeeded", "failed", "done")
    body = {key: progress[key] for key in fields}
    body["error"] = body["error"] or None
    body["runs"] = [run_payload(run) for run in progress["runs"]]
    return body


def repository_payload(repository, score) -> dict:
    """``score``: the repository's ReadinessScore (readiness/checklists/score.py)."""
    kwargs = _repo_kwargs(repository)
    return {
        "team": repository.team.slug,
        "slug": repository.slug,
        "name": repository.name,
        "branch": repository.branch,
        "latest_run": {
            "id": repository.latest_run_id,
            "status": repository.latest_status,
        }
        if repository.latest_run_id
        else None,
        # The readiness score (docs/scoring.md): null unless scored; readiness_score says why.
        "latest_score": score.value if score.scored else None,
        "readiness_score": score.as_json(),
        "runs_url": absolute(reverse("api:run_create", kwargs=kwargs)),
        "scorecard_url": absolute(reverse("api:scorecard", kwargs=kwargs)),
        "html_url": absolute(reverse("repository_detail", kwargs=kwargs)),
    }


def evidence_payload(evidence: list) -> list[dict]:
    return [
        {"file": e.get("file") or None, "line": e.get("line"), "message": e.get("message", "")}
        for e in evidence
        if isinstance(e, dict)
    ]


def check_payload(result) -> dict:
    return {
        "id": result.check_id,
        "title": result.title,
        "category": result.category,
        "status": result.status,
        "severity": result.severity,
        "evidence": evidence_payload(result.evidence),
        "remediation": result.remediation,
        "fixes": [
            {key: fix.get(key, "" if key != "files" else []) for key in ("summary", "note", "files", "diff")}
            for fix in result.fixes or []
            if isinstance(fix, dict)
        ],
    }


def scorecard_payload(scorecard: dict, score) -> dict:
    """The run's automated checks by category, with the repository's readiness score (``score``,
    a ReadinessScore) as ``overall``: the number the dashboard shows."""
    return {
        "run": run_payload(scorecard["run"]),
        "overall": score.value if score.scored else None,
        "readiness_score": score.as_json(),
        "check_score": scorecard["overall"],
        "counts": scorecard["counts"],
        "categories": [
            {
                "id": c["id"],
                "title": c["title"],
                "check_score": c["score"],
                "counts": c["counts"],
                "checks": [check_payload(r) for r in c["results"]],
            }
            for c in scorecard["categories"]
        ],
    }


def gate_payload(gate: dict, *, min_score, level) -> dict:
    return {
        "passed": gate["passed"],
        "min_score": min_score,
        "level": level,
        "score": gate["score"].value if gate["score"].scored else None,
        "readiness_score": gate["score"].as_json(),
        "run": run_payload(gate["run"]) if gate["run"] is not None else None,
        "reasons": gate["reasons"],
        "notes": gate["notes"],
        "checklist": gate["level"],
        "failing_checks": [check_payload(r) for r in gate["failing_checks"]],
        "failing_items": gate["failing_items"],
        "new_since": _new_since_payload(gate.get("new_since")),
    }


def _new_since_payload(since: dict | None) -> dict | None:
    if since is None:
        return None
    return {
        "run": run_payload(since["run"]) if since["run"] is not None else None,
        "new_findings": since["new_findings"],
        "known": since["known"],
        "fixed": since["fixed"],
    }


def waiver_payload(waiver) -> dict:
    return {
        "id": waiver.pk,
        "template": waiver.template_slug,
        "item": waiver.item_key,
        "reason": waiver.reason,
        "expires_on": waiver.expires_on.isoformat(),
        "granted_by": waiver.granted_by.get_username() if waiver.granted_by else None,
    }
