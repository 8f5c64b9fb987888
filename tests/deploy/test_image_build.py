"""What `docker build -f docker/Dockerfile .` needs, checked without a Docker engine: every path the
Dockerfile copies is in the build context (not excluded by /.dockerignore), and its collectstatic
step yields WhiteNoise's hashed, compressed files."""

from __future__ import annotations

import json
import re
import subprocess

from dockerfile_parse import DockerfileParser

from readiness.engine.dockerignore import parse_dockerignore
from tests.deploy.processes import ROOT, base_env

DOCKERFILE = ROOT / "docker" / "Dockerfile"


def instructions(name: str) -> list[str]:
    parser = DockerfileParser(path=str(DOCKERFILE))
    return [i["value"] for i in parser.structure if i["instruction"] == name]


def test_every_copied_path_is_in_the_build_context():
    ignore = parse_dockerignore(".dockerignore", (ROOT / ".dockerignore").read_bytes())
    sources = []
    for value in instructions("COPY"):
        words = [w for w in value.split() if not w.startswith("--")]
        if "--from=" in value:
            continue
        sources += words[:-1]
    assert "requirements.txt" in sources and "readiness/" in sources
    for source in sources:
        path = ROOT / source
        assert path.exists(), source
        files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
        kept = [f for f in files if not ignore.excludes(f.relative_to(ROOT).as_posix())]
        assert kept, f"{source} is excluded by .dockerignore"
        if path.is_file():
            assert kept == [path], f"{source} is excluded by .dockerignore"


def test_secrets_and_local_state_stay_out_of_the_context():
    ignore = parse_dockerignore(".dockerignore", (ROOT / ".dockerignore").read_bytes())
    for rel in (".env", "docker/.env", ".git/config", ".venv/bin/python", "var/readiness.sqlite3",
                "readiness/__pycache__/x.pyc", "deploy.pem", "tests/conftest.py"):  # fmt: skip
        assert ignore.excludes(rel), rel


def test_the_build_stage_collects_hashed_compressed_static_files(tmp_path):
    (run,) = [value for value in instructions("RUN") if "collectstatic" in value]
    target = tmp_path / "staticfiles"
    command = run.replace("/app/staticfiles", str(target))
    env = base_env(READINESS_VAR_DIR=str(tmp_path / "var"))
    env.pop("SECRET_KEY")  # the RUN line brings its own, as in the image build
    subprocess.run(["sh", "-c", command], cwd=ROOT, env=env, check=True, timeout=120)
    assert (target / "staticfiles.json").is_file()
    hashed = [p.name for p in target.glob("favicon.*.svg")]
    assert hashed and re.fullmatch(r"favicon\.[0-9a-f]{12}\.svg", hashed[0])
    assert (target / f"{hashed[0]}.gz").is_file()


def test_the_image_runs_the_scanner_command_line(tmp_path):
    # `docker run IMAGE readiness scan /src` (docs/cli.md): no ENTRYPOINT, the wrapper on PATH.
    assert instructions("ENTRYPOINT") == []
    assert "--chmod=755 docker/readiness /usr/local/bin/readiness" in instructions("COPY")
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\nUSER app\n")
    env = {k: v for k, v in base_env().items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(ROOT)  # where the image has /app
    done = subprocess.run(
        ["sh", str(ROOT / "docker" / "readiness"), "scan", str(tmp_path), "--format", "json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["path"] == str(tmp_path)
