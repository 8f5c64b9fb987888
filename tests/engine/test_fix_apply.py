"""Applying fixes safely: merging edits per file, and every refusal of ``--fix --write``."""

import os
import stat

import pytest

from readiness.engine import analyze
from readiness.engine.fixes.apply import FixRefused, apply_edits, fixes_of, plan, write
from readiness.engine.fixes.files import digest_of
from readiness.engine.fixes.model import NEW_FILE, Edit, Fix
from readiness.engine.model import Status

DOCKERFILE = "FROM python:3.12-slim\nRUN pip install flask\nCMD gunicorn app:app\n"


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    (root / "Dockerfile").write_text(DOCKERFILE)
    return root


def fixes(root, *checks):
    report = analyze(root, only=checks or None, fixes=True)
    return fixes_of(report)


def edit(file, start, end, text, content=DOCKERFILE):
    return Edit(file, start, end, text, digest_of(content.encode()))


def test_edits_of_several_fixes_to_one_file_are_merged(repo):
    planned = plan(
        repo, fixes(repo, "dockerfile.pip_no_cache", "dockerfile.exec_form", "dockerfile.non_root_user")
    )

    assert planned.deferred == []
    assert planned.files["Dockerfile"].new_text == (
        "FROM python:3.12-slim\n"
        "RUN pip install --no-cache-dir flask\n"
        "RUN groupadd --system app && useradd --system --gid app --no-create-home app\n"
        "USER app\n"
        'CMD ["gunicorn", "app:app"]\n'
    )


def test_an_overlapping_fix_waits_and_says_why(repo):
    first = Fix("a.check", "first", [edit("Dockerfile", 2, 3, "RUN x\n")])
    second = Fix("b.check", "second", [edit("Dockerfile", 3, 3, "CMD y\n")])
    beside = Fix("c.check", "beside", [edit("Dockerfile", 1, 0, "# syntax=docker/dockerfile:1\n")])

    planned = plan(repo, [first, second, beside])

    assert planned.applied == [first, beside]
    assert planned.deferred == [(second, "it changes Dockerfile where the fix for a.check does")]
    assert (
        planned.files["Dockerfile"].new_text == "# syntax=docker/dockerfile:1\nFROM python:3.12-slim\nRUN x\n"
    )


def test_two_contents_for_one_new_file_do_not_mix(repo):
    one = Fix("a", "one", [Edit(".dockerignore", 1, 0, ".git\n", NEW_FILE)])
    same = Fix("b", "same", [Edit(".dockerignore", 1, 0, ".git\n", NEW_FILE)])
    other = Fix("c", "other", [Edit(".dockerignore", 1, 0, ".env\n", NEW_FILE)])

    planned = plan(repo, [one, same, other])

    assert planned.applied == [one, same]
    assert [fix for fix, _ in planned.deferred] == [other]
    assert planned.files[".dockerignore"].new_text == ".git\n"


def test_insertions_at_one_point_close_the_deepest_block_first():
    text = "services:\n  db:\n    image: postgres:16\n"
    top = Edit("c.yml", 4, 3, "volumes:\n  data:\n", "")
    inner = Edit("c.yml", 4, 3, "    shm_size: 256mb\n", "")
    assert apply_edits(text, [top, inner]) == text + "    shm_size: 256mb\nvolumes:\n  data:\n"


def test_write_is_atomic_and_keeps_the_mode(repo):
    path = repo / "Dockerfile"
    path.chmod(0o750)
    inode = path.stat().st_ino

    written = write(repo, plan(repo, fixes(repo, "dockerfile.exec_form")).files)

    assert written == ["Dockerfile"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o750
    assert path.stat().st_ino != inode  # replaced by a rename, not rewritten in place
    assert sorted(p.name for p in repo.iterdir()) == ["Dockerfile"]  # no temporary file left
    assert 'CMD ["gunicorn", "app:app"]' in path.read_text()


def test_a_new_file_gets_the_default_mode(repo):
    write(repo, plan(repo, fixes(repo, "dockerignore.present")).files)
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((repo / ".dockerignore").stat().st_mode) == 0o666 & ~umask


def test_a_file_changed_since_the_scan_is_refused(repo):
    found = fixes(repo, "dockerfile.exec_form")
    (repo / "Dockerfile").write_text(DOCKERFILE + "EXPOSE 8000\n")

    with pytest.raises(FixRefused, match="Dockerfile changed since it was read; scan again"):
        plan(repo, found)


def test_a_change_between_plan_and_write_writes_nothing(repo):
    (repo / "compose.yaml").write_text("services:\n  web:\n    build: .\n")
    planned = plan(repo, fixes(repo, "dockerfile.exec_form", "compose.restart_policy"))
    assert sorted(planned.files) == ["Dockerfile", "compose.yaml"]
    (repo / "compose.yaml").write_text("services:\n  web:\n    build: .\n    restart: always\n")

    with pytest.raises(FixRefused, match=r"compose\.yaml changed since it was read; nothing was written"):
        write(repo, planned.files)
    assert (repo / "Dockerfile").read_text() == DOCKERFILE


def test_a_file_swapped_for_a_symlink_is_refused(repo, tmp_path):
    found = fixes(repo, "dockerfile.exec_form")
    outside = tmp_path / "outside.txt"
    outside.write_text(DOCKERFILE)
    (repo / "Dockerfile").unlink()
    (repo / "Dockerfile").symlink_to(outside)

    with pytest.raises(FixRefused, match=r"Dockerfile is a symlink; fixes never follow one"):
        plan(repo, found)
    assert outside.read_text() == DOCKERFILE


def test_a_folder_swapped_for_a_symlink_is_refused(repo, tmp_path):
    (repo / "api").mkdir()
    (repo / "api" / "Dockerfile").write_text(DOCKERFILE)
    found = [f for f in fixes(repo, "dockerfile.exec_form") if "api/Dockerfile" in f.files]
    outside = tmp_path / "elsewhere"
    (repo / "api").rename(outside)
    (repo / "api").symlink_to(outside, target_is_directory=True)

    with pytest.raises(FixRefused, match="the folder api is a symlink"):
        plan(repo, found)
    assert (outside / "Dockerfile").read_text() == DOCKERFILE


@pytest.mark.parametrize("path", ["../escape", "/etc/passwd", "a/../../b", "./Dockerfile", "a\\b"])
def test_nothing_is_written_outside_the_root(repo, path):
    rogue = Fix("x", "rogue", [Edit(path, 1, 0, "pwned\n", NEW_FILE)])
    with pytest.raises(FixRefused, match="is not a path inside the scanned folder"):
        plan(repo, [rogue])


def test_a_file_that_appears_before_the_write_is_not_clobbered(repo):
    planned = plan(repo, fixes(repo, "dockerignore.present"))
    (repo / ".dockerignore").write_text("mine\n")

    with pytest.raises(FixRefused, match=r"\.dockerignore appeared since the scan"):
        write(repo, planned.files)
    assert (repo / ".dockerignore").read_text() == "mine\n"


def test_a_file_without_a_final_newline_and_crlf_keep_their_shape(tmp_path):
    (tmp_path / "Dockerfile").write_bytes(b"FROM python:3.12-slim\r\nCMD gunicorn app:app")
    write(
        tmp_path, plan(tmp_path, fixes(tmp_path, "dockerfile.exec_form", "dockerfile.buildkit_cache")).files
    )
    assert (tmp_path / "Dockerfile").read_bytes() == (
        b'# syntax=docker/dockerfile:1\r\nFROM python:3.12-slim\r\nCMD ["gunicorn", "app:app"]\r\n'
    )


@pytest.mark.parametrize(
    ("base", "offered"),
    [
        ("nginx:1.27-alpine", False),
        ("docker.io/library/httpd:2.4", False),
        ("php:8.3-apache", False),
        ("nginxinc/nginx-unprivileged:1.27-alpine", None),  # runs as nginx already: passes
        ("php:8.3-fpm-alpine", True),
    ],
)
def test_no_user_is_added_to_a_server_image_that_must_start_as_root(tmp_path, base, offered):
    """A new user and USER line stop nginx and httpd from starting (port 80, their run-time folders):
    the fix says what to do instead and edits nothing."""
    (tmp_path / "Dockerfile").write_text(f"FROM {base}\nCOPY site /usr/share/nginx/html\n")
    report = analyze(tmp_path, only=["dockerfile.non_root_user"], fixes=True)
    result = report.result("dockerfile.non_root_user")
    if offered is None:
        assert result.status == Status.PASS
        return
    [fix] = result.fixes
    assert bool(fix.edits) is offered, fix.summary
    if not offered:
        assert fix.summary.startswith("no automatic fix:") and "root" in fix.summary
