"""`.readiness.yml`: skips with reason and expiry, the fail_under gate, and no crash on bad files."""

import datetime as dt
import os

import pytest

from readiness.engine import analyze
from readiness.engine.config import MAX_CONFIG_BYTES, load_config

TODAY = dt.date(2026, 11, 23)


def _load(tmp_path, text=None):
    if text is not None:
        (tmp_path / ".readiness.yml").write_text(text)
    return load_config(tmp_path, today=TODAY)


def test_no_file_is_an_empty_config(tmp_path):
    config = _load(tmp_path)
    assert config.skips == {} and config.notes == [] and config.fail_under is None


def test_skip_with_reason_applies(tmp_path):
    config = _load(tmp_path, "skip:\n  - id: health.uptime\n    reason: not deployed yet\n")
    assert config.active_skip("health.uptime") == {
        "id": "health.uptime",
        "reason": "not deployed yet",
        "expires": None,
    }
    assert config.active_skip("health.tls_valid") is None
    assert config.notes == []


@pytest.mark.parametrize("expires", ["2026-11-23", "'2026-11-23'", "2027-01-31"])
def test_skip_applies_until_its_expiry_day_inclusive(tmp_path, expires):
    config = _load(tmp_path, f"skip:\n  - id: health.uptime\n    reason: r\n    expires: {expires}\n")
    assert config.active_skip("health.uptime")["expires"] == expires.strip("'")


def test_expired_skip_stops_applying_and_says_so(tmp_path):
    config = _load(tmp_path, "skip:\n  - id: health.uptime\n    reason: r\n    expires: 2026-11-22\n")
    assert config.active_skip("health.uptime") is None
    assert config.notes == [
        ".readiness.yml: skip of health.uptime expired on 2026-11-22; the check runs again"
    ]


def test_unknown_id_is_a_note_and_other_skips_still_apply(tmp_path):
    text = "skip:\n  - id: nope.nothing\n    reason: r\n  - id: health.uptime\n    reason: r\n"
    config = _load(tmp_path, text)
    assert config.active_skip("health.uptime") is not None
    assert config.notes == [".readiness.yml: skip of unknown check id 'nope.nothing' ignored"]


def test_impossible_date_is_a_note(tmp_path):
    config = _load(tmp_path, "skip:\n  - id: health.uptime\n    reason: r\n    expires: '2026-02-30'\n")
    assert config.active_skip("health.uptime") is None
    assert "is not a date" in config.notes[0]


def test_fail_under_is_read(tmp_path):
    assert _load(tmp_path, "fail_under: 7.5\n").fail_under == 7.5


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (
            "fail_under: 5\nskip:\n  - id: health.uptime\n",
            "is invalid at skip/0: 'reason' is a required property",
        ),
        ("fail_under: 5\nskip: [{id: health.uptime, reason: ''}]\n", "is invalid at skip/0/reason"),
        ("skip: [{id: health.uptime, reason: r, expires: next week}]\n", "is invalid at skip/0/expires"),
        ("fail_under: 11\n", "is invalid at fail_under"),
        ("fail_under: high\n", "is invalid at fail_under"),
        ("skips: []\n", "is invalid at (top level)"),
        ("- health.uptime\n", "is invalid at (top level)"),
        ("skip: [unclosed\n", "is not valid YAML"),
        ("a: &x [1]\nb: *x\n", "uses YAML aliases"),
    ],
)
def test_a_bad_file_is_ignored_whole_with_a_note(tmp_path, text, why):
    config = _load(tmp_path, text)
    assert config.skips == {} and config.fail_under is None
    assert len(config.notes) == 1 and why in config.notes[0], config.notes
    assert config.notes[0].endswith("it was ignored and every check ran")


def test_non_utf8_file_is_ignored(tmp_path):
    (tmp_path / ".readiness.yml").write_bytes(b"fail_under: 5 \xff\n")
    config = _load(tmp_path)
    assert config.fail_under is None and "is not valid YAML" in config.notes[0]


def test_oversized_file_is_ignored(tmp_path):
    config = _load(tmp_path, "# pad\n" * (MAX_CONFIG_BYTES // 6 + 1))
    assert config.fail_under is None and "larger than 64 KiB" in config.notes[0]


def test_symlinked_file_is_not_followed(tmp_path):
    outside = tmp_path / "outside.yml"
    outside.write_text("fail_under: 9\n")
    root = tmp_path / "repo"
    root.mkdir()
    os.symlink(outside, root / ".readiness.yml")
    config = _load(root)
    assert config.fail_under is None and "symlink" in config.notes[0]


def test_analyze_leaves_skipped_checks_out_and_reports_them(tmp_path):
    (tmp_path / ".readiness.yml").write_text(
        "fail_under: 6\nskip:\n  - id: health.uptime\n    reason: staging only\n"
        "  - id: health.tls_valid\n    reason: old\n    expires: 2000-01-01\n"
    )
    report = analyze(tmp_path)
    ids = [result.id for result in report.results]
    assert "health.uptime" not in ids and "health.tls_valid" in ids
    assert report.config_skips == [{"id": "health.uptime", "reason": "staging only", "expires": None}]
    assert any("health.tls_valid expired on 2000-01-01" in note for note in report.notes)
    assert report.fail_under == 6
    assert report.as_dict()["config_skips"] == report.config_skips


def test_exclude_globs_keep_paths_out_of_the_scan(tmp_path):
    (tmp_path / "fixtures" / "bad").mkdir(parents=True)
    (tmp_path / "fixtures" / "bad" / "Dockerfile").write_text("FROM python:latest\n")
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\n")
    report = analyze(tmp_path, only=["dockerfile.base_image_pinned"])
    assert report.result("dockerfile.base_image_pinned").status == "fail"

    (tmp_path / ".readiness.yml").write_text("exclude:\n  - fixtures/**\n")
    report = analyze(tmp_path, only=["dockerfile.base_image_pinned"])
    assert report.result("dockerfile.base_image_pinned").status == "pass"


def test_exclude_must_be_a_list_of_globs(tmp_path):
    config = _load(tmp_path, "exclude: fixtures\n")
    assert config.exclude == [] and "invalid at exclude" in config.notes[0]


def test_exclude_globs_also_name_single_files(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "Dockerfile").write_text("FROM python:latest\n")
    (tmp_path / ".readiness.yml").write_text("exclude:\n  - sub/Dockerfile\n")
    report = analyze(tmp_path, only=["dockerfile.base_image_pinned"])
    assert report.result("dockerfile.base_image_pinned").status == "na"
