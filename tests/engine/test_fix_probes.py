"""Repairing health check commands that cannot report failure (fixes/probes.py)."""

import pytest

from readiness.engine.fixes.probes import repair_argv, repair_compose_test, repair_script


@pytest.mark.parametrize(
    ("script", "repaired"),
    [
        ("curl http://localhost:8000/health", "curl -f http://localhost:8000/health"),
        ("curl -s http://x/ || exit 0", "curl -f -s http://x/ || exit 1"),
        ("wget -qO- http://x/ || true", "wget -qO- http://x/ || exit 1"),
        ("pg_isready || :", "pg_isready || exit 1"),
        ("python check.py; exit 0", "python check.py"),
        ("curl -fsS http://x/ || exit 1", None),  # already fails
        ("curl -s http://x/ | grep ok", None),  # grep decides
        ("echo ok", None),  # probes nothing: no mechanical repair
        ("true", None),
        ("exit 0", None),
    ],
)
def test_repair_script(script, repaired):
    assert repair_script(script) == repaired


def test_repair_argv_and_compose_tests():
    assert repair_argv(["curl", "http://x/"]) == ["curl", "-f", "http://x/"]
    assert repair_argv(["curl", "--fail", "http://x/"]) is None
    assert repair_argv(["sh", "-c", "curl http://x/ || true"]) == ["sh", "-c", "curl -f http://x/ || exit 1"]
    assert repair_compose_test(["CMD", "curl", "http://x/"]) == ["CMD", "curl", "-f", "http://x/"]
    assert repair_compose_test(["CMD-SHELL", "curl http://x/ || exit 0"]) == [
        "CMD-SHELL",
        "curl -f http://x/ || exit 1",
    ]
    assert repair_compose_test("curl http://x/") == "curl -f http://x/"
    assert repair_compose_test(["NONE"]) is None
