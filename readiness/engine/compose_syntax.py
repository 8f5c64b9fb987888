"""Normalise the short and long syntaxes of compose service fields into one shape each.

Ports, volumes, depends_on, networks, environment and byte sizes can each be written several ways;
the checks read these normalised forms instead of re-parsing the variants.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass


@dataclass(frozen=True)
class Port:
    target: str
    published: str | None  # None: not given, so Docker picks a random host port
    host_ip: str | None  # None: all interfaces
    protocol: str = "tcp"


@dataclass(frozen=True)
class Mount:
    kind: str  # "volume" (named), "bind", "anonymous", "tmpfs", or another long-syntax type
    source: str | None
    target: str | None


def ports(value) -> list[Port]:
    if not isinstance(value, list):
        return []
    found = []
    for item in value:
        if isinstance(item, dict):
            found.append(_long_port(item))
        elif isinstance(item, int | str) and not isinstance(item, bool):
            found.append(_short_port(str(item)))
    return found


def _long_port(item: dict) -> Port:
    published = item.get("published")
    host_ip = item.get("host_ip")
    return Port(
        target=str(item.get("target", "")),
        published=str(published) if published not in (None, "") else None,
        host_ip=str(host_ip) if host_ip not in (None, "") else None,
        protocol=str(item.get("protocol") or "tcp"),
    )


def _short_port(text: str) -> Port:
    text, _, protocol = text.partition("/")
    host_ip = None
    if text.startswith("["):  # [::1]:8000:8000
        host_ip, _, text = text[1:].partition("]")
        text = text.removeprefix(":")
        published, _, target = text.rpartition(":")
        return Port(target, published or None, host_ip or None, protocol or "tcp")
    parts = text.split(":")
    if len(parts) == 1:
        return Port(parts[0], None, None, protocol or "tcp")
    if len(parts) == 2:
        return Port(parts[1], parts[0] or None, None, protocol or "tcp")
    host_ip = ":".join(parts[:-2])  # an unbracketed IPv6 address keeps its colons
    return Port(parts[-1], parts[-2] or None, host_ip or None, protocol or "tcp")


def mounts(value) -> list[Mount]:
    if not isinstance(value, list):
        return []
    found = []
    for item in value:
        if isinstance(item, dict):
            kind = str(item.get("type") or "volume")
            source = item.get("source")
            source = str(source) if source not in (None, "") else None
            if kind == "volume" and source is None:
                kind = "anonymous"
            target = item.get("target")
            found.append(Mount(kind, source, str(target) if target is not None else None))
        elif isinstance(item, str):
            found.append(_short_mount(item))
    return found


def _short_mount(text: str) -> Mount:
    parts = text.split(":")
    # A Windows drive letter ("C:\\data:/data") is part of the source.
    if len(parts) >= 3 and len(parts[0]) == 1 and parts[1].startswith(("\\", "/")):
        parts = [parts[0] + ":" + parts[1], *parts[2:]]
    if len(parts) == 1:
        return Mount("anonymous", None, parts[0])
    source, target = parts[0], parts[1]
    kind = "bind" if is_path_source(source) else "volume"
    return Mount(kind, source, target)


def is_path_source(source: str) -> bool:
    """Compose treats a source starting like a path as a bind mount, anything else as a volume name."""
    return source.startswith(("/", ".", "~", "$")) or (len(source) > 1 and source[1] == ":")


def depends_on(value) -> dict[str, str]:
    """Service name -> condition (``service_started`` when the short list syntax is used)."""
    if isinstance(value, list):
        return {str(name): "service_started" for name in value if isinstance(name, str)}
    if isinstance(value, dict):
        result = {}
        for name, spec in value.items():
            condition = spec.get("condition") if isinstance(spec, dict) else None
            result[str(name)] = str(condition or "service_started")
        return result
    return {}


def networks(value) -> list[str]:
    if isinstance(value, list):
        return [str(name) for name in value if isinstance(name, str)]
    if isinstance(value, dict):
        return [str(name) for name in value]
    return []


def environment(value) -> dict[str, object]:
    """Name -> value; a list entry without ``=`` maps to None (the value comes from the shell)."""
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, list):
        result: dict[str, object] = {}
        for item in value:
            if isinstance(item, str):
                name, sep, val = item.partition("=")
                result[name.strip()] = val if sep else None
        return result
    return {}


def command_tokens(value) -> list[str]:
    """Words of a ``command``/``entrypoint`` (string or list), with ``sh -c`` scripts split too."""
    if isinstance(value, list):
        words = [str(part) for part in value if part is not None]
    elif isinstance(value, str):
        words = _split(value)
    else:
        return []
    tokens: list[str] = []
    for word in words:
        tokens.extend(_split(word) if " " in word else [word])
    return tokens


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:  # unbalanced quotes: a rough split still finds the words
        return text.split()


_BYTES = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(?:i?b)?\s*$", re.IGNORECASE)
_UNIT = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4, "p": 1024**5}


def byte_size(value) -> int | None:
    """Compose's binary units: ``256m`` = ``256mb`` = 268,435,456; a bare integer is bytes."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str) and (match := _BYTES.match(value)):
        return int(float(match.group(1)) * _UNIT[match.group(2).lower()])
    return None
