"""Fixes for the checks of checks.md Version 2 that have a mechanical fix: ``dockerfile.pipefail``,
``dockerfile.healthcheck_can_fail`` and ``compose.healthcheck_can_fail``.

The others have none: which version to pin (``*_versioned``), which commit an action's tag is
(``ci.actions_pinned``, which needs the network), what replaces a Docker socket, a privileged
container or a piped install script are decisions, not edits.
"""

from __future__ import annotations

import json

from ..dockerfile import Dockerfile, Stage
from ..model import CheckResult
from . import dockerfile_text as dt
from .compose import NoFix, Work, _fix_file, _flagged
from .dockerfile import _files, _instruction_at
from .files import TextFile
from .images import ALPINE, DEBIAN, RHEL, UBUNTU
from .model import Fix
from .probes import repair_argv, repair_compose_test, repair_script
from .registry import FixContext, fixer

_SHELLS = {
    ALPINE: ["/bin/ash", "-o", "pipefail", "-c"],  # busybox ash knows -o pipefail (1.35+, checked)
    DEBIAN: ["/bin/bash", "-o", "pipefail", "-c"],  # dash, Debian's /bin/sh, does not
    UBUNTU: ["/bin/bash", "-o", "pipefail", "-c"],
    RHEL: ["/bin/bash", "-o", "pipefail", "-c"],
}


@fixer(
    "dockerfile.pipefail",
    (
        'adds `SHELL ["/bin/bash", "-o", "pipefail", "-c"]` before the first piped `RUN` of each stage '
        'that has one (`["/bin/ash", "-o", "pipefail", "-c"]` on Alpine, whose busybox ash knows the '
        "option; Debian's dash does not). None for a base whose shell is not known."
    ),
)
def pipefail(result: CheckResult, context: FixContext) -> list[Fix]:
    fixes = []
    for dockerfile, text, evidence in _files(result, context):
        stages: dict[int, tuple[Stage, int]] = {}
        for item in evidence:
            instruction = _instruction_at(dockerfile, item.line)
            stage = _stage_of(dockerfile, instruction)
            if stage is not None and stage.index not in stages:
                stages[stage.index] = (stage, instruction.line)
        for stage, line in stages.values():
            fixes.append(_pipefail_fix(text, stage, line))
    return fixes


def _stage_of(dockerfile: Dockerfile, instruction) -> Stage | None:
    return (
        next((s for s in dockerfile.stages if instruction in s.instructions), None) if instruction else None
    )


def _pipefail_fix(text: TextFile, stage: Stage, line: int) -> Fix:
    check = "dockerfile.pipefail"
    shell = _SHELLS.get(dt.stage_facts(stage).family)
    if shell is None:
        base = stage.root.base or "the base image"
        return Fix(check, f"no automatic fix: the shell of {base} is not known; add SHELL with -o pipefail")
    where = dt.comments_above(text, line)
    name = f"stage '{stage.name}'" if stage.name else f"stage {stage.index + 1}"
    summary = f"run the RUNs of {name} under {shell[0]} -o pipefail"
    return Fix(check, summary, [text.insert_before(where, f"SHELL {json.dumps(shell)}\n")])


@fixer(
    "dockerfile.healthcheck_can_fail",
    (
        "gives `curl` `-f` (unless a pipe reads its output), turns `|| true` / `|| exit 0` / `|| :` into "
        "`|| exit 1` and drops a final `; exit 0`. None for a HEALTHCHECK that only echoes or exits 0: "
        "it needs a real probe."
    ),
)
def dockerfile_healthcheck_can_fail(result: CheckResult, context: FixContext) -> list[Fix]:
    check = "dockerfile.healthcheck_can_fail"
    fixes = []
    for dockerfile, text, evidence in _files(result, context):
        for line in dict.fromkeys(e.line for e in evidence):
            instruction = _instruction_at(dockerfile, line)
            if instruction is None or instruction.cmd != "HEALTHCHECK":
                continue
            start, end = dt.span(dockerfile, text, instruction)
            original = "".join(text.lines[start - 1 : end])
            repaired = _repair_instruction(original)
            if repaired is None:
                fixes.append(
                    Fix(check, "no automatic fix: the HEALTHCHECK probes nothing; write a real probe")
                )
            else:
                fixes.append(
                    Fix(check, "make the HEALTHCHECK report failure", [text.replace(start, end, repaired)])
                )
    return fixes


def _repair_instruction(original: str) -> str | None:
    """The HEALTHCHECK's text with its command repaired (options and layout kept), or None."""
    head, separator, command = original.partition(" CMD ")
    if not separator:
        head, separator, command = original.partition(" cmd ")
    if not separator:
        return None
    body = command.rstrip("\r\n")
    eol = command[len(body) :]
    stripped = body.strip()
    if stripped.startswith("["):
        try:
            argv = json.loads(stripped)
        except ValueError:
            return None
        repaired_argv = repair_argv(argv) if isinstance(argv, list) else None
        return (
            None if repaired_argv is None else f"{head}{separator}{json.dumps(repaired_argv)}{eol or chr(10)}"
        )
    repaired = repair_script(body)
    return None if repaired is None else f"{head}{separator}{repaired}{eol or chr(10)}"


def _repair_test(patch, service, work: Work) -> str:
    path = ("services", service.name, "healthcheck", "test")
    if not patch.has(path):
        raise NoFix("its healthcheck test comes from elsewhere")
    test = patch.node(path)
    repaired = repair_compose_test(list(test) if isinstance(test, list) else test)
    if repaired is None:
        raise NoFix("the healthcheck probes nothing; write a real probe")
    patch.set(path, patch.flow(repaired) if isinstance(repaired, list) else repaired)
    return f"{service.name}: the healthcheck reports failure"


@fixer(
    "compose.healthcheck_can_fail",
    (
        "repairs `healthcheck.test` as for `dockerfile.healthcheck_can_fail`: `curl` gains `-f`, "
        "`|| true` / `|| exit 0` become `|| exit 1`, a final `; exit 0` goes."
    ),
)
def compose_healthcheck_can_fail(result: CheckResult, context: FixContext) -> list[Fix]:
    fixes = []
    for rel, (compose, services) in _flagged(result, context).items():
        fixes += _fix_file(
            Work("compose.healthcheck_can_fail", context, rel, compose), services, _repair_test
        )
    return fixes
