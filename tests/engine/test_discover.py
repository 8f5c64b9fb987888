"""Discovery finds the files of interest, skips what it must, and never leaves the root."""

import os

import pytest

from readiness.engine import analyze
from readiness.engine.discover import MAX_FILE_BYTES, discover, is_dockerfile_name

DOCKERFILE_CHECKS = ["dockerfile.non_root_user", "dockerfile.base_image_pinned", "dockerfile.exec_form"]


def write(path, content=b"FROM alpine:3.20\n"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def test_vcs_and_dependency_folders_are_skipped(tmp_path):
    for folder in (".git", "node_modules/pkg", "vendor/lib", ".venv", "app"):
        write(tmp_path / folder / "Dockerfile")

    inventory = discover(tmp_path)

    assert inventory.dockerfiles == ["app/Dockerfile"]


@pytest.mark.parametrize(
    ("name", "is_dockerfile"),
    [
        ("Dockerfile", True),
        ("Containerfile", True),
        ("Dockerfile.prod", True),
        ("api.Dockerfile", True),
        ("Dockerfile.dockerignore", False),
        ("Dockerfile.md", False),
        ("Dockerfile.orig", False),
        ("README.md", False),
    ],
)
def test_dockerfile_names(name, is_dockerfile):
    assert is_dockerfile_name(name) is is_dockerfile


def test_a_symlink_named_dockerfile_is_an_error_and_its_target_is_never_read(tmp_path, monkeypatch):
    root = tmp_path / "repo"
    write(root / "README.md", b"hi\n")
    (root / "Dockerfile").symlink_to("/etc/passwd")
    opened = []
    real_open = open

    def spy_open(file, *args, **kwargs):
        if isinstance(file, str | os.PathLike):
            opened.append(os.path.realpath(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", spy_open)
    report = analyze(root, only=DOCKERFILE_CHECKS)

    assert "/etc/passwd" not in opened
    for check_id in DOCKERFILE_CHECKS:
        result = report.result(check_id)
        assert result.status == "error"
        assert [(e.file, e.message) for e in result.evidence] == [
            ("Dockerfile", "cannot be checked: symlink not followed")
        ]
    assert ("Dockerfile", "symlink not followed") in [(s.file, s.reason) for s in report.skipped]


def test_a_symlinked_folder_is_not_followed(tmp_path):
    outside = tmp_path / "outside"
    write(outside / "Dockerfile", b"FROM python\n")
    root = tmp_path / "repo"
    root.mkdir()
    (root / "linked").symlink_to(outside, target_is_directory=True)

    inventory = discover(root)

    assert inventory.dockerfiles == []
    assert [(s.file, s.reason) for s in inventory.skipped] == [("linked", "symlinked directory not followed")]


def test_the_file_count_cap_reports_what_it_passed_over(tmp_path):
    for index in range(5):
        write(tmp_path / f"svc{index}" / "Dockerfile")

    inventory = discover(tmp_path, max_files=3)

    assert len(inventory.dockerfiles) == 3
    assert [s.reason for s in inventory.skipped] == ["more than 3 files of interest"] * 2


def test_an_oversized_dockerfile_is_skipped_with_a_reason_and_checks_report_error(tmp_path):
    write(tmp_path / "Dockerfile", b"FROM alpine:3.20\n" + b"#" * MAX_FILE_BYTES)

    report = analyze(tmp_path, only=["dockerfile.exec_form"])

    assert report.result("dockerfile.exec_form").status == "error"
    assert "larger than 1024 KiB" in report.result("dockerfile.exec_form").evidence[0].message
    assert [(s.file, s.reason) for s in report.skipped] == [("Dockerfile", "larger than 1024 KiB")]


# .gitignore (local scans) -----------------------------------------------------------------------


def gitignored_tree(root):
    for rel in (
        "Dockerfile",
        "Dockerfile.local",
        "build/Dockerfile",
        "var/demo/Dockerfile",
        "sub/Dockerfile.local",
        "sub/generated.Dockerfile",
        "sub/keep/Dockerfile",
        "secret/Dockerfile",
    ):
        write(root / rel)
    (root / ".gitignore").write_text("# built and local files\nbuild/\nvar/\nDockerfile.local\n")
    # A deeper .gitignore wins over a shallower one, and its `!` re-includes.
    (root / "sub" / ".gitignore").write_text("generated.Dockerfile\n!Dockerfile.local\n")
    (root / ".git" / "info").mkdir(parents=True)
    (root / ".git" / "info" / "exclude").write_text("secret/\n")


def test_gitignore_rules_leave_out_what_git_ignores(tmp_path):
    gitignored_tree(tmp_path)
    assert discover(tmp_path, gitignore=True).dockerfiles == [
        "Dockerfile",
        "sub/Dockerfile.local",
        "sub/keep/Dockerfile",
    ]


def test_without_gitignore_every_file_is_found(tmp_path):
    # The server's clones hold tracked files only: a tracked file counts even when a pattern matches it.
    gitignored_tree(tmp_path)
    assert len(discover(tmp_path).dockerfiles) == 8


def test_a_symlinked_gitignore_is_not_followed(tmp_path):
    outside = tmp_path / "outside"
    write(outside / "rules", b"*\n")
    root = tmp_path / "root"
    write(root / "Dockerfile")
    os.symlink(outside / "rules", root / ".gitignore")
    assert discover(root, gitignore=True).dockerfiles == ["Dockerfile"]


def test_a_comments_only_exclude_file_loads_no_matcher(tmp_path, monkeypatch):
    # Every clone has .git/info/exclude with comments only: it must not cost pathspec's import.
    import sys

    write(tmp_path / "Dockerfile")
    (tmp_path / ".git" / "info").mkdir(parents=True)
    (tmp_path / ".git" / "info" / "exclude").write_text("# git ls-files --others --exclude-from=...\n")
    monkeypatch.delitem(sys.modules, "pathspec", raising=False)
    assert discover(tmp_path, gitignore=True).dockerfiles == ["Dockerfile"]
    assert "pathspec" not in sys.modules
