"""A baseline: the findings of one scan, kept in a file, so later scans fail only on new ones.

    readiness baseline write [PATH] [--output FILE]     # records today's findings
    readiness scan PATH --baseline FILE                 # exit 1 only on a finding not in FILE

Findings are matched by fingerprint (fingerprint.py: check id + file + the normalised evidence
line), then those left over by their message key (check id + file + message), as multisets: a
baseline with two identical findings accepts two, and a third is new.
The file also keeps the scores per category, for the "before" column of the Markdown report.
A baseline written by another version of the engine is refused: its checks and fingerprints may
not mean what this version's do.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from .fingerprint import FINDING_STATUSES, SCHEME, message_key
from .model import CheckResult, Evidence, ScanReport, Status

FORMAT = 1
DEFAULT_FILE = ".readiness-baseline.json"
MAX_BYTES = 16 * 1024 * 1024
# Findings that fail a build when new; a new warning is reported and does not.
FAILING = (Status.FAIL, Status.ERROR)

SCHEMA = {
    "type": "object",
    "required": ["readiness_baseline", "engine", "fingerprints", "findings"],
    "properties": {
        "readiness_baseline": {"type": "integer"},
        "engine": {"type": "string"},
        "fingerprints": {"type": "string"},
        "written": {"type": "string"},
        "score": {"type": ["number", "null"]},
        "categories": {"type": "object", "additionalProperties": {"type": ["number", "null"]}},
        "findings": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["fingerprint", "check"],
                "properties": {
                    "fingerprint": {"type": "string", "minLength": 1},
                    "message_key": {"type": "string"},
                    "check": {"type": "string"},
                    "status": {"type": "string"},
                    "file": {"type": "string"},
                    "line": {"type": ["integer", "null"]},
                    "message": {"type": "string"},
                },
            },
        },
    },
}


class BaselineError(Exception):
    """Why a baseline file cannot be used, one line that names the file."""


@dataclass
class Finding:
    check: str
    status: Status
    evidence: Evidence
    fingerprint: str
    remediation: str = ""


@dataclass
class Comparison:
    """This scan against a baseline."""

    baseline: dict
    path: str
    new: list[Finding] = field(default_factory=list)
    known: int = 0
    gone: list[dict] = field(default_factory=list)  # baseline findings no longer found

    @property
    def new_failing(self) -> list[Finding]:
        return [finding for finding in self.new if finding.status in FAILING]

    def as_dict(self) -> dict:
        return {
            "file": self.path,
            "written": self.baseline.get("written"),
            "score": self.baseline.get("score"),
            "new": [
                {
                    "check": f.check,
                    "status": str(f.status),
                    "file": f.evidence.file,
                    "line": f.evidence.line,
                    "message": f.evidence.message,
                    "fingerprint": f.fingerprint,
                }
                for f in self.new
            ],
            "known": self.known,
            "gone": self.gone,
        }


def findings(report: ScanReport) -> list[Finding]:
    """Every place of every fail/warn/error result, with its fingerprint."""
    found = []
    for result in report.results:
        if result.status not in FINDING_STATUSES:
            continue
        for index, evidence in enumerate(result.evidence):
            fingerprint = _fingerprint_of(result, index, evidence)
            found.append(Finding(result.id, result.status, evidence, fingerprint, result.remediation))
    return found


def _fingerprint_of(result: CheckResult, index: int, evidence: Evidence) -> str:
    if index < len(result.fingerprints) and result.fingerprints[index]:
        return result.fingerprints[index]
    from .fingerprint import evidence_fingerprint

    return evidence_fingerprint(result.id, evidence, None)


def baseline_document(report: ScanReport, *, now: dt.datetime | None = None) -> dict:
    now = now or dt.datetime.now(dt.UTC)
    return {
        "readiness_baseline": FORMAT,
        "engine": report.version,
        "fingerprints": SCHEME,
        "written": now.replace(microsecond=0).isoformat(),
        "score": report.score,
        "categories": {category.id: category.score for category in report.categories},
        "findings": [
            {
                "fingerprint": f.fingerprint,
                "message_key": message_key(f.check, f.evidence),
                "check": f.check,
                "status": str(f.status),
                "file": f.evidence.file,
                "line": f.evidence.line,
                "message": f.evidence.message,
            }
            for f in sorted(findings(report), key=lambda f: (f.check, f.evidence.file, f.evidence.line or 0))
        ],
    }


def write_baseline(report: ScanReport, path: Path) -> dict:
    document = baseline_document(report)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return document


def load_baseline(path: Path, *, engine_version: str) -> dict:
    """The baseline at ``path``, or BaselineError naming the file and what is wrong with it."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise BaselineError(f"{path}: larger than {MAX_BYTES // (1024 * 1024)} MiB, not a baseline")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BaselineError(
            f"{path}: no such baseline file (write one with `readiness baseline write`)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise BaselineError(f"{path}: cannot read the baseline: {reason}") from None
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise BaselineError(f"{path}: not a readiness baseline (invalid JSON: {exc})") from None
    from .schema_validator import Validator, best_match

    error = best_match(Validator(SCHEMA).iter_errors(document))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "top level"
        raise BaselineError(f"{path}: not a readiness baseline ({where}: {error.message[:120]})")
    if document["readiness_baseline"] != FORMAT or document["fingerprints"] != SCHEME:
        raise BaselineError(
            f"{path}: baseline format {document['readiness_baseline']}/{document['fingerprints']} is not "
            f"this version's ({FORMAT}/{SCHEME}); write it again with `readiness baseline write`"
        )
    if document["engine"] != engine_version:
        raise BaselineError(
            f"{path}: written by readiness {document['engine']}, this is {engine_version}; "
            "write it again with `readiness baseline write`"
        )
    return document


def compare(report: ScanReport, baseline: dict, *, path: str) -> Comparison:
    entries = baseline["findings"]
    consumed: set[int] = set()
    unmatched = findings(report)
    # First by fingerprint (the line's text), then what is left by message key.
    for entry_key, finding_key in (
        ("fingerprint", lambda f: f.fingerprint),
        ("message_key", lambda f: message_key(f.check, f.evidence)),
    ):
        waiting: dict[str, list[int]] = {}
        for index, entry in enumerate(entries):
            if index not in consumed and entry.get(entry_key):
                waiting.setdefault(entry[entry_key], []).append(index)
        still = []
        for finding in unmatched:
            indexes = waiting.get(finding_key(finding))
            if indexes:
                consumed.add(indexes.pop())
            else:
                still.append(finding)
        unmatched = still
    gone = [entry for index, entry in enumerate(entries) if index not in consumed]
    return Comparison(baseline=baseline, path=path, new=unmatched, known=len(consumed), gone=gone)
