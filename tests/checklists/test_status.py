"""Item status logic: combining checks, manual attestations falling due, waivers, levels, scores."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest

from readiness.checklists.status import (
    AttestationFact,
    WaiverFact,
    checklist_state,
    combine_statuses,
    item_state,
    level_reached,
)

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@dataclass
class Spec:
    key: str
    level: str = "bronze"
    checks: list = field(default_factory=list)
    combine: str = "all"
    manual: bool = False
    reattest_days: int | None = None
    category_id: str = "security"
    category_title: str = "Security"


@pytest.mark.parametrize(
    ("statuses", "combine", "expected"),
    [
        (["pass", "fail"], "all", "fail"),
        (["pass", "warn"], "all", "warn"),
        (["error", "fail"], "all", "error"),
        (["pass", "fail"], "any", "pass"),
        (["warn", "fail"], "any", "warn"),
        (["na", "pass"], "all", "pass"),
        (["na", "na"], "all", "na"),
        ([None, "fail"], "all", "fail"),  # a check absent from the run counts as na
        ([None], "any", "na"),
        ([], "all", "na"),
    ],
)
def test_combine_statuses(statuses, combine, expected):
    assert combine_statuses(statuses, combine) == expected


def test_automated_item_pending_without_run_and_from_checks_with_one():
    spec = Spec("x", checks=["a.b", "c.d"])
    assert item_state(spec, check_statuses=None, attestation=None, waiver=None, now=NOW).status == "pending"
    state = item_state(
        spec, check_statuses={"a.b": "pass", "c.d": "warn"}, attestation=None, waiver=None, now=NOW
    )
    assert state.status == "warn"


def test_manual_item_todo_done_and_due_after_interval():
    spec = Spec("backup", manual=True, reattest_days=90)
    assert item_state(spec, check_statuses={}, attestation=None, waiver=None, now=NOW).status == "todo"
    fresh = AttestationFact(True, NOW - timedelta(days=89))
    state = item_state(spec, check_statuses={}, attestation=fresh, waiver=None, now=NOW)
    assert state.status == "done"
    assert state.changes_at == fresh.at + timedelta(days=90)
    stale = AttestationFact(True, NOW - timedelta(days=90))
    assert item_state(spec, check_statuses={}, attestation=stale, waiver=None, now=NOW).status == "due"
    unticked = AttestationFact(False, NOW)
    assert item_state(spec, check_statuses={}, attestation=unticked, waiver=None, now=NOW).status == "todo"


def test_manual_item_without_interval_never_falls_due():
    spec = Spec("cors", manual=True)
    old = AttestationFact(True, NOW - timedelta(days=3000))
    assert item_state(spec, check_statuses={}, attestation=old, waiver=None, now=NOW).status == "done"


def test_waiver_holds_through_its_expiry_date_then_reverts():
    spec = Spec("x", checks=["a.b"])
    waiver = WaiverFact(expires_on=date(2026, 3, 10))
    state = item_state(spec, check_statuses={"a.b": "fail"}, attestation=None, waiver=waiver, now=NOW)
    assert (state.status, state.underlying) == ("waived", "fail")
    assert state.changes_at == datetime(2026, 3, 11, tzinfo=UTC)
    later = NOW + timedelta(days=1)
    assert (
        item_state(spec, check_statuses={"a.b": "fail"}, attestation=None, waiver=waiver, now=later).status
        == "fail"
    )


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([("bronze", "pass"), ("silver", "pass"), ("gold", "pass")], "gold"),
        ([("bronze", "pass"), ("silver", "pass"), ("gold", "fail")], "silver"),
        ([("bronze", "pass"), ("silver", "todo"), ("gold", "pass")], "bronze"),
        ([("bronze", "fail"), ("silver", "pass")], ""),
        (
            [("bronze", "waived"), ("bronze", "na"), ("silver", "done")],
            "gold",
        ),  # no gold item: nothing blocks
        ([("bronze", "pending")], ""),
    ],
)
def test_level_is_the_highest_whose_items_and_those_below_all_pass(pairs, expected):
    assert level_reached(pairs) == expected


def test_checklist_state_scores_by_level_weight_and_leaves_out_waived_and_na():
    items = [
        Spec("a", level="bronze", checks=["c.a"]),  # weight 3, pass
        Spec("b", level="silver", checks=["c.b"]),  # weight 2, fail
        Spec("c", level="gold", checks=["c.c"]),  # weight 1, warn
        Spec("d", level="bronze", checks=["c.d"], category_id="build", category_title="Build"),  # na
        Spec("e", level="bronze", manual=True, category_id="build", category_title="Build"),  # waived
        Spec("f", level="silver", manual=True, category_id="build", category_title="Build"),  # to review
    ]
    state = checklist_state(
        items,
        check_statuses={"c.a": "pass", "c.b": "fail", "c.c": "warn", "c.d": "na"},
        attestations={},
        waivers={"e": WaiverFact(date(2026, 4, 1))},
        now=NOW,
    )
    # security: (3 + 0 + 0.5) / 6 = 5.8; build: nothing decided (n/a, not 0.0); overall: 3.5 / 6 = 5.8
    assert state["categories"]["security"] == {"title": "Security", "score": 5.8}
    assert state["categories"]["build"]["score"] is None
    assert state["overall"] == 5.8
    assert (state["analysed"], state["manual"], state["reviewed"]) == (True, 2, 1)  # the waived one counts
    assert state["items"] == {"a": "pass", "b": "fail", "c": "warn", "d": "na", "e": "waived", "f": "todo"}
    assert state["level"] == "bronze"  # bronze items pass, are na or waived; silver item b fails
    assert state["waived"] == 1
    assert state["valid_until"] == "2026-04-02T00:00:00+00:00"  # the day after the waiver's last day


def test_unreviewed_manual_items_are_left_out_and_lapsed_ones_fail():
    items = [
        Spec("a", level="bronze", checks=["c.a"]),  # weight 3, pass
        Spec("t", level="bronze", manual=True),  # todo: to review, left out
        Spec("d", level="silver", manual=True, reattest_days=30),  # ticked 40 days ago: due, fails
        Spec("k", level="gold", manual=True),  # ticked: done, passes
    ]
    state = checklist_state(
        items,
        check_statuses={"c.a": "pass"},
        attestations={
            "d": AttestationFact(True, NOW - timedelta(days=40)),
            "k": AttestationFact(True, NOW - timedelta(days=1)),
        },
        waivers={},
        now=NOW,
    )
    assert state["items"] == {"a": "pass", "t": "todo", "d": "due", "k": "done"}
    assert state["overall"] == 6.7  # (3 + 0 + 1) / (3 + 2 + 1): the todo item is in neither sum
    assert (state["manual"], state["reviewed"]) == (3, 2)
    assert state["level"] == ""  # the todo bronze item still holds Bronze


def test_a_repository_never_analysed_has_no_score_even_with_ticks():
    items = [Spec("a", checks=["c.a"]), Spec("k", manual=True)]
    state = checklist_state(
        items,
        check_statuses=None,
        attestations={"k": AttestationFact(True, NOW)},
        waivers={},
        now=NOW,
    )
    assert state["overall"] is None and state["analysed"] is False
    assert state["categories"]["security"]["score"] is None  # the ticked item's category too


def test_state_with_nothing_applicable_has_no_score():
    state = checklist_state(
        [Spec("a", checks=["c.a"])], check_statuses=None, attestations={}, waivers={}, now=NOW
    )
    assert state["overall"] is None
    assert state["categories"]["security"]["score"] is None


@dataclass
class ConditionalSpec(Spec):
    applies_when: dict | None = None


def test_items_that_do_not_apply_are_left_out_of_scores_and_levels():
    items = [
        ConditionalSpec("non-root", checks=["dockerfile.non_root_user"]),
        ConditionalSpec("chroma", manual=True, applies_when={"dependency": "chromadb"}),
        ConditionalSpec("render", level="silver", manual=True, applies_when={"file": "render.yaml"}),
    ]
    facts = {"stacks": ["python"], "dependencies": {"python": ["flask"]}, "files": []}
    waiver = {"chroma": WaiverFact(date(2026, 4, 1))}
    state = checklist_state(
        items,
        check_statuses={"dockerfile.non_root_user": "pass"},
        attestations={},
        waivers=waiver,
        now=NOW,
        repo_facts=facts,
    )
    # Two unticked manual items would fail; they do not apply, so neither counts, waiver or not.
    assert state["items"] == {"non-root": "pass", "chroma": "inapplicable", "render": "inapplicable"}
    assert state["overall"] == 10.0 and state["level"] == "gold" and state["waived"] == 0
    # Facts unknown (no run yet, or a run from before facts): every item applies.
    unknown = checklist_state(
        items, check_statuses={"dockerfile.non_root_user": "pass"}, attestations={}, waivers={}, now=NOW
    )
    assert unknown["items"] == {"non-root": "pass", "chroma": "todo", "render": "todo"}
    assert unknown["level"] == ""
    with_chroma = {**facts, "dependencies": {"python": ["chromadb"]}}
    assert (
        item_state(
            items[1], check_statuses={}, attestation=None, waiver=None, now=NOW, repo_facts=with_chroma
        ).status
        == "todo"
    )


def test_the_migration_rescores_stored_states_from_their_item_statuses():
    """Stored states (live and snapshots) are rescored from their item statuses by the migration:
    the manual item nobody reviewed leaves both sums, coverage is added, categories follow."""
    import importlib

    migration = importlib.import_module("readiness.checklists.migrations.0005_readiness_score")
    items = [
        Spec("a", level="bronze", checks=["c.a"]),
        Spec("b", level="silver", checks=["c.b"], category_id="build", category_title="Build"),
        Spec("t", level="silver", manual=True, category_id="build", category_title="Build"),
    ]
    old = {
        "overall": 4.3,  # (3 + 0 + 0) / 7 with the todo item as a failure
        "level": "bronze",
        "categories": {
            "security": {"title": "Security", "score": 10.0},
            "build": {"title": "Build", "score": 0.0},
        },
        "items": {"a": "pass", "b": "fail", "t": "todo"},
        "waived": 0,
    }
    new = migration._rescore(old, items, analysed=True)
    assert new["overall"] == 6.0  # 3 / 5
    assert new["categories"]["build"]["score"] == 0.0 and new["categories"]["security"]["score"] == 10.0
    assert (new["analysed"], new["manual"], new["reviewed"], new["level"]) == (True, 1, 0, "bronze")
    assert migration._rescore(old, items, analysed=False)["overall"] is None
