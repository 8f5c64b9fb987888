"""Strict settings from the environment: a malformed value stops start-up with a message naming it.

Modelled on healthchecks.io's helpers, which refuse ``DEBUG=yes`` rather than guess.
SystemExit carries one readable line to stderr, with no traceback, from manage.py, gunicorn or celery.
"""

from __future__ import annotations

import os
import re

TRUE_WORDS = {"true", "1"}
FALSE_WORDS = {"false", "0"}


class SettingsError(SystemExit):
    def __init__(self, name: str, value: str, expected: str):
        super().__init__(f"Configuration error: {name}={value!r} is not valid; expected {expected}.")


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise SettingsError(name, raw, "true or false")


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise SettingsError(name, raw, "a whole number") from None
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise SettingsError(name, raw, f"a whole number from {minimum} to {maximum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.strip().upper() in choices:
        return raw.strip().upper()
    raise SettingsError(name, raw, "one of " + ", ".join(choices))


_DIGITS = re.compile(r"[0-9]{1,9}")


def env_rate(name: str, default: str) -> tuple[int, int] | None:
    """A rate limit as ``"N/S"`` (N requests per S seconds, both whole numbers from 1), or ``off``."""
    raw = os.environ.get(name)
    text = default if raw is None or raw.strip() == "" else raw.strip()
    if text.lower() == "off":
        return None
    count, sep, seconds = text.partition("/")
    if sep and _DIGITS.fullmatch(count) and _DIGITS.fullmatch(seconds) and int(count) and int(seconds):
        return int(count), int(seconds)
    raise SettingsError(name, text, "N/S (N requests per S seconds, e.g. 120/60) or off")
