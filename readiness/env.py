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
    """One line naming the variable, what it holds (unless secret) and what is expected; exit 1."""

    def __init__(self, name: str, value: str, expected: str, *, hidden: bool = False):
        shown = f"{name} (value hidden)" if hidden else f"{name}={value!r}"
        super().__init__(f"Configuration error: {shown} is not valid; expected {expected}.")


def redact_url(raw: str) -> str:
    """A URL as it may be printed: its password (and nothing else) replaced by ``***``."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(raw)
        password = parts.password
    except ValueError:
        return raw
    if not password:
        return raw
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


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


def env_list(
    name: str, default: list[str], *, pattern: re.Pattern | None = None, expected: str = ""
) -> list[str]:
    """Comma-separated values; with ``pattern``, each must match it in full (else ``expected``)."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default)
    items = [item.strip() for item in raw.split(",") if item.strip()]
    for item in items:
        if pattern is not None and not pattern.fullmatch(item):
            raise SettingsError(name, item, expected)
    return items


_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_HOST = rf"(?:{_LABEL}(?:\.{_LABEL})*\.?|\[[0-9A-Fa-f:.]+\])"  # a name, an IPv4 or a bracketed IPv6
# Django's ALLOWED_HOSTS: host names, ".example.com" for a domain and its subdomains, or "*".
HOST_PATTERN = re.compile(rf"\*|\.?{_HOST}")
HOST_PORT_PATTERN = re.compile(rf"{_HOST}(?::[0-9]{{1,5}})?")
ORIGIN_PATTERN = re.compile(rf"https?://(?:\*\.)?{_HOST}(?::[0-9]{{1,5}})?")


def env_match(name: str, default: str, *, pattern: re.Pattern, expected: str) -> str:
    """One value that must match ``pattern`` in full."""
    value = env_str(name, default).strip()
    if not pattern.fullmatch(value):
        raise SettingsError(name, value, expected)
    return value


def env_url(
    name: str, default: str, *, schemes: tuple[str, ...], expected: str, host_optional: tuple[str, ...] = ()
) -> str:
    """A URL whose scheme is one of ``schemes`` and that names a host (unless its scheme is in
    ``host_optional``) with a numeric port if any. The password never appears in the error."""
    from urllib.parse import urlsplit

    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip()
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError:
        raise SettingsError(name, redact_url(value), expected) from None
    if parts.scheme.lower() not in schemes or (not parts.hostname and parts.scheme not in host_optional):
        raise SettingsError(name, redact_url(value), expected)
    return value


def env_site_url(name: str, default: str) -> str:
    """The public address of the site: scheme and host (and port), no path, no trailing slash."""
    from urllib.parse import urlsplit

    value = env_url(name, default, schemes=("http", "https"), expected="http(s)://host[:port] with no path")
    parts = urlsplit(value)
    if parts.path.strip("/") or parts.query or parts.fragment or parts.username:
        raise SettingsError(name, value, "http(s)://host[:port] with no path, query or user")
    return value.rstrip("/")


DATABASE_EXPECTED = "postgres://user:password@host:5432/name (or sqlite:///path/to/file.sqlite3)"


def env_database(name: str, default: str, *, conn_max_age: int) -> tuple[str, dict]:
    """(the URL, Django's DATABASES entry) from a database URL (dj-database-url)."""
    import dj_database_url

    raw = env_str(name, default)
    try:
        config = dj_database_url.parse(raw.strip(), conn_max_age=conn_max_age)
    except Exception:  # dj-database-url raises several kinds (unknown scheme, bad port...)
        raise SettingsError(name, redact_url(raw), DATABASE_EXPECTED) from None
    if not config.get("NAME"):
        raise SettingsError(name, redact_url(raw), DATABASE_EXPECTED + " with a database name")
    return raw.strip(), config


def env_fernet_keys(name: str) -> list[str]:
    """Fernet keys (32 url-safe base64-encoded bytes each), newest first. Keys are never printed."""
    from cryptography.fernet import Fernet

    keys = env_list(name, [])
    for number, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except ValueError:
            raise SettingsError(
                name,
                "",
                f"comma-separated Fernet keys (key {number} of {len(keys)} is not one); generate one with "
                "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'",
                hidden=True,
            ) from None
    return keys


_ADDRESS = re.compile(r"[^@\s<>]+@[^@\s<>]+")


def env_email_address(name: str, default: str) -> str:
    """A sender: ``name@example.com`` or ``Display Name <name@example.com>``."""
    value = env_str(name, default).strip()
    _, bracket, rest = value.partition("<")
    address = rest.removesuffix(">").strip() if bracket else value
    if (bracket and not rest.endswith(">")) or not _ADDRESS.fullmatch(address):
        raise SettingsError(name, value, "an e-mail address, optionally as Display Name <name@example.com>")
    return value


def env_import_path(name: str, default: str, *, expected: str) -> str:
    """The dotted path of a class in an installed module (the module is found, not imported)."""
    from importlib.util import find_spec

    value = env_str(name, default).strip()
    module, _, attribute = value.rpartition(".")
    try:
        found = bool(module and attribute.isidentifier() and find_spec(module))
    except (ImportError, ValueError):
        found = False
    if not found:
        raise SettingsError(name, value, expected)
    return value


def env_dir(name: str, default: str, *, create: bool = False):
    """A folder: refused when the path exists and is not a folder, or (``create``) cannot be made."""
    from pathlib import Path

    path = Path(env_str(name, default)).expanduser()
    if path.exists() and not path.is_dir():
        raise SettingsError(name, str(path), "a folder (this path is a file)")
    if create:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SettingsError(
                name, str(path), f"a folder this process can create ({exc.strerror})"
            ) from None
    return path


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
    shown = redact_url(raw.strip())
    expected = "smtp://[user:password@]host[:port], smtp+tls://... or smtps://..."
    try:
        parts = urlsplit(raw.strip())
        port = parts.port
    except ValueError:
        raise SettingsError(name, shown, expected) from None
    if parts.scheme not in _EMAIL_SCHEMES or not parts.hostname or parts.path not in ("", "/"):
        raise SettingsError(name, shown, expected)
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
    """An https:// URL (plain http:// only for this machine: localhost, 127.0.0.1, [::1]), with no
    query or fragment; None when unset. Used for the identity provider, whose answers must not
    travel in clear."""
    from urllib.parse import urlsplit

    expected = "an https:// URL (http:// only for localhost or 127.0.0.1)"
    value = env_url(name, "", schemes=("https", "http"), expected=expected)
    if not value:
        return None
    parts = urlsplit(value)
    if (
        parts.query
        or parts.fragment
        or (parts.scheme.lower() == "http" and parts.hostname not in _LOCAL_HOSTS)
    ):
        raise SettingsError(name, redact_url(value), expected)
    return value.rstrip("/")


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


def url_origin(url: str) -> str:
    """scheme://host[:port] of a URL (for the Content Security Policy)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
