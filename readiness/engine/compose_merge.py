"""Compose's merge rules, shared by ``extends``, overlay files and ``include:`` path lists.

As compose-go merges (override.go): mappings merge key by key; ``command``, ``entrypoint``,
``healthcheck.test`` and scalars are replaced; ``environment``, ``labels`` and the other KEY=value
fields merge as mappings whichever syntax each side uses; ``volumes``/``devices`` merge by mount
point, ``secrets``/``configs`` by target, ``networks``/``depends_on`` as mappings; other sequences
(``ports``, ``dns``, ``cap_add``...) append the items not already there. A ``!reset`` value of the
overriding side removes the key, an ``!override`` value replaces it as written.
"""

from __future__ import annotations

Path = tuple[str | int, ...]

# Replaced as a whole, never merged (paths relative to a service).
_REPLACED = {("command",), ("entrypoint",), ("healthcheck", "test"), ("ulimits",)}
# Fields that may be a list of KEY=value or a mapping; merged as mappings.
_KEY_VALUE = {"environment", "labels", "annotations", "sysctls", "extra_hosts", "args"}
# Sequences merged by one key of each item (short syntax: the part after the first colon).
_BY_TARGET = {"volumes", "devices", "secrets", "configs"}
# Sequences of names that Compose reads as a mapping of name -> options.
_NAME_MAPS = {"networks", "depends_on"}


def merge_service(base: dict, override: dict, tags: dict[Path, str] | None = None) -> dict:
    """``override`` (one service's mapping) merged onto ``base``; ``tags`` are the overriding file's
    merge tags by path relative to the service (``("ports",): "reset"``)."""
    merged = _merge(base, override, ())
    for path, tag in sorted((tags or {}).items(), key=lambda item: len(item[0])):
        if tag == "reset":
            _delete(merged, path)
        else:
            _replace(merged, path, _get(override, path))
    return merged


def tags_by_service(tags: dict[Path, str]) -> dict[str, dict[Path, str]]:
    """A file's merge tags grouped by service name, with paths relative to the service."""
    grouped: dict[str, dict[Path, str]] = {}
    for path, tag in tags.items():
        if len(path) > 2 and path[0] == "services":
            grouped.setdefault(str(path[1]), {})[path[2:]] = tag
    return grouped


def _merge(base, override, path: Path):
    if override is None:
        return base
    if path in _REPLACED or (not path and not isinstance(base, dict)):
        return override
    key = path[-1] if len(path) == 1 else None
    if key in _KEY_VALUE or (len(path) == 2 and path == ("build", "args")):
        left, right = _key_values(base), _key_values(override)
        if left is not None and right is not None:
            return {**left, **right}
    if key in _NAME_MAPS:
        left, right = _name_map(base), _name_map(override)
        if left is not None and right is not None:
            return {name: _merge(left.get(name), value, (*path, name)) if name in left else value
                    for name, value in {**left, **right}.items()}  # fmt: skip
    if path == ("build",):
        base, override = _build_map(base), _build_map(override)
    if (
        path == ("logging",)
        and isinstance(base, dict)
        and isinstance(override, dict)
        and override.get("driver") not in (None, base.get("driver"))
    ):
        return override  # another driver: its options start afresh
    if isinstance(base, dict) and isinstance(override, dict):
        result = dict(base)
        for name, value in override.items():
            result[name] = _merge(result[name], value, (*path, str(name))) if name in result else value
        return result
    if isinstance(base, list) and isinstance(override, list):
        if key in _BY_TARGET:
            targets = {_target(item) for item in override}
            return [item for item in base if _target(item) not in targets] + override
        return base + [item for item in override if item not in base]
    return override


def _key_values(value) -> dict | None:
    if isinstance(value, dict):
        return value
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        pairs = (item.partition("=") for item in value)
        return {name: val if sep else None for name, sep, val in pairs}
    return None


def _name_map(value) -> dict | None:
    if isinstance(value, dict):
        return value
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return {item: None for item in value}
    return None


def _build_map(value):
    return {"context": value} if isinstance(value, str) else value


def _target(item) -> str:
    """The mount point (volumes, devices) or target (secrets, configs) an item is merged by."""
    if isinstance(item, dict):
        return str(item.get("target") or item.get("source") or "")
    parts = str(item).split(":")
    return parts[1] if len(parts) > 1 else parts[0]


def _get(data, path: Path):
    for part in path:
        if isinstance(data, dict):
            data = (
                data[part]
                if part in data
                else next((v for k, v in data.items() if str(k) == str(part)), None)
            )
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return None
    return data


def _parent(data, path: Path):
    parent = _get(data, path[:-1])
    return parent if isinstance(parent, dict | list) else None


def _delete(data, path: Path) -> None:
    parent = _parent(data, path) if path else None
    if isinstance(parent, dict):
        for key in [k for k in parent if str(k) == str(path[-1])]:
            del parent[key]
    elif isinstance(parent, list) and isinstance(path[-1], int) and path[-1] < len(parent):
        del parent[path[-1]]


def _replace(data, path: Path, value) -> None:
    parent = _parent(data, path) if path else None
    if isinstance(parent, dict):
        key = next((k for k in parent if str(k) == str(path[-1])), path[-1])
        parent[key] = value
    elif isinstance(parent, list) and isinstance(path[-1], int) and path[-1] < len(parent):
        parent[path[-1]] = value
