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


_EMAIL_SCHEMES = {"smtp": (False, False), "smtp+tls": (True, False), "smtps": (False, True)}


def env_email_url(name: str) -> dict | None:
    """An SMTP server as one URL: ``smtp://user:pass@host:port`` (plain), ``smtp+tls://`` (STARTTLS,
    port 587 by default) or ``smtps://`` (TLS from the start, port 465). Percent-encode ``@`` or
    ``:`` in the user or password. None when unset. The password never appears in the error."""
    from urllib.parse import unquote, urlsplit

    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return None
    parts = urlsplit(raw.strip())
    shown = f"{parts.scheme}://{parts.hostname or ''}" + ("  (credentials hidden)" if parts.password else "")
    expected = "smtp://[user:password@]host[:port], smtp+tls://... or smtps://..."
    if parts.scheme not in _EMAIL_SCHEMES or not parts.hostname or parts.path not in ("", "/"):
        raise SettingsError(name, shown, expected)
    try:
        port = parts.port
    except ValueError:
        raise SettingsError(name, shown, expected) from None
    use_tls, use_ssl = _EMAIL_SCHEMES[parts.scheme]
    return {
        "host": parts.hostname,
        "port": port or (465 if use_ssl else 587 if use_tls else 25),
        "user": unquote(parts.username or ""),
        "password": unquote(parts.password or ""),
        "use_tls": use_tls,
        "use_ssl": use_ssl,
    }


_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def env_https_url(name: str) -> str | None:
    """An https:// URL (plain http:// only for this machine: localhost, 127.0.0.1, [::1]); None
    when unset. Used for the identity provider, whose answers must not travel in clear."""
    from urllib.parse import urlsplit

    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return None
    text = raw.strip()
    parts = urlsplit(text)
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        parts = parts._replace(netloc="")
    local = parts.hostname in _LOCAL_HOSTS
    if (
        not parts.hostname
        or parts.query
        or parts.fragment
        or not (parts.scheme == "https" or (parts.scheme == "http" and local))
    ):
        raise SettingsError(name, text, "an https:// URL (http:// only for localhost or 127.0.0.1)")
    return text.rstrip("/")


_RULE = re.compile(
    r"(?P<kind>domain|group):(?P<value>[^=\s,]+)=(?P<team>[-a-zA-Z0-9_]+)(?::(?P<role>viewer|engineer|lead))?"
)


def env_auto_join(name: str, default_role: str) -> list[dict]:
    """Single sign-on auto-join rules, comma-separated: ``domain:example.com=platform`` (a verified
    e-mail at that domain joins team "platform") or ``group:sre=platform:engineer`` (the IdP's group
    claim holds "sre"), each with an optional role (else ``default_role``)."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return []
    rules = []
    for part in raw.split(","):
        match = _RULE.fullmatch(part.strip())
        if match is None:
            raise SettingsError(
                name,
                raw.strip(),
                "comma-separated rules domain:<e-mail domain>=<team slug>[:role] or "
                "group:<group>=<team slug>[:role] (role: viewer, engineer or lead)",
            )
        value = match["value"].lower() if match["kind"] == "domain" else match["value"]
        rules.append(
            {
                "kind": match["kind"],
                "value": value,
                "team": match["team"],
                "role": match["role"] or default_role,
            }
        )
    return rules
