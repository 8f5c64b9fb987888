"""HEALTHCHECK / compose healthcheck paths versus registered endpoint paths."""

import pytest

from readiness.endpoints.healthchecks import healthcheck_notes, healthcheck_paths
from tests.factories import EndpointFactory, RepositoryFactory


def test_paths_from_dockerfile_and_compose(tmp_path):
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
    paths = healthcheck_paths(tmp_path)
    assert [(p["source"], p["path"]) for p in paths] == [
        ("Dockerfile HEALTHCHECK", "/health"),
        ("compose healthcheck of web", "/ready?full=1"),
    ]
    assert paths[0]["file"] == "Dockerfile" and paths[0]["line"] == 2


@pytest.mark.django_db
def test_notes_name_the_matching_endpoint_or_say_none_matches():
    repo = RepositoryFactory()
    live = EndpointFactory(repository=repo, name="api live", url="https://api.example.com/health")
    paths = [
        {"source": "Dockerfile HEALTHCHECK", "file": "Dockerfile", "line": 2, "path": "/health"},
        {"source": "compose healthcheck of web", "file": "compose.yaml", "line": 5, "path": "/healthz"},
    ]
    notes = healthcheck_notes(paths, [live])
    assert "same path as registered endpoint “api live” (liveness)" in notes[0]
    assert "/healthz, which no registered endpoint uses" in notes[1]
