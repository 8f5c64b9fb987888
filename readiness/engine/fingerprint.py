"""Fingerprints of findings that survive line moves: check id + file + a normalised snippet.

The snippet is the text of the evidence line with its whitespace collapsed, so a finding keeps
its fingerprint when lines are added above it or it is re-indented, and changes when the line
itself changes (which is a different finding). Evidence without a line (a whole file, the
repository, a URL) uses its message, with digits blanked so counts in it do not matter.

One fingerprint serves SARIF's partialFingerprints, the CLI's baseline and the server's
``new_since`` gate. Identical lines of one file give one fingerprint: a baseline counts them.
"""

from __future__ import annotations

import re

from .model import CheckResult, Evidence, Status

# "readinessFinding/v2" in SARIF; a baseline records it and refuses another scheme.
SCHEME = "v2"
FINDING_STATUSES = (Status.FAIL, Status.WARN, Status.ERROR)
_DIGITS = re.compile(r"\d+")


def normalise(text: str) -> str:
    return " ".join(text.split())


def fingerprint(check_id: str, file: str, snippet: str) -> str:
    import hashlib  # only when findings are fingerprinted: kept out of start-up

    key = f"{SCHEME}\0{check_id}\0{file}\0{snippet}"
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def evidence_fingerprint(check_id: str, evidence: Evidence, line_text: str | None) -> str:
    snippet = normalise(line_text or "")
    if not snippet:
        return message_key(check_id, evidence)
    return fingerprint(check_id, evidence.file, snippet)


def message_key(check_id: str, evidence: Evidence) -> str:
    """The second key a baseline matches on: check + file + message (digits blanked). It keeps a
    finding that a check places on a fixed line (line 1 for "the file") known when lines are
    added above, where the line's text changes but the finding does not."""
    return fingerprint(check_id, evidence.file, "message: " + _DIGITS.sub("#", normalise(evidence.message)))


def fingerprint_results(results: list[CheckResult], read) -> None:
    """Set ``fingerprints`` (one per evidence) on every finding; ``read(rel)`` returns a file's
    bytes or raises OSError (the inventory's safe read: no symlink, inside the root)."""
    lines_of: dict[str, list[str] | None] = {}
    for result in results:
        if result.status not in FINDING_STATUSES:
            continue
        result.fingerprints = [
            evidence_fingerprint(result.id, evidence, _line(lines_of, read, evidence))
            for evidence in result.evidence
        ]


def _line(lines_of: dict, read, evidence: Evidence) -> str | None:
    if not evidence.file or not evidence.line or "://" in evidence.file:
        return None
    if evidence.file not in lines_of:
        try:
            lines_of[evidence.file] = read(evidence.file).decode("utf-8", "replace").splitlines()
        except (OSError, ValueError):
            lines_of[evidence.file] = None
    lines = lines_of[evidence.file]
    if lines is None or not 1 <= evidence.line <= len(lines):
        return None
    return lines[evidence.line - 1]
