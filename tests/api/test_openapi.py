"""The OpenAPI description: valid OpenAPI 3.1, covers every /api/ URL, and every documented status
of every operation is really produced, with a body that matches the documented schema."""

import json
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from readiness.api import services
from readiness.api.openapi import openapi_description
from readiness.repos.models import AnalysisRun
from tests.api.conftest import apply_checklist, bearer, make_scored_run
from tests.factories import RepositoryFactory

pytestmark = pytest.mark.django_db

PARAM = re.compile(r"<(?:\w+:)?\w+>|\{\w+\}")


def test_the_description_is_valid_openapi_3_1():
    spec = openapi_description()
    assert spec["openapi"].startswith("3.1")
    validate(spec)  # raises on an invalid description
    broken = openapi_description()
    broken["paths"]["/api/v1/repos"]["get"]["responses"]["200"] = {"content": {}}  # no description
    with pytest.raises(Exception, match="description"):
        validate(broken)


def test_served_at_api_v1_openapi_json_without_a_token(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json()["openapi"] == "3.1.0"
    assert response.json()["paths"].keys() == openapi_description()["paths"].keys()


def _routes(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _routes(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p.name


def _shape(route: str) -> str:
    return PARAM.sub("{}", "/" + route.lstrip("/").lstrip("^"))


def test_every_api_url_in_the_urlconf_is_described():
    routes = {
        _shape(route)
        for route, name in _routes(get_resolver().url_patterns)
        if route.startswith("api/") and name != "not_found"  # the JSON 404 for everything else
    }
    described = {_shape(path) for path in openapi_description()["paths"]}
    assert routes, "no /api/ URL found: the URLconf walk is broken"
    assert routes == described


# Every documented status, produced ---------------------------------------------------------------


def _resolve(spec, node):
    pointer = None
    while "$ref" in node:
        pointer = node["$ref"].removeprefix("#")
        node = spec
        for part in pointer.strip("/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node, pointer


def _body_validator(spec, path, method, status):
    """A JSON Schema validator for the documented body, or None for a non-JSON one."""
    response = spec["paths"][path][method]["responses"][status]
    response, pointer = _resolve(spec, response)
    content = response.get("content", {})
    if "application/json" not in content:
        return None
    if pointer is None:
        escaped = path.replace("~", "~0").replace("/", "~1")
        pointer = f"/paths/{escaped}/{method}/responses/{status}"
    root = {"components": spec["components"], "paths": spec["paths"]}
    root["$ref"] = f"#{pointer}/content/application~1json/schema"
    return Draft202012Validator(root)


@pytest.fixture
def scenario(world):
    apply_checklist(world.repo)
    runs = {
        "ok": make_scored_run(world.repo, score=8.5),  # readiness score 5.0
        "low": None,
        "queued": AnalysisRun.objects.create(repository=world.repo),
        "foreign": make_scored_run(world.other_repo),
    }
    from readiness.repos.lifecycle import repository_archive

    world.archived_repo = repository_archive(
        repository=RepositoryFactory(team=world.team, name="old-service")
    )
    low_repo = RepositoryFactory(team=world.team, name="low-service")
    apply_checklist(low_repo)
    runs["low"] = make_scored_run(low_repo, score=3.0)  # readiness score 5.0
    world.low_repo = low_repo
    # A manual item on the repository for the waiver endpoint, and a lead's personal token.
    from datetime import timedelta

    from django.utils import timezone

    _, lead_token = services.token_create(name="mine", created_by=world.lead.user, user=world.lead.user)
    waiver = {"template": "api-test", "item": "backups", "reason": "vendor fix due"}
    soon = (timezone.localdate() + timedelta(days=30)).isoformat()
    world.waiver_ok = (lead_token, waiver | {"expires_on": soon})
    world.waiver_too_long = (lead_token, waiver | {"expires_on": "2099-01-01"})
    world.runs = runs
    return world


def _cases(w):
    """(documented path, method, expected status, concrete URL, token) for every documented status."""
    r, low, other = w.repo, w.low_repo, w.other_repo
    ok, queued = w.runs["ok"].pk, w.runs["queued"].pk

    def base(repo):
        return f"/api/v1/teams/{repo.team.slug}/repos/{repo.slug}"

    team, viewer = w.team_token, w.viewer_token
    P = "/api/v1/teams/{team}/repos/{repo}"
    return [
        ("/api/v1/openapi.json", "get", "200", "/api/v1/openapi.json", None),
        ("/api/v1/repos", "get", "200", "/api/v1/repos", team),
        ("/api/v1/repos", "get", "400", "/api/v1/repos?per_page=0", team),
        ("/api/v1/repos", "get", "401", "/api/v1/repos", None),
        ("/api/v1/repos", "get", "404", f"/api/v1/repos?team={other.team.slug}", team),
        (P + "/runs", "post", "202", base(r) + "/runs", team),
        (P + "/runs", "post", "403", base(r) + "/runs", viewer),
        (P + "/runs", "post", "401", base(r) + "/runs", None),
        (P + "/runs", "post", "404", base(other) + "/runs", team),
        (P + "/runs", "post", "400", base(r) + "/runs", (team, {"ref": "--upload-pack=x"})),
        (P + "/runs", "post", "409", base(w.archived_repo) + "/runs", team),
        (P + "/backfill", "get", "200", base(r) + "/backfill", team),
        (P + "/backfill", "get", "401", base(r) + "/backfill", None),
        (P + "/backfill", "get", "404", base(other) + "/backfill", team),
        (P + "/backfill", "post", "202", base(r) + "/backfill", (team, {"count": 3})),
        (P + "/backfill", "post", "400", base(r) + "/backfill", (team, {"count": 51})),
        (P + "/backfill", "post", "403", base(r) + "/backfill", viewer),
        (P + "/backfill", "post", "401", base(r) + "/backfill", None),
        (P + "/backfill", "post", "404", base(other) + "/backfill", team),
        (P + "/backfill", "post", "409", base(w.archived_repo) + "/backfill", team),
        (P + "/waivers", "post", "201", base(r) + "/waivers", w.waiver_ok),
        (P + "/waivers", "post", "400", base(r) + "/waivers", w.waiver_too_long),
        (P + "/waivers", "post", "403", base(r) + "/waivers", team),
        (P + "/waivers", "post", "401", base(r) + "/waivers", None),
        (P + "/waivers", "post", "404", base(other) + "/waivers", team),
        (P + "/runs/{run_id}", "get", "200", base(r) + f"/runs/{ok}", team),
        (P + "/runs/{run_id}", "get", "401", base(r) + f"/runs/{ok}", None),
        (P + "/runs/{run_id}", "get", "404", base(r) + f"/runs/{w.runs['foreign'].pk}", team),
        (P + "/runs/{run_id}/sarif", "get", "200", base(r) + f"/runs/{ok}/sarif", team),
        (P + "/runs/{run_id}/sarif", "get", "409", base(r) + f"/runs/{queued}/sarif", team),
        (P + "/runs/{run_id}/sarif", "get", "401", base(r) + f"/runs/{ok}/sarif", None),
        (P + "/runs/{run_id}/sarif", "get", "404", base(other) + f"/runs/{ok}/sarif", team),
        (P + "/scorecard", "get", "200", base(r) + "/scorecard", team),
        (P + "/scorecard", "get", "401", base(r) + "/scorecard", None),
        (P + "/scorecard", "get", "404", base(other) + "/scorecard", team),
        (P + "/gate", "get", "200", base(r) + "/gate?min_score=4", team),
        (P + "/gate", "get", "400", base(r) + "/gate?min_score=high", team),
        (P + "/gate", "get", "409", base(low) + "/gate?min_score=8", team),
        # No earlier run of the default branch: every finding is new (the body lists them).
        (P + "/gate", "get", "409", base(r) + f"/gate?new_since={r.branch}", team),
        (P + "/gate", "get", "400", base(r) + "/gate?new_since=../etc", team),
        (P + "/gate", "get", "401", base(r) + "/gate?min_score=8", None),
        (P + "/gate", "get", "404", base(other) + "/gate?min_score=8", team),
        (P + "/compare", "get", "200", base(r) + f"/compare?before={ok}&after={ok}", team),
        (P + "/compare", "get", "400", base(r) + f"/compare?before={ok}", team),
        (P + "/compare", "get", "409", base(r) + f"/compare?before={queued}&after={ok}", team),
        (P + "/compare", "get", "401", base(r) + f"/compare?before={ok}&after={ok}", None),
        (P + "/compare", "get", "404", base(other) + f"/compare?before={ok}&after={ok}", team),
    ]


def _call(client, method, url, token):
    """``token`` is a plaintext, None, or (plaintext, JSON body) for an operation with a body."""
    body = None
    if isinstance(token, tuple):
        token, body = token
    headers = bearer(token) if token else {}
    if body is not None:
        return client.post(url, json.dumps(body), content_type="application/json", headers=headers)
    return getattr(client, method)(url, headers=headers)


def test_every_documented_status_is_produced_with_its_documented_body(client, scenario, settings):
    spec = openapi_description()
    produced = set()
    for path, method, status, url, token in _cases(scenario):
        response = _call(client, method, url, token)
        assert str(response.status_code) == status, (method, url, response.content[:300])
        assert status in spec["paths"][path][method]["responses"], (path, method, status)
        validator = _body_validator(spec, path, method, status)
        if validator is not None:
            assert response["Content-Type"] == "application/json"
            errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(response.json())]
            assert errors == [], (method, url)
        produced.add((path, method, status))

    # 429 for every operation behind a token: one request allowed per token, the next refused.
    settings.RATE_LIMIT_API = (1, 60)
    for path, method, status, url, token in _cases(scenario):
        if status not in ("200", "201", "202") or token is None:
            continue
        _, fresh = services.token_create(name="429", created_by=scenario.lead.user, team=scenario.team)
        _call(client, method, url, fresh)
        response = _call(client, method, url, fresh)
        assert response.status_code == 429 and int(response["Retry-After"]) >= 1
        validator = _body_validator(spec, path, method, "429")
        assert not list(validator.iter_errors(response.json()))
        produced.add((path, method, "429"))

    documented = {
        (path, method, status)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        for status in operation["responses"]
    }
    assert documented - produced == set()
    assert produced - documented == set()
