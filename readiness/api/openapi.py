"""The OpenAPI 3.1 description of /api/v1/, served at /api/v1/openapi.json.

Hand-written: tests/api/test_openapi.py validates it, calls every operation and checks that each
documented status is really produced and that every /api/ URL is described.
"""

from __future__ import annotations

import copy

from django.conf import settings

from readiness import __version__


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _resp(name: str) -> dict:
    return {"$ref": f"#/components/responses/{name}"}


NULLABLE_STR = {"type": ["string", "null"]}
NULLABLE_NUM = {"type": ["number", "null"]}
SCORE = {"type": ["number", "null"], "minimum": 0, "maximum": 10}
READINESS_SCORE = {
    "type": "object",
    "description": (
        "The readiness score (docs/scoring.md): the primary checklist's score over its decided "
        "items, the number every page, the badge and the e-mail show. value is null unless status "
        "is scored; manual items nobody has reviewed yet (to_review) are left out of it."
    ),
    "required": ["value", "status", "text"],
    "properties": {
        "value": SCORE,
        "status": {"enum": ["scored", "not_analysed", "analysis_failed", "no_checklist"]},
        "text": {"type": "string", "description": "As the pages write it: 8.2/10, not analysed..."},
        "level": {"enum": ["bronze", "silver", "gold", None]},
        "manual_items": {"type": "integer"},
        "reviewed": {"type": "integer"},
        "to_review": {"type": "integer"},
        "waived": {"type": "integer"},
        "error": NULLABLE_STR,
    },
}
CHECK_SCORE = {
    **SCORE,
    "description": "The engine's score of the automated checks alone (the CLI's check score).",
}

PATH_PARAMS = [
    {
        "name": "team",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": "Team slug.",
    },
    {
        "name": "repo",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": "Repository slug.",
    },
]
RUN_PARAM = {"name": "run_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
AUTH_ERRORS = {"401": _resp("Unauthorized"), "404": _resp("NotFound"), "429": _resp("TooManyRequests")}

SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["detail"],
        "properties": {
            "detail": {"type": "string"},
            "retry_after": {"type": "integer"},
            "run": {"type": "integer"},
        },
    },
    "Waiver": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "template": {"type": "string"},
            "item": {"type": "string"},
            "reason": {"type": "string"},
            "expires_on": {"type": "string", "format": "date"},
            "granted_by": {"type": ["string", "null"]},
        },
    },
    "Run": {
        "type": "object",
        "required": ["id", "team", "repository", "status", "finished", "url"],
        "properties": {
            "id": {"type": "integer"},
            "team": {"type": "string"},
            "repository": {"type": "string"},
            "status": {"enum": ["queued", "running", "succeeded", "failed"]},
            "finished": {"type": "boolean"},
            "trigger": {"enum": ["manual", "webhook", "schedule", "api", "backfill"]},
            "ref": {
                "type": ["string", "null"],
                "description": "The branch, tag or commit asked for; null for the tracked branch's head.",
            },
            "commit_sha": NULLABLE_STR,
            "commit_date": {"type": ["string", "null"], "format": "date-time"},
            "check_score": CHECK_SCORE,
            "error": NULLABLE_STR,
            "queued_at": {"type": ["string", "null"], "format": "date-time"},
            "started_at": {"type": ["string", "null"], "format": "date-time"},
            "finished_at": {"type": ["string", "null"], "format": "date-time"},
            "url": {"type": "string", "format": "uri"},
            "sarif_url": {"type": "string", "format": "uri"},
            "html_url": {"type": "string", "format": "uri"},
        },
    },
    "Backfill": {
        "type": "object",
        "required": ["state", "done", "runs"],
        "properties": {
            "state": {"enum": ["listing", "queued", "failed", None]},
            "count": {"type": ["integer", "null"]},
            "error": NULLABLE_STR,
            "requested_at": {"type": ["string", "null"], "format": "date-time"},
            "total": {"type": "integer"},
            "finished": {"type": "integer"},
            "succeeded": {"type": "integer"},
            "failed": {"type": "integer"},
            "done": {"type": "boolean"},
            "runs": {"type": "array", "items": _ref("Run")},
        },
    },
    "Repository": {
        "type": "object",
        "required": ["team", "slug", "name"],
        "properties": {
            "team": {"type": "string"},
            "slug": {"type": "string"},
            "name": {"type": "string"},
            "branch": {"type": "string"},
            "latest_run": {
                "type": ["object", "null"],
                "properties": {"id": {"type": "integer"}, "status": {"type": "string"}},
            },
            "latest_score": {**SCORE, "description": "The readiness score's value (readiness_score.value)."},
            "readiness_score": READINESS_SCORE,
            "runs_url": {"type": "string", "format": "uri"},
            "scorecard_url": {"type": "string", "format": "uri"},
            "html_url": {"type": "string", "format": "uri"},
        },
    },
    "RepositoryPage": {
        "type": "object",
        "required": ["count", "page", "pages", "per_page", "results"],
        "properties": {
            "count": {"type": "integer"},
            "page": {"type": "integer"},
            "pages": {"type": "integer"},
            "per_page": {"type": "integer"},
            "results": {"type": "array", "items": _ref("Repository")},
        },
    },
    "Evidence": {
        "type": "object",
        "properties": {
            "file": NULLABLE_STR,
            "line": {"type": ["integer", "null"]},
            "message": {"type": "string"},
        },
    },
    "Check": {
        "type": "object",
        "required": ["id", "status"],
        "properties": {
            "id": {"type": "string", "description": "A catalog check id (docs/checks.md)."},
            "title": {"type": "string"},
            "category": {"type": "string"},
            "status": {"enum": ["pass", "fail", "warn", "na", "error"]},
            "severity": {"type": "string"},
            "evidence": {"type": "array", "items": _ref("Evidence")},
            "remediation": {"type": "string"},
            "fixes": {"type": "array", "items": _ref("Fix")},
        },
    },
    "Fix": {
        "type": "object",
        "description": "An automatic fix of the finding, computed for the analysed files (docs/cli.md).",
        "properties": {
            "summary": {"type": "string", "description": "What the edits do."},
            "note": {"type": "string", "description": "What to verify after applying it."},
            "files": {"type": "array", "items": {"type": "string"}},
            "diff": {"type": "string", "description": "The edits as a unified diff, for git apply."},
        },
    },
    "Scorecard": {
        "type": "object",
        "required": ["run", "overall", "categories"],
        "properties": {
            "run": _ref("Run"),
            "overall": {**SCORE, "description": "The readiness score's value (readiness_score.value)."},
            "readiness_score": READINESS_SCORE,
            "check_score": CHECK_SCORE,
            "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
            "categories": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "title": {"type": "string"},
                        "check_score": CHECK_SCORE,
                        "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
                        "checks": {"type": "array", "items": _ref("Check")},
                    },
                },
            },
        },
    },
    "Gate": {
        "type": "object",
        "required": ["passed", "reasons", "failing_checks"],
        "properties": {
            "passed": {"type": "boolean"},
            "min_score": NULLABLE_NUM,
            "level": {"type": ["string", "null"]},
            "score": {**SCORE, "description": "The readiness score min_score is held against."},
            "readiness_score": READINESS_SCORE,
            "run": {"oneOf": [_ref("Run"), {"type": "null"}]},
            "reasons": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Why the gate is not met.",
            },
            "notes": {"type": "array", "items": {"type": "string"}},
            "checklist": {
                "type": ["object", "null"],
                "description": "The primary checklist and the level it reaches, when a level was asked.",
                "properties": {
                    "template": {"type": "string"},
                    "title": {"type": "string"},
                    "level": {"type": "string"},
                },
            },
            "failing_checks": {"type": "array", "items": _ref("Check")},
            "new_since": {
                "type": ["object", "null"],
                "description": "With new_since: the earlier run and the findings new since it.",
                "properties": {
                    "run": {"oneOf": [_ref("Run"), {"type": "null"}]},
                    "new_findings": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "check": {"type": "string"},
                                "status": {"enum": ["fail", "warn", "error"]},
                                "file": {"type": "string"},
                                "line": {"type": ["integer", "null"]},
                                "message": {"type": "string"},
                                "fingerprint": {"type": "string"},
                            },
                        },
                    },
                    "known": {"type": "integer"},
                    "fixed": {"type": "integer"},
                },
            },
            "failing_items": {
                "type": "array",
                "description": "Checklist items at or under the asked level that hold it back.",
                "items": {"type": "object"},
            },
        },
    },
    "ComparisonRow": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "before": SCORE,
            "after": SCORE,
            "status": {
                "enum": ["Fixed", "Improved", "Maintained", "Regressed", "New", "Removed", "Not applicable"]
            },
        },
    },
    "Comparison": {
        "type": "object",
        "description": (
            "The compare page's table: the primary checklist's categories and readiness score as of "
            "each run's end, the items that changed; the engine's check scores apart."
        ),
        "required": ["before", "after", "categories", "overall"],
        "properties": {
            "before": _ref("Run"),
            "after": _ref("Run"),
            "template": NULLABLE_STR,
            "categories": {"type": "array", "items": _ref("ComparisonRow")},
            "overall": {
                "type": "object",
                "properties": {
                    "before": SCORE,
                    "after": SCORE,
                    "status": {"type": "string"},
                    "level_before": NULLABLE_STR,
                    "level_after": NULLABLE_STR,
                    "readiness_before": READINESS_SCORE,
                    "readiness_after": READINESS_SCORE,
                },
            },
            "changes": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "key": {"type": "string"},
                        "title": {"type": "string"},
                        "before": {"type": "string"},
                        "after": {"type": "string"},
                        "change": {
                            "enum": [
                                "New",
                                "Removed",
                                "Added",
                                "No longer applies",
                                "Reviewed",
                                "Fell due",
                                "Unticked",
                                "Fixed",
                                "Regressed",
                                "Waived",
                                "Waiver ended",
                                "Improved",
                                "Changed",
                            ]
                        },
                    },
                },
            },
            "check_scores": {
                "type": "object",
                "description": "The same table from the runs' engine check scores (the CLI's).",
                "properties": {
                    "categories": {"type": "array", "items": _ref("ComparisonRow")},
                    "overall": {
                        "type": "object",
                        "properties": {"before": SCORE, "after": SCORE, "status": {"type": "string"}},
                    },
                },
            },
        },
    },
}

RESPONSES = {
    "BadRequest": _json(_ref("Error"), "A parameter is missing or malformed; detail says which."),
    "Unauthorized": {
        **_json(_ref("Error"), "No token, or an unknown or revoked one."),
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
    },
    "NotFound": _json(_ref("Error"), "No such object in the teams the token reaches."),
    "Conflict": _json(_ref("Error"), "The run has not succeeded, so it has no results."),
    "TooManyRequests": {
        **_json(_ref("Error"), "Rate limit reached; retry after Retry-After seconds."),
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    },
}

PATHS = {
    "/api/v1/openapi.json": {
        "get": {
            "operationId": "openapi",
            "summary": "This description",
            "security": [],
            "responses": {"200": _json({"type": "object"}, "The OpenAPI 3.1 description.")},
        }
    },
    "/api/v1/repos": {
        "get": {
            "operationId": "listRepositories",
            "summary": "Repositories of the token's teams, paginated",
            "parameters": [
                {
                    "name": "team",
                    "in": "query",
                    "schema": {"type": "string"},
                    "description": "Only this team.",
                },
                {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
                {
                    "name": "per_page",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50},
                },
            ],
            "responses": {
                "200": _json(_ref("RepositoryPage"), "One page of repositories."),
                "400": _resp("BadRequest"),
                **AUTH_ERRORS,
            },
        }
    },
    "/api/v1/teams/{team}/repos/{repo}/runs": {
        "post": {
            "operationId": "startAnalysis",
            "summary": "Queue an analysis of the tracked branch, or of a branch, tag or commit",
            "description": "Team tokens may start analyses; personal tokens need the engineer or lead "
            "role. Without a body the tracked branch's head is analysed (joining a run already "
            'queued for it). With {"ref": ...} that branch, tag or full commit id is: a name the '
            "repository does not have is refused at once (400); such a run is history, not the "
            "repository's current score.",
            "parameters": PATH_PARAMS,
            "requestBody": {
                "required": False,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "ref": {
                                    "type": "string",
                                    "maxLength": 255,
                                    "description": "A branch, a tag (refs/heads/ and refs/tags/ "
                                    "accepted) or a full 40-character commit id.",
                                }
                            },
                        }
                    }
                },
            },
            "responses": {
                "202": {
                    **_json(_ref("Run"), "Queued; poll the run's url."),
                    "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}},
                },
                "400": _resp("BadRequest"),
                "403": _json(_ref("Error"), "A viewer's personal token."),
                "409": _json(_ref("Error"), "The repository is archived."),
                **AUTH_ERRORS,
            },
        }
    },
    "/api/v1/teams/{team}/repos/{repo}/backfill": {
        "get": {
            "operationId": "getBackfill",
            "summary": "How far the last history analysis (backfill) got",
            "parameters": PATH_PARAMS,
            "responses": {"200": _json(_ref("Backfill"), "Its state and runs."), **AUTH_ERRORS},
        },
        "post": {
            "operationId": "startBackfill",
            "summary": "Analyse the last N commits of the tracked branch (history and trend at once)",
            "description": "Lists the commits in the background, then queues one run per commit "
            "(oldest first; a commit analysed already is not analysed again). Each run sits at its "
            "commit's date in trends and comparisons. Asking again while the commits are being "
            "listed is the same request.",
            "parameters": PATH_PARAMS,
            "requestBody": {
                "required": False,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "count": {"type": "integer", "minimum": 1, "maximum": 50, "default": 10}
                            },
                        }
                    }
                },
            },
            "responses": {
                "202": {
                    **_json(_ref("Backfill"), "Asked; poll this URL until done is true."),
                    "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}},
                },
                "400": _resp("BadRequest"),
                "403": _json(_ref("Error"), "A viewer's personal token."),
                "409": _json(_ref("Error"), "The repository is archived."),
                **AUTH_ERRORS,
            },
        },
    },
    "/api/v1/teams/{team}/repos/{repo}/waivers": {
        "post": {
            "operationId": "grantWaiver",
            "summary": "Waive a checklist item until a date, within the team's waiver policy",
            "description": "Needs a team lead's personal token. The expiry may be at most the team's "
            "longest waiver (90 days by default) from today; a later one is refused with 400.",
            "parameters": PATH_PARAMS,
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["template", "item", "reason", "expires_on"],
                            "properties": {
                                "template": {"type": "string", "description": "The checklist's slug."},
                                "item": {"type": "string", "description": "The item's key."},
                                "reason": {"type": "string"},
                                "expires_on": {"type": "string", "format": "date"},
                            },
                        }
                    }
                },
            },
            "responses": {
                "201": _json(_ref("Waiver"), "Granted."),
                "400": _resp("BadRequest"),
                "403": _json(_ref("Error"), "Not a team lead's personal token."),
                **AUTH_ERRORS,
            },
        }
    },
    "/api/v1/teams/{team}/repos/{repo}/runs/{run_id}": {
        "get": {
            "operationId": "getRun",
            "summary": "A run's status",
            "parameters": [*PATH_PARAMS, RUN_PARAM],
            "responses": {"200": _json(_ref("Run"), "The run."), **AUTH_ERRORS},
        }
    },
    "/api/v1/teams/{team}/repos/{repo}/runs/{run_id}/sarif": {
        "get": {
            "operationId": "getRunSarif",
            "summary": "A run's findings as SARIF 2.1.0 (for GitHub code scanning)",
            "parameters": [*PATH_PARAMS, RUN_PARAM],
            "responses": {
                "200": {
                    "description": "A SARIF 2.1.0 log.",
                    "content": {"application/sarif+json": {"schema": {"type": "object"}}},
                },
                "409": _resp("Conflict"),
                **AUTH_ERRORS,
            },
        }
    },
    "/api/v1/teams/{team}/repos/{repo}/scorecard": {
        "get": {
            "operationId": "getScorecard",
            "summary": "The latest successful run's scores, checks, evidence and remediation",
            "parameters": PATH_PARAMS,
            "responses": {"200": _json(_ref("Scorecard"), "The scorecard."), **AUTH_ERRORS},
        }
    },
    "/api/v1/teams/{team}/repos/{repo}/gate": {
        "get": {
            "operationId": "gate",
            "summary": "Deploy gate: 200 when met, 409 with what fails when not",
            "description": (
                "Checks a run (by default the latest successful one) against a minimum readiness "
                "score (the dashboard's number, docs/scoring.md), a checklist level and/or findings "
                "new since an earlier run (new_since). No successful run, an unfinished or failed "
                "run, or a repository without a score (no checklist) does not pass."
            ),
            "parameters": [
                *PATH_PARAMS,
                {
                    "name": "min_score",
                    "in": "query",
                    "schema": {"type": "number", "minimum": 0, "maximum": 10},
                    "description": "The lowest readiness score that passes.",
                },
                {"name": "level", "in": "query", "schema": {"enum": ["bronze", "silver", "gold"]}},
                {
                    "name": "run",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1},
                    "description": "Gate this run instead of the latest successful one.",
                },
                {
                    "name": "new_since",
                    "in": "query",
                    "schema": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$"},
                    "description": (
                        "Fail only on fail/error findings not in an earlier successful run: a run id, a "
                        "commit (or its prefix), or the default branch's name for its last run before "
                        "this one. The new findings are listed in new_since.new_findings."
                    ),
                },
            ],
            "responses": {
                "200": _json(_ref("Gate"), "The gate is met."),
                "400": _resp("BadRequest"),
                "409": _json(_ref("Gate"), "The gate is not met; reasons and failing checks say why."),
                **AUTH_ERRORS,
            },
        }
    },
    "/api/v1/teams/{team}/repos/{repo}/compare": {
        "get": {
            "operationId": "compareRuns",
            "summary": "Before/after comparison of two successful runs: readiness score, categories, items",
            "description": "Each side is a run id (before, after) or a commit, full or a prefix of at "
            "least 4 hex digits (before_commit, after_commit): its latest successful run, 404 when "
            "it has none.",
            "parameters": [
                *PATH_PARAMS,
                {"name": "before", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                {"name": "after", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                {
                    "name": "before_commit",
                    "in": "query",
                    "schema": {"type": "string", "pattern": "^[0-9a-fA-F]{4,64}$"},
                },
                {
                    "name": "after_commit",
                    "in": "query",
                    "schema": {"type": "string", "pattern": "^[0-9a-fA-F]{4,64}$"},
                },
            ],
            "responses": {
                "200": _json(_ref("Comparison"), "The comparison."),
                "400": _resp("BadRequest"),
                "409": _resp("Conflict"),
                **AUTH_ERRORS,
            },
        }
    },
}


def openapi_description() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Readiness API",
            "version": __version__,
            "description": "Start analyses, read scorecards and gate deploys from CI. See docs/api.md.",
        },
        "servers": [{"url": settings.SITE_URL}],
        "security": [{"bearer": []}],
        "paths": copy.deepcopy(PATHS),
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A team or personal API token (rdy_...), from the Tokens pages.",
                }
            },
            "schemas": copy.deepcopy(SCHEMAS),
            "responses": copy.deepcopy(RESPONSES),
        },
    }
