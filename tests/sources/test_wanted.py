"""The default file selection and how a git tree listing is filtered."""

import pytest

from readiness.sources import is_wanted
from readiness.sources.wanted import select


@pytest.mark.parametrize(
    "path",
    [
        "Dockerfile",
        "services/api/Dockerfile",
        "Dockerfile.prod",
        "api.Dockerfile",
        "Containerfile",
        "docker-compose.yml",
        "deploy/compose.prod.yaml",
        ".dockerignore",
        "api.dockerignore",
        ".github/workflows/ci.yml",
        ".gitlab-ci.yml",
        "Jenkinsfile",
        "ci/Jenkinsfile",
        ".circleci/config.yml",
        "azure-pipelines.yml",
        "bitbucket-pipelines.yml",
        ".env.example",
        ".env.dist",
        ".readiness.yml",
        "requirements.txt",
        "requirements-dev.txt",
        "pyproject.toml",
        "web/package.json",
        "package-lock.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "go.mod",
        "Cargo.toml",
        "pom.xml",
        "build.gradle",
        "Gemfile.lock",
        "composer.lock",
    ],
)
def test_wanted(path):
    assert is_wanted(path)


@pytest.mark.parametrize(
    "path",
    [
        "README.md",
        "src/main.py",
        ".env",
        ".env.production",
        "node_modules/left-pad/package.json",
        "vendor/lib/Dockerfile",
        "docs/.github/workflows/ci.yml",  # workflows only count at the analysed root
        "requirements/base.in",
        "compose.json",
    ],
)
def test_not_wanted(path):
    assert not is_wanted(path)


def _listing(*rows: tuple[str, str, str]) -> bytes:
    return b"".join(
        f"{mode} {'commit' if mode == '160000' else 'blob'} {oid}\t{path}".encode() + b"\0"
        for mode, oid, path in rows
    )


def test_select_keeps_wanted_regular_files_and_reports_links_and_submodules():
    listing = _listing(
        ("100644", "a" * 40, "Dockerfile"),
        ("100755", "b" * 40, "scripts/Dockerfile.ci"),
        ("120000", "c" * 40, "link/Dockerfile"),
        ("160000", "d" * 40, "libs/shared"),
        ("100644", "e" * 40, "README.md"),
        ("120000", "f" * 40, "README.link"),
    )
    selection = select(listing, folder="", wanted=is_wanted, max_files=10)
    assert [(e.path, e.oid) for e in selection.files] == [
        ("Dockerfile", "a" * 40),
        ("scripts/Dockerfile.ci", "b" * 40),
    ]
    assert selection.skipped == [
        ("link/Dockerfile", "symlink not followed"),
        ("libs/shared", "submodule not fetched"),
    ]


def test_select_strips_the_folder_and_reports_the_file_cap():
    listing = _listing(
        ("100644", "a" * 40, "Dockerfile"),
        ("100644", "b" * 40, "services/api/Dockerfile"),
        ("100644", "c" * 40, "services/api/compose.yml"),
        ("100644", "d" * 40, "services/apiary/Dockerfile"),
    )
    selection = select(listing, folder="services/api", wanted=is_wanted, max_files=1)
    assert selection.folder_seen
    assert [e.path for e in selection.files] == ["Dockerfile"]
    assert selection.skipped == [("compose.yml", "more than 1 files of interest")]
    assert not select(listing, folder="services/web", wanted=is_wanted, max_files=1).folder_seen


def test_select_reports_names_that_are_not_utf8():
    listing = b"100644 blob " + b"a" * 40 + b"\tbad\xff/Dockerfile\0"
    selection = select(listing, folder="", wanted=is_wanted, max_files=10)
    assert selection.files == []
    assert selection.skipped == [("bad\ufffd/Dockerfile", "file name is not valid UTF-8")]


ENGINE_SAMPLE_PATHS = [
    "Dockerfile",
    "dockerfile",
    "Containerfile.dev",
    "web.Containerfile",
    "api/Dockerfile.prod",
    "compose.override.yaml",
    "deploy/docker-compose.ci.yml",
    "api/.dockerignore",
    "Dockerfile.dockerignore",
    ".github/workflows/release.yaml",
    ".gitlab-ci.yaml",
    "deploy/Jenkinsfile",
    ".circleci/config.yaml",
    ".env.template",
    "manage.py",
    "setup.cfg",
    "uv.lock",
    "composer.json",
    "build.gradle.kts",
]


@pytest.mark.parametrize("path", ENGINE_SAMPLE_PATHS)
def test_every_file_the_engine_reads_is_fetched(path):
    # The engine discovers these kinds and names; a fetched repository must contain them.
    from readiness.engine import discover
    from readiness.engine.checks.dockerignore import STACK_MANIFESTS

    name = path.rsplit("/", 1)[-1]
    engine_reads = (
        discover.is_dockerfile_name(name)
        or discover.is_compose_candidate(name)
        or discover.is_dockerignore_name(name)
        or discover.is_ci_path(path)
        or discover.is_env_example_name(name)
        or any(name in manifests for manifests in STACK_MANIFESTS.values())
    )
    assert engine_reads, "sample paths are files the engine reads"
    assert is_wanted(path)
