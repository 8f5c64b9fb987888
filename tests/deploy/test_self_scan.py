"""The project scores 10/10 on its own scan, the way its CI gates deploys (.github/workflows/ci.yml)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import yaml

from tests.deploy.processes import ROOT

DEPLOY_FILES = {"docker/Dockerfile", "docker/compose.yml", "docker/compose.override.yml", ".dockerignore"}


def scan() -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "readiness", "scan", ".", "--format", "json", "--fail-under", "10"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return json.loads(result.stdout)


def test_the_project_scores_ten_on_its_own_scan():
    report = scan()
    not_passing = {
        c["id"]: (c["status"], c["evidence"][:3])
        for c in report["checks"]
        if c["status"] not in ("pass", "na")
    }
    assert not_passing == {}
    assert report["score"] == 10.0
    # .readiness.yml was read (an invalid one is ignored with a note) and skips nothing.
    assert not [note for note in report["notes"] if ".readiness.yml" in note], report["notes"]
    assert report["config_skips"] == []
    # The deployment files are what passed, not an empty tree: every file check saw them.
    files = {e["file"] for c in report["checks"] for e in c["evidence"]}
    assert files >= DEPLOY_FILES, files
    assert not any(f.startswith(("tests/", "readiness/demo/", "bench/")) for f in files if f)


def test_compose_files_follow_the_compose_specification():
    (valid,) = [c for c in scan()["checks"] if c["id"] == "compose.valid"]
    assert valid["status"] == "pass"
    assert {e["file"] for e in valid["evidence"]} == {"docker/compose.yml", "docker/compose.override.yml"}


def test_env_example_names_every_variable_the_compose_files_use():
    # Stricter than compose.env_example, which only asks for variables without a default.
    used = set()
    for name in ("compose.yml", "compose.override.yml"):
        used |= set(re.findall(r"(?<!\$)\$\{(\w+)", (ROOT / "docker" / name).read_text()))
    example = (ROOT / "docker" / ".env.example").read_text().splitlines()
    named = {line.partition("=")[0] for line in example if line and not line.startswith("#")}
    assert used - named == set()
    # Each variable has its own comment on the line above.
    for index, line in enumerate(example):
        if line and not line.startswith("#"):
            assert index > 0 and example[index - 1].startswith("#"), line


def test_only_the_web_port_is_published_and_beat_runs_alone():
    services = yaml.safe_load((ROOT / "docker" / "compose.yml").read_text())["services"]
    assert [name for name, service in services.items() if service.get("ports")] == ["web"]
    assert services["beat"]["deploy"]["replicas"] == 1
    assert "--scheduler=django_celery_beat.schedulers:DatabaseScheduler" in services["beat"]["command"]
    assert "--queues=analysis,email" in services["worker"]["command"]
    assert "--queues=probes" in services["prober"]["command"]


def test_ci_validates_compose_with_every_required_variable_set():
    # `docker compose config` fails on a ${VAR:?} left unset: CI must give each one a placeholder.
    required = set(re.findall(r"\$\{(\w+):\?", (ROOT / "docker" / "compose.yml").read_text()))
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    (step,) = [s for s in workflow["jobs"]["image"]["steps"] if s.get("name") == "Validate the compose files"]
    assert required and required <= set(step["env"]), required - set(step["env"])


def test_the_self_scan_never_reads_what_make_run_leaves_in_var():
    # `make run` analyses demo checkouts under var/demo; they fail on purpose. Both the scan's own
    # exclude and .gitignore (honoured by local scans) keep var/ out.
    config = yaml.safe_load((ROOT / ".readiness.yml").read_text())
    assert "var/**" in config["exclude"]
    assert "var/" in (ROOT / ".gitignore").read_text().splitlines()
