"""Settings refuse malformed environment values with one line naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_check(**env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DEBUG")}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [("DEBUG", "yes please"), ("WORKER_HEARTBEAT_MAX_AGE", "soon"), ("LOG_LEVEL", "LOUD")],
)
def test_malformed_value_stops_start_up_naming_the_variable(variable, value):
    result = run_check(SECRET_KEY="x", **{variable: value})
    assert result.returncode != 0
    assert f"{variable}=" in result.stderr
    assert "Traceback" not in result.stderr


def test_secret_key_is_required_unless_debug():
    missing = run_check()
    assert missing.returncode != 0 and "SECRET_KEY is required" in missing.stderr
    assert run_check(DEBUG="true").returncode == 0


def test_debug_is_off_by_default():
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DEBUG")}
    env["SECRET_KEY"] = "x"
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.conf import settings; print(settings.DEBUG)",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr
