"""The promise of every fix: applied to a failing repository, its check passes and no other check's
status gets worse.

Cases live in tests/engine/fixes/<check id>/<case>/ (a tiny repository), each with the exact diff the
fix must produce beside it (<case>.diff; regenerate with UPDATE_FIX_DIFFS=1 after reading the
change). The test is parametrized over the registry of fix builders, so a builder without a case
fails here.
"""

import os
import shutil
from pathlib import Path

import pytest

from readiness.engine import analyze
from readiness.engine.fixes.apply import fixes_of, plan, write
from readiness.engine.fixes.registry import fixable_ids
from readiness.engine.model import Status

CASES_DIR = Path(__file__).parent / "fixes"
FIXTURES = Path(__file__).parent / "fixtures"
# Higher is better; pass and na are equally good (a fix may remove what a check applied to).
RANK = {Status.ERROR: 0, Status.FAIL: 1, Status.WARN: 2, Status.PASS: 3, Status.NA: 3}
# Checks that are na once nothing is left to apply them to: COPY replaces the last ADD.
PASSING = {"dockerfile.copy_over_add": (Status.PASS, Status.NA)}


def _cases():
    return sorted(p for p in CASES_DIR.glob("*/*") if p.is_dir())


def _copy(case: Path, tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(case, repo, symlinks=True)
    return repo


def worse(before, after) -> list[str]:
    return [
        f"{r.id}: {r.status} -> {after.result(r.id).status} {after.result(r.id).evidence}"
        for r in before.results
        if RANK[after.result(r.id).status] < RANK[r.status]
    ]


@pytest.mark.parametrize("check_id", fixable_ids())
def test_every_fix_builder_has_a_case(check_id):
    assert [p for p in _cases() if p.parent.name == check_id], f"add a case under {CASES_DIR / check_id}"


def test_every_case_names_a_fix_builder():
    assert {p.parent.name for p in _cases()} <= set(fixable_ids())


@pytest.mark.parametrize("case", _cases(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_fix_makes_its_check_pass_and_no_other_check_worse(case, tmp_path):
    check_id = case.parent.name
    repo = _copy(case, tmp_path)
    before = analyze(repo, fixes=True)
    result = before.result(check_id)
    assert result.status in (Status.FAIL, Status.WARN), result.evidence
    fixes = [fix for fix in result.fixes if fix.edits]
    assert fixes, [fix.summary for fix in result.fixes]

    planned = plan(repo, fixes)
    assert planned.deferred == []
    diff = planned.diff()
    write(repo, planned.files)
    after = analyze(repo)

    assert after.result(check_id).status in PASSING.get(check_id, (Status.PASS,)), after.result(
        check_id
    ).evidence
    assert worse(before, after) == []
    golden = case.parent / f"{case.name}.diff"
    if os.environ.get("UPDATE_FIX_DIFFS"):
        golden.write_text(diff)
    assert diff == golden.read_text()


def _failing_fixtures():
    return sorted(
        p.parent
        for p in FIXTURES.glob("*/*/expect.json")
        if '"fail"' in p.read_text() or '"warn"' in p.read_text()
    )


@pytest.mark.parametrize("case", _failing_fixtures(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_all_fixes_applied_together_make_nothing_worse(case, tmp_path):
    repo = _copy(case, tmp_path)
    before = analyze(repo, fixes=True)
    planned = plan(repo, fixes_of(before))
    write(repo, planned.files)
    after = analyze(repo)

    assert worse(before, after) == []
    for fix in planned.applied:
        # A fix applied with its whole plan never leaves its own check worse, either.
        assert RANK[after.result(fix.check).status] >= RANK[before.result(fix.check).status]
