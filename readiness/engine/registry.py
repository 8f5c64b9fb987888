"""The check registry: each check is a function over a ``Project`` registered with its catalog entry.

Shaped like Django's system checks: a small function returning a result with a stable id.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

from .model import CheckMeta, CheckResult, Severity

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs start-up time
if TYPE_CHECKING:
    from .project import Project

CheckFunction = Callable[["Project"], CheckResult]

_CHECKS: dict[str, tuple[CheckMeta, CheckFunction]] = {}


def check(
    id: str,
    *,
    title: str,
    category: str,
    severity: Severity | str,
    soft: bool = False,
    sources: tuple[str, ...] = (),
    refs: tuple[str, ...] = (),
    remediation: str = "",
):
    """Register ``func(project) -> CheckResult`` under a catalog id."""

    def decorator(func: CheckFunction) -> CheckFunction:
        if id in _CHECKS:
            raise ValueError(f"check {id} registered twice")
        meta = CheckMeta(
            id=id,
            title=title,
            category=category,
            severity=Severity(severity),
            soft=soft,
            sources=tuple(sources),
            refs=tuple(refs),
            remediation=remediation.strip("\n"),
            description=_first_paragraph(func.__doc__),
        )
        _CHECKS[id] = (meta, func)
        return func

    return decorator


def _first_paragraph(docstring: str | None) -> str:
    paragraph = inspect.cleandoc(docstring or "").split("\n\n")[0]
    return " ".join(paragraph.split())


def _load() -> None:
    # Importing the check modules registers them.
    from .checks import ci, compose, compose_hardening, dockerfile, dockerfile_hardening, dockerignore, health  # noqa: F401


def all_checks() -> list[tuple[CheckMeta, CheckFunction]]:
    _load()
    return list(_CHECKS.values())


def get_meta(check_id: str) -> CheckMeta:
    _load()
    return _CHECKS[check_id][0]


def all_ids() -> list[str]:
    return [meta.id for meta, _ in all_checks()]
