"""Hostile inputs, generated in tmp_path: each ends as an ``error`` with a readable reason, quickly,
or (for valid but huge files) as an ordinary result in bounded time. Never a traceback."""

import random
import time

import pytest

from readiness.engine import analyze

MiB = 1024 * 1024


def scan_dockerfile(root, raw: bytes):
    (root / "Dockerfile").write_bytes(raw)
    started = time.monotonic()
    report = analyze(root)
    return report, time.monotonic() - started


def dockerfile_results(report):
    return [r for r in report.results if r.id.startswith("dockerfile.")]


@pytest.mark.parametrize(
    ("name", "make", "reason"),
    [
        ("5 MB", lambda: b"FROM alpine:3.20\n" + b"RUN echo x\n" * (5 * MiB // 11), "larger than 1024 KiB"),
        ("random bytes with NULs", lambda: random.Random(7).randbytes(64 * 1024) + b"\0", "NUL"),
        ("invalid UTF-8", lambda: b"FROM alpine:3.20\nRUN echo \xff\xfe\n", "not valid UTF-8"),
        ("no FROM", lambda: b"\n\n# nothing here\nRUN true\n", "has no FROM instruction"),
        (
            "endless stage chain",
            lambda: b"FROM a:1 AS s0\n" + b"FROM s0 AS s\n" * 5000,
            "more than 200 stages",
        ),
    ],
)
def test_unusable_dockerfile_is_an_error_with_a_reason(tmp_path, name, make, reason):
    report, seconds = scan_dockerfile(tmp_path, make())

    assert seconds < 5, name
    for result in dockerfile_results(report):
        assert result.status == "error", result.id
        assert len(result.evidence) == 1
        assert result.evidence[0].file == "Dockerfile"
        assert reason in result.evidence[0].message, result.id
        assert "Traceback" not in result.evidence[0].message


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("a megabyte of one-line RUNs", b"FROM python:3.12\n" + b"RUN pip install x\n" * (MiB // 19)),
        (
            "one RUN of a megabyte",
            b"FROM debian:12\nRUN " + b"apt-get install -y x && " * (MiB // 25) + b"true\n",
        ),
        ("heredoc markers without ends", b"FROM a:1\n" + b"RUN <<A <<B\nx\n" * (MiB // 16)),
        ("a megabyte of backslashes", b"FROM a:1\nRUN " + b"\\" * (MiB - 16) + b"\n"),
    ],
)
def test_huge_valid_dockerfiles_finish_in_bounded_time(tmp_path, name, raw):
    report, seconds = scan_dockerfile(tmp_path, raw[:MiB])

    # A guard against quadratic work, not a speed target (bench/ has those): linear work takes a few
    # seconds on a quiet machine and ~20 s on a loaded one; quadratic work on a megabyte takes hours.
    assert seconds < 180, name
    failures = [r for r in dockerfile_results(report) if r.status == "fail"]
    assert all(len(r.evidence) <= 101 for r in failures)
    assert all(r.status != "error" for r in dockerfile_results(report)), name


def test_an_unreadable_dockerignore_is_an_error_for_its_context(tmp_path):
    (tmp_path / "Dockerfile").write_bytes(b"FROM alpine:3.20\n")
    (tmp_path / ".dockerignore").write_bytes(b"\xff\x00\xfe")

    report = analyze(tmp_path, only=["dockerignore.excludes_vcs", "dockerignore.present"])

    excludes_vcs = report.result("dockerignore.excludes_vcs")
    assert excludes_vcs.status == "error"
    assert excludes_vcs.evidence[0].message == "cannot be checked: contains NUL bytes (not a text file)"
    assert report.result("dockerignore.present").status == "pass"


def _timed_scan(root):
    started = time.monotonic()
    report = analyze(root)
    return report, time.monotonic() - started


def test_many_merge_tags_load_quickly(tmp_path):
    services = "".join(
        f"  s{i}:\n    image: a:1\n    ports: !reset []\n    environment: !override {{}}\n"
        for i in range(600)
    )
    (tmp_path / "compose.yaml").write_text("services:\n" + services)
    (tmp_path / "compose.prod.yaml").write_text(
        "services:\n" + "".join(f"  s{i}:\n    ports: !reset []\n" for i in range(600))
    )
    report, seconds = _timed_scan(tmp_path)
    assert seconds < 180  # a guard, not a speed target: linear takes seconds, quadratic took minutes
    assert report.result("compose.valid").status == "pass"


def test_include_cycles_and_long_chains_end_with_a_reason(tmp_path):
    for i in range(60):
        (tmp_path / f"part{i}.yaml").write_text(
            f"include:\n  - part{(i + 1) % 60}.yaml\nservices:\n  s{i}:\n    image: a:1\n"
        )
    (tmp_path / "compose.yaml").write_text("include:\n  - part0.yaml\n")
    report, seconds = _timed_scan(tmp_path)
    assert seconds < 10
    valid = report.result("compose.valid")
    assert valid.status == "fail"
    assert any("include cycle" in e.message or "nested deeper" in e.message for e in valid.evidence)


def test_include_never_reads_outside_the_root_even_through_a_symlink(tmp_path):
    secret = tmp_path / "secret.yaml"
    secret.write_text("services:\n  leak:\n    image: leaked:1\n")
    root = tmp_path / "repo"
    root.mkdir()
    (root / "link.yaml").symlink_to(secret)
    (root / "compose.yaml").write_text(
        "include:\n  - link.yaml\n  - ../secret.yaml\n  - /etc/passwd\nservices:\n  web:\n    image: a:1\n"
    )
    report, _ = _timed_scan(root)
    dumped = str(report.as_dict())
    assert "leaked" not in dumped
    assert {s.file for s in report.skipped} >= {"link.yaml", "../secret.yaml", "/etc/passwd"}


def test_overlays_of_each_other_terminate(tmp_path):
    for i in range(200):
        (tmp_path / f"compose.o{i}.yml").write_text(
            f"services:\n  a{i}:\n    image: x:1\n  a{(i + 1) % 200}:\n    restart: always\n"
        )
    report, seconds = _timed_scan(tmp_path)
    assert seconds < 20
    assert report.result("compose.valid").status == "pass"
