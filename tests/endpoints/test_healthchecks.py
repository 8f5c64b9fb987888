"""HEALTHCHECK / compose healthcheck paths (reported by the engine) versus registered endpoint paths."""

import pytest

from readiness.endpoints.healthchecks import healthcheck_notes
from tests.factories import EndpointFactory, RepositoryFactory


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
