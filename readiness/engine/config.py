"""Optional ``.readiness.yml`` at the scan root: check skips (with a reason and an expiry) and a gate.

The file is read like any other input: never through a symlink, under a size cap, with
``yaml.safe_load``, then validated against ``CONFIG_SCHEMA``. A file that cannot be read or is
invalid is ignored whole (every check runs) and a note says why; the scan never crashes on it.

    skip:
      - id: dockerfile.buildkit_cache
        reason: "legacy builder on the NAS"
        expires: 2027-01-31      # optional; from the next day on the check runs again
    fail_under: 7.5              # optional; the CLI's --fail-under overrides it
    exclude:                     # optional; folders or files the scan never reads (glob, "dir/**")
      - tests/fixtures/**
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .discover import Inventory
from .registry import all_ids
from .schema_validator import Validator, best_match

CONFIG_FILE = ".readiness.yml"
MAX_CONFIG_BYTES = 64 * 1024

CONFIG_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "skip": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id", "reason"],
                "properties": {
                    "id": {"type": "string", "minLength": 1},
                    "reason": {"type": "string", "minLength": 1},
                    "expires": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
                },
            },
        },
        "fail_under": {"type": "number", "minimum": 0, "maximum": 10},
        "exclude": {"type": "array", "maxItems": 200, "items": {"type": "string", "minLength": 1}},
    },
}


@dataclass
class Config:
    # check id -> {"id", "reason", "expires"} (expires is an ISO date string or None)
    skips: dict[str, dict] = field(default_factory=dict)
    fail_under: float | None = None
    # Globs of root-relative folders or files the scan does not read ("tests/**", "sub/Dockerfile").
    exclude: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Why the file was ignored whole (unreadable, not YAML, invalid...); the CLI stops on it.
    error: str | None = None

    def active_skip(self, check_id: str) -> dict | None:
        return self.skips.get(check_id)


def load_config(
    root: Path, *, today: dt.date | None = None, skip_expiry_limit: dt.date | None = None
) -> Config:
    """Read ``.readiness.yml`` at the scan root (before discovery, which honours its excludes);
    an absent file is an empty config.

    ``skip_expiry_limit`` is the latest expiry a skip may have (the server passes today plus the
    team's longest waiver): a skip without an expiry, or expiring after it, is not applied and the
    check runs, with a note saying why. Capping the date instead would let a skip dated 2099 live
    for ever, renewed by every run. The CLI passes none: a repository's own file is trusted there."""
    if not os.path.lexists(root / CONFIG_FILE):
        return Config()
    try:
        raw = Inventory(root=root).read(CONFIG_FILE)
    except OSError as exc:
        return _ignored(f"cannot be read: {exc}")
    if len(raw) > MAX_CONFIG_BYTES:
        return _ignored(f"is larger than {MAX_CONFIG_BYTES // 1024} KiB")
    try:
        text = raw.decode("utf-8")
        # Aliases could expand a small file into a huge structure; a config never needs them.
        if any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(text, Loader=yaml.SafeLoader)):
            return _ignored("uses YAML aliases, which it may not")
        data = yaml.safe_load(text)
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        return _ignored(f"is not valid YAML: {_first_line(exc)}")
    if data is None:
        return Config()
    _dates_to_strings(data)
    error = best_match(Validator(CONFIG_SCHEMA).iter_errors(data))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        return _ignored(f"is invalid at {where}: {error.message[:200]}")
    return _build(data, today or dt.date.today(), skip_expiry_limit)


def _build(data: dict, today: dt.date, limit: dt.date | None = None) -> Config:
    config = Config(fail_under=data.get("fail_under"), exclude=list(data.get("exclude", [])))
    known = set(all_ids())
    for entry in data.get("skip", []):
        check_id, expires = entry["id"], entry.get("expires")
        if check_id not in known:
            config.notes.append(f"{CONFIG_FILE}: skip of unknown check id {check_id!r} ignored")
            continue
        if expires is not None:
            try:
                expiry = dt.date.fromisoformat(expires)
            except ValueError:
                config.notes.append(f"{CONFIG_FILE}: skip of {check_id} ignored: {expires!r} is not a date")
                continue
            if expiry < today:
                config.notes.append(
                    f"{CONFIG_FILE}: skip of {check_id} expired on {expires}; the check runs again"
                )
                continue
        if limit is not None and (expires is None or dt.date.fromisoformat(expires) > limit):
            config.notes.append(
                f"{CONFIG_FILE}: skip of {check_id} not applied: "
                + (f"it expires on {expires}" if expires else "it has no expiry")
                + f", and this team's waivers may run until {limit.isoformat()} at the latest; the check runs"
            )
            continue
        config.skips[check_id] = {"id": check_id, "reason": entry["reason"], "expires": expires}
    return config


def _dates_to_strings(data) -> None:
    # An unquoted 2027-01-31 loads as a date; the schema speaks strings, so write it back as one.
    if not isinstance(data, dict) or not isinstance(data.get("skip"), list):
        return
    for entry in data["skip"]:
        if isinstance(entry, dict) and isinstance(entry.get("expires"), dt.date):
            entry["expires"] = entry["expires"].isoformat()


def _ignored(why: str) -> Config:
    return Config(notes=[f"{CONFIG_FILE} {why}; it was ignored and every check ran"], error=why)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
