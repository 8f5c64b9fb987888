"""`pip install <checkout>` gives a working `readiness` command with the engine's dependencies only."""

from __future__ import annotations

import json
import subprocess
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import readiness
from readiness.engine import ENGINE_VERSION, analyze

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "engine" / "fixtures" / "compose.valid" / "fail"
SERVER_ONLY = ("django", "celery", "psycopg", "kombu", "redis", "jsonschema", "httpx", "gunicorn")

pytestmark = pytest.mark.packaging


def run(command: list, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_the_console_script_scans_a_fixture_from_another_folder(installed, tmp_path):
    done = run([installed.script, "scan", FIXTURE, "--format", "json"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    report = json.loads(done.stdout)
    # The same engine as in the checkout: same score and statuses, from the installed copy.
    expected = analyze(FIXTURE).as_dict()
    assert report["score"] == expected["score"]
    assert {c["id"]: c["status"] for c in report["checks"]} == {
        c["id"]: c["status"] for c in expected["checks"]
    }
    # compose.valid found the violations: the Compose schema shipped in the wheel was read.
    (valid,) = [c for c in report["checks"] if c["id"] == "compose.valid"]
    assert valid["status"] == "fail" and valid["evidence"]


def test_the_scan_runs_without_any_server_dependency(installed, tmp_path):
    installed_names = run([installed.python, "-m", "pip", "list", "--format", "json"], cwd=tmp_path)
    names = {canonicalize_name(p["name"]) for p in json.loads(installed_names.stdout)}
    assert not names & {canonicalize_name(n) for n in SERVER_ONLY}, names
    probe = (
        "import sys; from readiness.engine.cli import main; code = main(['scan', sys.argv[1], '--output', "
        "sys.argv[2]]); print(code, sorted({m.split('.')[0] for m in sys.modules}))"
    )
    done = run([installed.python, "-c", probe, FIXTURE, tmp_path / "report.txt"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    code, modules = done.stdout.split(" ", 1)
    assert code == "0"
    assert not any(name in modules for name in SERVER_ONLY), modules


def test_the_version_is_the_package_version(installed, tmp_path):
    done = run([installed.script, "--version"], cwd=tmp_path)
    assert done.stdout.strip() == f"readiness {readiness.__version__}"
    assert readiness.__version__ == ENGINE_VERSION
    assert installed.wheel.name.startswith(f"readiness-{readiness.__version__}-")


def test_the_wheel_holds_the_package_only_with_its_data(installed):
    names = zipfile.ZipFile(installed.wheel).namelist()
    top = {name.split("/")[0] for name in names if not name.startswith("readiness-")}
    assert top == {"readiness"}  # no tests/, bench/, docker/
    assert "readiness/engine/schemas/compose-spec.json" in names
    assert "readiness/engine/schemas/LICENSE.compose-spec" in names
    builtin = sorted(p.name for p in (REPO / "readiness" / "checklists" / "builtin").glob("*.yml"))
    assert builtin and all(f"readiness/checklists/builtin/{name}" in names for name in builtin)


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            requirement = Requirement(line)
            (specifier,) = requirement.specifier
            found[canonicalize_name(requirement.name)] = specifier.version
    return found


def test_requirements_txt_and_pyproject_declare_the_same_packages():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["server"]]
    by_name = {canonicalize_name(r.name): r for r in declared}
    pinned = pins(REPO / "requirements.txt")
    assert len(by_name) == len(declared), "a package declared twice"
    # A package pinned in requirements.txt goes in pyproject.toml too: the engine's in
    # [project.dependencies] (imported lazily if only some runs need it), the rest in the server extra.
    assert set(pinned) - set(by_name) == set(), "pinned in requirements.txt, not declared in pyproject.toml"
    assert set(by_name) - set(pinned) == set(), "declared in pyproject.toml, not pinned in requirements.txt"
    for name, version in pinned.items():
        assert by_name[name].specifier.contains(version), (
            f"{name}=={version} outside {by_name[name].specifier}"
        )
    engine = {canonicalize_name(Requirement(r).name) for r in project["dependencies"]}
    assert not engine & {canonicalize_name(n) for n in SERVER_ONLY}
