"""A wheel of this checkout installed into a fresh venv, once per test session.

The venv holds the engine's dependencies only (no Django, Celery or psycopg): what
`pip install <checkout>` and `pipx install <checkout>` give a user. pip's cache is warm and PyPI is
reachable for the build backend; nothing is installed into the project's own .venv.
"""

from __future__ import annotations

import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def script(self) -> Path:
        return self.venv / "bin" / "readiness"


def _pip(python: Path | str, *args: str, cwd: Path) -> None:
    done = subprocess.run(
        [str(python), "-m", "pip", "--disable-pip-version-check", "-q", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-4000:]


@pytest.fixture(scope="session")
def installed(tmp_path_factory) -> Installed:
    work = tmp_path_factory.mktemp("packaging")
    _pip(sys.executable, "wheel", "--no-deps", "-w", str(work / "dist"), str(REPO), cwd=work)
    (wheel,) = (work / "dist").glob("readiness-*.whl")
    venv.EnvBuilder(with_pip=True).create(work / "venv")
    installed = Installed(wheel=wheel, venv=work / "venv")
    _pip(installed.python, "install", str(wheel), cwd=work)
    return installed
