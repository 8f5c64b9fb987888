"""Compose variable interpolation without an environment: defaults apply, unset variables are empty.

Supports ``$VAR``, ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``, ``${VAR:?msg}``, ``${VAR?msg}``,
``${VAR:+alt}``, ``${VAR+alt}``, nesting in defaults (``${A:-${B}}``) and ``$$`` for a literal dollar.
Every variable referenced is recorded with whether it has a fallback, for ``compose.env_example``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPERATORS = (":-", "-", ":?", "?", ":+", "+")


class InterpolationError(ValueError):
    pass


@dataclass(frozen=True)
class Variable:
    name: str
    # True when the compose file supplies a value if the variable is unset (``:-``/``-`` forms).
    has_default: bool


def interpolate(text: str, *, unset: str = "") -> tuple[str, list[Variable]]:
    """Return ``text`` with every variable replaced by its default, else ``unset``, and the variables seen.

    A distinctive ``unset`` lets a caller see which part of a value the deployer supplies.
    """
    out, variables, _ = _parse(text, 0, closing=False, unset=unset)
    return out, variables


def _parse(text: str, pos: int, *, closing: bool, unset: str) -> tuple[str, list[Variable], int]:
    """Interpolate from ``pos`` until the end, or until an unmatched ``}`` when ``closing``."""
    parts: list[str] = []
    variables: list[Variable] = []
    while pos < len(text):
        char = text[pos]
        if closing and char == "}":
            return "".join(parts), variables, pos
        if char != "$":
            parts.append(char)
            pos += 1
            continue
        nxt = text[pos + 1 : pos + 2]
        if nxt == "$":
            parts.append("$")
            pos += 2
        elif nxt == "{":
            value, found, pos = _braced(text, pos + 2, unset)
            parts.append(value)
            variables.extend(found)
        elif match := _NAME.match(text, pos + 1):
            variables.append(Variable(match.group(), has_default=False))
            parts.append(unset)
            pos = match.end()
        else:
            parts.append("$")  # a lone dollar is kept, as Compose does
            pos += 1
    if closing:
        raise InterpolationError("invalid interpolation format: missing '}'")
    return "".join(parts), variables, pos


def _braced(text: str, pos: int, unset: str) -> tuple[str, list[Variable], int]:
    """Parse after ``${``; return the value, the variables and the position after the ``}``."""
    match = _NAME.match(text, pos)
    if not match:
        raise InterpolationError(f"invalid interpolation format: {text[pos - 2 : pos + 20]!r}")
    name = match.group()
    pos = match.end()
    if text[pos : pos + 1] == "}":
        return unset, [Variable(name, has_default=False)], pos + 1
    operator = next((op for op in _OPERATORS if text.startswith(op, pos)), None)
    if operator is None:
        raise InterpolationError(f"invalid interpolation format for ${{{name}...}}")
    argument, inner, end = _parse(text, pos + len(operator), closing=True, unset=unset)
    if operator in (":-", "-"):
        return argument, [Variable(name, has_default=True), *inner], end + 1
    if operator in (":+", "+"):
        # Unset means the alternative is not used; the variable is optional.
        return "", [Variable(name, has_default=True), *inner], end + 1
    return unset, [Variable(name, has_default=False), *inner], end + 1
