"""Run a compose check file by file and merge the findings by checks.md's rules (``_util.judge_files``).

Production files decide; development files only add ``dev_evidence``; a production file that could
not be read, or a service whose Dockerfile could not be read, makes the result ``error`` when no
failure decides it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..compose import ComposeFile, ComposeService
from ..compose_roles import is_one_shot
from ..model import CheckResult, Evidence
from . import _util


@dataclass
class Findings:
    """What a check found in one compose file."""

    fail: list[Evidence] = field(default_factory=list)
    warn: list[Evidence] = field(default_factory=list)
    # Places the check could not decide (an unreadable Dockerfile behind a service...).
    undecided: list[Evidence] = field(default_factory=list)
    # How many things it applied to; 0 means nothing to check here.
    checked: int = 0


Inspect = Callable[[ComposeFile], Findings]


def judge(
    check_id: str,
    project,
    inspect: Inspect,
    *,
    soft: bool = False,
    what: str = "service",
    na_without_targets: bool = False,
) -> CheckResult:
    """``inspect`` each compose file; ``what`` names the things it counts, for the pass message.

    Every production compose file is something the check applies to, so it passes even with
    nothing to count in it ("every long-running service..." holds when there is none), unless
    ``na_without_targets``: the checks whose row in checks.md says ``na`` without datastores,
    without ``depends_on``, without builds...
    """
    per_file = []
    for compose in project.compose_units:
        if compose.error:
            per_file.append(_util.Findings.unreadable(compose.path, compose.is_dev, compose.error))
            continue
        found = inspect(compose)
        per_file.append(
            _util.Findings(
                compose.path,
                compose.is_dev,
                fail=found.fail,
                warn=found.warn,
                error=found.undecided,
                applies=found.checked > 0 or not na_without_targets,
                ok_message=_ok_message(found.checked, what),
            )
        )
    return _util.judge_files(check_id, per_file, soft=soft)


def _ok_message(count: int, what: str) -> str:
    plural = what[:-1] + "ies" if what.endswith("y") else what + "s"
    if count == 0:
        return f"no {plural} to check"
    return f"{count} {what if count == 1 else plural} checked, all pass"


def long_running(compose: ComposeFile) -> list[ComposeService]:
    return [service for service in compose.services.values() if not is_one_shot(service)]


def at(compose: ComposeFile, service: ComposeService, message: str, *path: str | int) -> Evidence:
    """Evidence at a key under ``service`` (or the service's own line), prefixed with its name.

    The file is where that key (or the service) is written, which for an overlay merged onto its
    base may be either file."""
    file, line = service.place_of(*path)
    return Evidence(file or compose.path, line, f"{service.name}: {message}")
