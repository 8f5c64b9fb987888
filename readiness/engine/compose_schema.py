"""Validate a compose mapping against the Compose Specification schema shipped in engine/schemas/."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path as FilePath

from .schema_validator import SchemaError, Validator, best_match

# Enough to fix a file; a thoroughly broken one should not flood the report.
MAX_REPORTED = 20

SCHEMAS = FilePath(__file__).parent / "schemas"

Path = tuple[str | int, ...]

# Unexpected keys are named in the message: "('prots' was unexpected)", "('a', 'b' were unexpected)".
_UNEXPECTED = re.compile(r"'([^']+)'(?=(?:, '[^']+')* (?:was|were) unexpected)")


@cache
def _validator() -> Validator:
    schema = json.loads((SCHEMAS / "compose-spec.json").read_text(encoding="utf-8"))
    # tests/engine/test_schema_validator.py checks the shipped schema's keywords once.
    return Validator(schema, check_keywords=False)


def violations(data: dict) -> list[tuple[Path, str]]:
    """(path of the offending key, one-line message) for each Compose Specification violation."""
    found: dict[Path, str] = {}
    unexpected: dict[Path, str] = {}
    for error in _validator().iter_errors(data):
        path, message, is_unexpected = _describe(best_match([error]))
        (unexpected if is_unexpected else found).setdefault(path, message)
        if len(found) + len(unexpected) >= MAX_REPORTED:
            break
    # A key whose own value is invalid is also "unevaluated" to jsonschema; report only the real problem.
    for path, message in unexpected.items():
        if not any(other[: len(path)] == path for other in found):
            found[path] = message
    return sorted(found.items(), key=lambda item: [str(part) for part in item[0]])


def _describe(error: SchemaError) -> tuple[Path, str, bool]:
    path: Path = tuple(error.absolute_path)
    if error.validator in ("additionalProperties", "unevaluatedProperties"):
        # Point at the unexpected key itself, not at the mapping that holds it.
        unexpected = _UNEXPECTED.findall(error.message)
        if unexpected:
            return (*path, unexpected[0]), f"'{unexpected[0]}' is not allowed here", True
    message = " ".join(error.message.split())
    if len(message) > 160:
        message = message[:157] + "..."
    return path, message, False


def dotted(path: Path) -> str:
    """``("services", "web", "ports", 0)`` -> ``services.web.ports[0]``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
