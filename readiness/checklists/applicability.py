"""When a checklist item applies to a repository: a condition on the facts the engine reports
(``ScanReport.facts``, stored as ``AnalysisRun.facts``; readiness/engine/facts.py).

Pure Python (no Django). A condition is a mapping; every key in it must hold:

- ``stack``: a stack or a list of them (any one detected): python, node, go, java, rust, php, ruby;
- ``datastore``: a datastore kind or a list (postgres, redis, mysql, mongo...);
- ``file``: a deployment file or a list (render.yaml, fly.toml, Procfile...);
- ``dependency``: a dependency name or a list, among those of every stack (chromadb, express...);
- ``compose``, ``dockerfile``: true or false, whether one was found;
- ``any``: a list of conditions, one of which holds; ``all``: a list, all of which hold;
  ``not``: a condition that does not hold.

An item applies when it has no condition, or when the repository has no facts yet (never analysed,
or analysed before the engine reported facts): nothing is hidden on a guess.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from readiness.engine.compose_roles import DATASTORES
from readiness.engine.facts import DATASTORE_CLIENTS, NOTABLE_FILES, STACK_FILES

STACKS = tuple(sorted(STACK_FILES))
DATASTORE_KINDS = tuple(sorted(set(DATASTORES) | set(DATASTORE_CLIENTS.values())))
FILES = tuple(sorted(NOTABLE_FILES))
LIST_KEYS = {"stack": "stacks", "datastore": "datastores", "file": "files"}
FLAG_KEYS = ("compose", "dockerfile")
STACK_NAMES = {
    "python": "Python",
    "node": "Node.js",
    "go": "Go",
    "java": "Java",
    "rust": "Rust",
    "php": "PHP",
    "ruby": "Ruby",
}


def normalise_dependency(name: str) -> str:
    """As the engine reports names: lower case, runs of ``-_.`` as one ``-`` (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def has_facts(facts: Mapping | None) -> bool:
    return bool(facts) and "stacks" in facts


def applies(condition: Mapping | None, facts: Mapping | None) -> bool:
    """Does an item with this condition apply to a repository with these facts?"""
    if not condition or not has_facts(facts):
        return True
    return _holds(condition, facts)


def _holds(condition: Mapping, facts: Mapping) -> bool:
    for key, value in condition.items():
        if key == "any":
            ok = any(_holds(c, facts) for c in value)
        elif key == "all":
            ok = all(_holds(c, facts) for c in value)
        elif key == "not":
            ok = not _holds(value, facts)
        elif key in FLAG_KEYS:
            ok = bool(facts.get(key)) == bool(value)
        elif key == "dependency":
            present = {
                normalise_dependency(n) for names in (facts.get("dependencies") or {}).values() for n in names
            }
            ok = any(normalise_dependency(name) in present for name in _as_list(value))
        elif key in LIST_KEYS:
            ok = bool(set(_as_list(value)) & set(facts.get(LIST_KEYS[key]) or ()))
        else:  # validated away; an unknown key never hides an item
            ok = True
        if not ok:
            return False
    return True


def _either(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _phrase(key: str, value) -> str:
    if key == "stack":
        return "are built with " + _either([STACK_NAMES.get(v, v) for v in _as_list(value)])
    if key == "datastore":
        return "use " + _either(_as_list(value))
    if key == "file":
        return "have " + _either([f"a {v}" for v in _as_list(value)])
    if key == "dependency":
        return "depend on " + _either(_as_list(value))
    if key in FLAG_KEYS:
        what = "compose file" if key == "compose" else "Dockerfile"
        return f"have a {what}" if value else f"have no {what}"
    if key == "any":
        return "(" + " or ".join(describe_parts(c) for c in value) + ")"
    if key == "all":
        return "(" + " and ".join(describe_parts(c) for c in value) + ")"
    if key == "not":
        return "do not " + describe_parts(value)
    return key


def describe_parts(condition: Mapping) -> str:
    return " and ".join(_phrase(key, value) for key, value in condition.items())


def describe(condition: Mapping | None) -> str:
    """The condition in words: "Applies to repositories that depend on chromadb"."""
    if not condition:
        return "Applies to every repository"
    return "Applies to repositories that " + describe_parts(condition)
