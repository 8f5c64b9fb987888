"""The --fail-under gate against fixed scores (in-process, so no check's outcome matters)."""

import pytest

from readiness.engine import ScanReport, cli


@pytest.fixture
def scored(monkeypatch, tmp_path):
    def set_report(score, fail_under=None):
        report = ScanReport(
            version="0", path=str(tmp_path), score=score, categories=[], results=[], fail_under=fail_under
        )
        monkeypatch.setattr(cli, "analyze", lambda *args, **kwargs: report)
        return str(tmp_path)

    return set_report


@pytest.mark.parametrize(
    ("score", "config", "option", "code"),
    [
        (6.4, None, None, 0),  # no gate
        (6.4, None, "7", 1),
        (6.4, None, "6.4", 0),  # "under" is strict
        (6.4, 7, None, 1),  # the config's gate
        (6.4, 7, "5", 0),  # the option overrides the config
        (9.0, 5, "9.5", 1),
        (None, None, "0", 1),  # no score at all fails any gate
    ],
)
def test_gate(scored, capsys, score, config, option, code):
    root = scored(score, config)
    args = ["scan", root, "--format", "json"] + (["--fail-under", option] if option else [])
    assert cli.main(args) == code
    err = capsys.readouterr().err
    assert (err.count("\n") == 1 and "under the required" in err) if code else err == ""
