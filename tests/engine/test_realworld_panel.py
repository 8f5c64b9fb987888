"""The engine on real projects' Docker files (tests/engine/realworld/<project>/, sources in SOURCE.md).

Each project's expected.yml gives the status of every registered check except the health.* ones (they
need a live URL), judged by hand against shared/checks.md; a check added to the registry must be judged
on the whole panel before this test passes. docs/checks.md ("On real projects") reports the failure
rates; bench/realworld_bench.py prints them and the scores.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from readiness.engine import analyze
from readiness.engine.registry import all_ids

PANEL = Path(__file__).parent / "realworld"
PROJECTS = sorted(p for p in PANEL.iterdir() if p.is_dir())
JUDGED = [check_id for check_id in all_ids() if not check_id.startswith("health.")]


def expected(project: Path) -> dict[str, str]:
    return yaml.safe_load((project / "expected.yml").read_text())


def test_the_panel_holds_at_least_twelve_projects_each_with_its_source():
    assert len(PROJECTS) >= 12
    for project in PROJECTS:
        source = (project / "SOURCE.md").read_text()
        assert "Repository: https://github.com/" in source and "Licence:" in source, project.name


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_every_check_is_judged_on_every_project(project):
    assert sorted(expected(project)) == sorted(JUDGED)


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_the_engine_agrees_with_the_statuses_judged_by_hand(project):
    report = analyze(project)
    actual = {r.id: str(r.status) for r in report.results if not r.id.startswith("health.")}
    wanted = expected(project)
    differences = {
        check_id: {"expected": wanted.get(check_id), "engine": actual.get(check_id)}
        for check_id in sorted(set(actual) | set(wanted))
        if actual.get(check_id) != wanted.get(check_id)
    }
    assert differences == {}
