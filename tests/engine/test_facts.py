"""What the engine reports besides results: health-check paths, evidence excerpts, stack facts."""

import json

from readiness.engine import analyze
from readiness.engine.excerpts import EXCERPT_CONTEXT
from readiness.engine.output.json import render_json


def test_healthcheck_paths_from_dockerfile_and_compose(tmp_path):
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.12-slim\n"
        "HEALTHCHECK --interval=30s CMD curl -fsS http://localhost:8000/health || exit 1\n"
        'CMD ["gunicorn", "app:app"]\n'
    )
    (tmp_path / "compose.yaml").write_text(
        "services:\n"
        "  web:\n"
        "    build: .\n"
        "    healthcheck:\n"
        '      test: ["CMD", "wget", "-qO-", "localhost:8000/ready?full=1"]\n'
        "  db:\n"
        "    image: postgres:16\n"
        '    healthcheck: {test: ["CMD", "pg_isready"]}\n'
    )
    paths = analyze(tmp_path).healthchecks
    assert [(p["source"], p["path"]) for p in paths] == [
        ("Dockerfile HEALTHCHECK", "/health"),
        ("compose healthcheck of web", "/ready?full=1"),
    ]
    assert paths[0]["file"] == "Dockerfile" and paths[0]["line"] == 2


def test_excerpts_are_the_lines_around_each_finding_only_when_asked(tmp_path):
    lines = ["# build", "FROM python:3.12", "WORKDIR /app", "COPY . .", "RUN pip install .", 'CMD ["app"]']
    (tmp_path / "Dockerfile").write_text("\n".join(lines) + "\n")
    assert analyze(tmp_path).excerpts == {}
    report = analyze(tmp_path, excerpts=True)
    assert report.excerpts
    for result in report.results:
        for evidence in result.evidence:
            key = f"{evidence.file}:{evidence.line}"
            if str(result.status) in ("pass", "na") or not evidence.line:
                continue
            excerpt = report.excerpts[key]
            start = max(1, evidence.line - EXCERPT_CONTEXT)
            assert excerpt == {"start": start, "lines": lines[start - 1 : evidence.line + EXCERPT_CONTEXT]}


def test_excerpts_never_read_outside_the_root(tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("do not read\n" * 5)
    root = tmp_path / "repo"
    root.mkdir()
    (root / "Dockerfile").write_text("FROM python:3.12\nRUN pip install .\n")
    (root / "linked").symlink_to(outside)
    report = analyze(root, excerpts=True)
    assert all("do not read" not in line for e in report.excerpts.values() for line in e["lines"])
    from readiness.engine.excerpts import _read_excerpt

    assert _read_excerpt(root, "../secret.txt", 1) is None
    assert _read_excerpt(root, "linked", 1) is None


def test_stack_facts(tmp_path):
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "requirements.txt").write_text(
        "# pinned\nDjango==5.2\npsycopg[binary]>=3  # database\n-r base.txt\nchromadb\nredis\n"
    )
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "package.json").write_text(
        '{"dependencies": {"Express": "4"}, "devDependencies": {"vite": "5"}}'
    )
    (tmp_path / "worker").mkdir()
    (tmp_path / "worker" / "Dockerfile").write_text("FROM golang:1.22 AS build\nFROM build AS final\n")
    (tmp_path / "render.yaml").write_text("services: []\n")
    (tmp_path / "compose.yaml").write_text(
        "services:\n  db:\n    image: bitnami/postgresql:16\n  cache:\n    image: memcached:1.6\n"
    )
    facts = analyze(tmp_path).facts
    assert facts == {
        "stacks": ["go", "node", "python"],
        "dockerfile": True,
        "compose": True,
        "datastores": ["memcached", "postgres", "redis"],
        "files": ["render.yaml"],
        "dependencies": {"node": ["express", "vite"], "python": ["chromadb", "django", "psycopg", "redis"]},
    }


def test_stack_facts_survive_malformed_manifests_and_are_in_the_json(tmp_path):
    (tmp_path / "package.json").write_text("{not json")
    (tmp_path / "pyproject.toml").write_text("[project\n")
    report = analyze(tmp_path)
    assert report.facts["stacks"] == ["node", "python"]
    assert report.facts["dependencies"] == {}
    data = json.loads(render_json(report))
    assert data["facts"] == report.facts and data["healthchecks"] == []


def test_pyproject_dependencies(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\ndependencies = ["Flask>=3", "SQLAlchemy"]\n'
        '[project.optional-dependencies]\ndev = ["pytest"]\n'
        '[tool.poetry.dependencies]\npython = "^3.11"\nchromadb = "*"\n'
        '[tool.poetry.group.test.dependencies]\nhypothesis = "*"\n'
    )
    facts = analyze(tmp_path).facts
    assert facts["dependencies"] == {"python": ["chromadb", "flask", "hypothesis", "pytest", "sqlalchemy"]}


def test_go_mod_and_pipfile_dependencies(tmp_path):
    (tmp_path / "go.mod").write_text(
        "module example.com/api\n\ngo 1.22\n\n"
        "require github.com/jackc/pgx/v5 v5.5.0\n"
        "require (\n\tgithub.com/redis/go-redis/v9 v9.4.0 // cache\n"
        "\tGithub.com/Gin-Gonic/gin v1.9.1 // indirect\n)\n"
        "replace example.com/old => ../old\n"
    )
    (tmp_path / "Pipfile").write_text(
        '[packages]\nchromadb = "*"\nFlask_Login = ">=0.6"\n[dev-packages]\npytest = "*"\n'
    )
    facts = analyze(tmp_path).facts
    assert facts["stacks"] == ["go", "python"]
    assert facts["dependencies"] == {
        "go": ["github.com/gin-gonic/gin", "github.com/jackc/pgx/v5", "github.com/redis/go-redis/v9"],
        "python": ["chromadb", "flask-login", "pytest"],
    }
    assert facts["datastores"] == ["postgres", "redis"]  # the Go clients name them
