"""The pre-commit hooks (.pre-commit-hooks.yaml), tried as a user would: `pre-commit try-repo` on a
fixture git repository. pre-commit installs this checkout into a virtualenv of its own (pip's cache
is warm; the build backend comes from PyPI), under a throwaway PRE_COMMIT_HOME."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PRE_COMMIT = Path(sys.executable).parent / "pre-commit"

pytestmark = pytest.mark.packaging


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def repository(tmp_path) -> Path:
    root = tmp_path / "service"
    root.mkdir()
    (root / "Dockerfile").write_text("FROM python:latest\nRUN pip install flask\nCMD python app.py\n")
    (root / "README.md").write_text("# service\n")
    (root / ".readiness.yml").write_text("fail_under: 9\n")
    git = ["git", "-C", str(root), "-c", "init.defaultBranch=main"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run(["git", "-C", str(root), "add", "."], check=True)
    return root


def try_repo(repository: Path, home: Path, *args: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    environment.update(PRE_COMMIT_HOME=str(home), PRE_COMMIT_COLOR="never")
    return subprocess.run(
        [str(PRE_COMMIT), "try-repo", str(REPO), *args],
        cwd=repository,
        capture_output=True,
        text=True,
        env=environment,
        timeout=900,
    )


def test_the_hooks_file_names_both_hooks():
    hooks = {hook["id"]: hook for hook in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"readiness", "readiness-changed"}
    assert hooks["readiness"]["pass_filenames"] is False
    assert hooks["readiness-changed"]["entry"].endswith("--changed")


def test_the_repository_hook_gates_as_readiness_yml_says(repository, home):
    failed = try_repo(repository, home, "readiness", "--all-files")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "is under the required 9" in failed.stdout
    (repository / ".readiness.yml").write_text("fail_under: 0\n")
    subprocess.run(["git", "-C", str(repository), "add", "."], check=True)
    passed = try_repo(repository, home, "readiness", "--all-files")
    assert passed.returncode == 0, passed.stdout + passed.stderr


def test_the_changed_files_hook_judges_only_the_docker_files_committed(repository, home):
    dockerfile = try_repo(repository, home, "readiness-changed", "--files", "Dockerfile")
    assert dockerfile.returncode == 1, dockerfile.stdout + dockerfile.stderr
    assert "finding(s) in 1 changed file(s)" in dockerfile.stdout
    assert "Dockerfile:1  dockerfile.base_image_pinned" in dockerfile.stdout
    # A README is not a Docker file: the hook does not even run.
    readme = try_repo(repository, home, "readiness-changed", "--files", "README.md")
    assert readme.returncode == 0, readme.stdout + readme.stderr
    assert "no files to check" in readme.stdout.lower()
