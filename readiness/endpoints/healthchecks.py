"""Cross-check the health checks a repository's configuration runs against its registered endpoints.

The engine reports the HTTP paths the Dockerfiles' ``HEALTHCHECK`` and the compose services'
``healthcheck.test`` request (``ScanReport.healthchecks``); ``healthcheck_notes(paths, endpoints)``
says, for each, whether a registered endpoint uses the same path. The notes are kept on the run.
"""

from __future__ import annotations

from urllib.parse import urlsplit


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
