"""Linking: compose services to the Dockerfiles they build, development files, build contexts
and the .dockerignore that applies to each."""

from readiness.engine import compose
from readiness.engine.project import build_project


def write(root, files: dict[str, str]):
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)


def contexts(project):
    return [(c.context, c.dockerfile, c.is_dev) for c in project.build_contexts]


def test_a_compose_build_links_its_dockerfile_even_with_an_unusual_name(tmp_path):
    write(
        tmp_path,
        {
            "deploy/compose.yaml": (
                "services:\n  api:\n    build:\n      context: ../api\n"
                "      dockerfile: docker/Prodfile\n      target: runtime\n"
            ),
            "api/docker/Prodfile": "FROM python:3.12-slim AS runtime\n",
        },
    )

    project = build_project(tmp_path)

    dockerfile = project.dockerfile("api/docker/Prodfile")
    service = project.compose_files[0].services["api"]
    assert service.dockerfile is dockerfile
    assert [(c.path, s.name) for c, s in dockerfile.built_by] == [("deploy/compose.yaml", "api")]
    assert dockerfile.stage(service.build.target).name == "runtime"
    assert contexts(project) == [("api", "api/docker/Prodfile", False)]


def test_a_dockerfile_built_only_by_development_compose_files_is_a_development_file(tmp_path):
    write(
        tmp_path,
        {
            "docker-compose.dev.yml": "services:\n  web:\n    build: ./web\n  worker:\n    build: ./worker\n",
            "compose.yaml": "services:\n  worker:\n    build: ./worker\n",
            "web/Dockerfile": "FROM node:22\n",
            "worker/Dockerfile": "FROM node:22\n",
        },
    )

    project = build_project(tmp_path)

    assert project.dockerfile("web/Dockerfile").is_dev is True
    assert project.dockerfile("worker/Dockerfile").is_dev is False
    assert contexts(project) == [("web", "web/Dockerfile", True), ("worker", "worker/Dockerfile", False)]


def test_a_dockerfile_no_compose_file_builds_has_its_own_folder_as_context(tmp_path):
    write(
        tmp_path,
        {
            "Dockerfile": "FROM alpine:3.20\n",
            "svc/Dockerfile.prod": "FROM alpine:3.20\n",
            "svc/Dockerfile.prod.dockerignore": ".git\n",
            "svc/.dockerignore": "node_modules\n",
            "svc/Dockerfile.test": "FROM alpine:3.20\n",
        },
    )

    project = build_project(tmp_path)

    assert contexts(project) == [
        ("", "Dockerfile", False),
        ("svc", "svc/Dockerfile.prod", False),
        ("svc", "svc/Dockerfile.test", True),
    ]
    root, prod, test = project.build_contexts
    assert root.dockerignore is None
    # The Dockerfile's own .dockerignore wins over the context's.
    assert prod.dockerignore.path == "svc/Dockerfile.prod.dockerignore"
    assert test.dockerignore.path == "svc/.dockerignore"


def test_a_context_outside_the_root_is_left_out(tmp_path):
    write(tmp_path, {"compose.yaml": "services:\n  api:\n    build: ../elsewhere\n"})

    assert build_project(tmp_path).build_contexts == []


def test_a_crashing_compose_parser_leaves_the_file_out_with_a_note(tmp_path, monkeypatch):
    write(tmp_path, {"compose.yaml": "services: {}\n", "Dockerfile": "FROM alpine:3.20\n"})

    def crash(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(compose, "load_compose", crash)
    project = build_project(tmp_path)

    assert project.compose_files == []
    assert project.notes == ["compose.yaml: internal error while parsing (RuntimeError); file left out"]
    assert [d.path for d in project.dockerfiles] == ["Dockerfile"]


def test_an_unreadable_compose_file_reaches_the_compose_parser_with_its_reason(tmp_path):
    (tmp_path / "compose.yaml").symlink_to("/etc/hostname")

    project = build_project(tmp_path)

    assert [(c.path, c.error) for c in project.compose_files] == [("compose.yaml", "symlink not followed")]
