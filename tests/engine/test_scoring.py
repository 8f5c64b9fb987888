"""The one scoring formula (docs/scoring.md), including the worked example printed there."""

import pytest

from readiness.engine.model import Severity, Status
from readiness.engine.scoring import SEVERITY_WEIGHT, ScoredItem, score_items

H, M, L = (SEVERITY_WEIGHT[s] for s in (Severity.HIGH, Severity.MEDIUM, Severity.LOW))


def test_weights_are_three_two_one():
    assert (H, M, L) == (3.0, 2.0, 1.0)


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (["pass"], 10.0),
        (["fail"], 0.0),
        (["error"], 0.0),
        (["warn"], 5.0),
        (["pass", "na"], 10.0),
        (["pass", "fail"], 5.0),
    ],
)
def test_status_values(statuses, expected):
    overall, _ = score_items(ScoredItem("build", M, s) for s in statuses)
    assert overall == expected


def test_nothing_applicable_has_no_score():
    overall, by_category = score_items([ScoredItem("security", H, Status.NA)])
    assert overall is None and by_category == {"security": None}
    assert score_items([]) == (None, {})


def test_overall_weighs_items_not_category_means():
    # One high failure in security, three low passes in build: the mean of categories would be 5.0.
    items = [ScoredItem("security", H, "fail")] + [ScoredItem("build", L, "pass")] * 3
    overall, by_category = score_items(items)
    assert by_category == {"security": 0.0, "build": 10.0}
    assert overall == 5.0  # 3 earned of 6


# The worked example of docs/scoring.md; a waived item is left out exactly like na.
BEFORE = [
    ("security", H, "fail"),  # dockerfile.non_root_user
    ("security", H, "pass"),  # dockerfile.base_image_pinned
    ("security", M, "na"),  # compose.redis_auth: no redis
    ("security", L, "warn"),  # dockerfile.copy_over_add (soft)
    ("reliability", H, "fail"),  # compose.healthchecks
    ("reliability", H, "fail"),  # dockerfile.healthcheck
    ("reliability", M, "pass"),  # compose.restart_policy
    ("reliability", H, "pass"),  # compose.persistent_volumes
    ("performance", M, "warn"),  # compose.resource_limits: memory only
    ("performance", L, "warn"),  # dockerfile.base_image_minimal (soft)
    ("build", M, "fail"),  # dockerignore.present
    ("build", M, "pass"),  # dockerfile.multi_stage
    ("build", L, "na"),  # dockerfile.buildkit_cache: waived, counted as na
    ("operations", H, "pass"),  # ci.pipeline_present
    ("operations", H, "pass"),  # ci.runs_tests
    ("operations", M, "fail"),  # ci.lints
]
FIXED = {0, 3, 4, 5, 8, 10, 15}  # the rows turned to pass "after"


def test_worked_example_before():
    overall, by_category = score_items(ScoredItem(*row) for row in BEFORE)
    assert by_category == {
        "security": 5.0,
        "reliability": 4.5,
        "performance": 5.0,
        "build": 5.0,
        "operations": 7.5,
    }
    assert overall == 5.5  # 18 earned of 33


def test_worked_example_after():
    after = [(c, w, "pass" if i in FIXED else s) for i, (c, w, s) in enumerate(BEFORE)]
    overall, by_category = score_items(ScoredItem(*row) for row in after)
    assert by_category == {
        "security": 10.0,
        "reliability": 10.0,
        "performance": 8.3,
        "build": 10.0,
        "operations": 10.0,
    }
    assert overall == 9.8  # 32.5 earned of 33
