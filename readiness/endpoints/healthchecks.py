"""Cross-check the health checks a repository's configuration runs against its registered endpoints.

``healthcheck_paths(root)`` reads the Dockerfiles' ``HEALTHCHECK`` and the compose services'
``healthcheck.test`` through the engine's parsers and returns the HTTP paths they request;
``healthcheck_notes(paths, endpoints)`` says, for each, whether a registered endpoint uses the same
path. It needs the analysed source tree, which only exists inside ``analysis_execute``'s temporary
directory: ``repos.services.analysis_execute`` calls it and keeps the notes on the run.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from readiness.engine.project import build_project

# http(s)://host[:port]/path, or a bare localhost[:port]/path as wget and curl accept it.
_URL = re.compile(
    r"(?:https?://[^\s/'\"]+|\b(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])(?::\d+)?)(/[^\s'\"\\;|&)]*)?"
)


def _paths_in(command: str) -> list[str]:
    return [match.group(1) or "/" for match in _URL.finditer(command)]


def healthcheck_paths(root: str | Path) -> list[dict]:
    """``[{"source", "file", "line", "path"}]`` for every HTTP path a health check requests."""
    project = build_project(root)
    found = []
    for dockerfile in project.dockerfiles:
        if dockerfile.error:
            continue
        instruction = dockerfile.healthcheck_instruction()
        if instruction is None:
            continue
        for path in _paths_in(instruction.value):
            found.append(
                {
                    "source": "Dockerfile HEALTHCHECK",
                    "file": dockerfile.path,
                    "line": instruction.line,
                    "path": path,
                }
            )
    for compose in project.compose_files:
        for service in compose.services.values():
            healthcheck = service.data.get("healthcheck")
            test = healthcheck.get("test") if isinstance(healthcheck, dict) else None
            command = " ".join(map(str, test)) if isinstance(test, list) else str(test or "")
            for path in _paths_in(command):
                found.append(
                    {
                        "source": f"compose healthcheck of {service.name}",
                        "file": compose.path,
                        "line": service.line_of("healthcheck", "test"),
                        "path": path,
                    }
                )
    return found


def healthcheck_notes(paths: list[dict], endpoints) -> list[str]:
    """One sentence per health-check path: the registered endpoint with the same path, or none."""
    by_path: dict[str, list] = {}
    for endpoint in endpoints:
        by_path.setdefault(urlsplit(endpoint.url).path or "/", []).append(endpoint)
    notes = []
    for item in paths:
        where = f"{item['source']} ({item['file']}:{item['line']})"
        matches = by_path.get(item["path"].split("?")[0], [])
        if matches:
            names = ", ".join(f"“{e.name}” ({e.kind})" for e in matches)
            notes.append(f"{where} requests {item['path']}, the same path as registered endpoint {names}.")
        else:
            notes.append(f"{where} requests {item['path']}, which no registered endpoint uses.")
    return notes
