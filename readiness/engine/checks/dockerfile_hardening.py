"""The Dockerfile checks added in checks.md Version 2: health checks that can fail, pipefail,
remote scripts piped into a shell, and versioned base images."""

from __future__ import annotations

import json
import re

from ..dockerfile import Dockerfile, Instruction, Stage, parse_image_ref
from ..registry import check
from ._healthcheck import argv_cannot_fail, shell_cannot_fail
from ._shell import SHELLS, pipes
from ._util import Findings
from .dockerfile import _fail, _final_stages, _judge, _runs

# --- dockerfile.healthcheck_can_fail -----------------------------------------------------------


@check(
    "dockerfile.healthcheck_can_fail",
    title="HEALTHCHECK can report failure",
    category="reliability",
    severity="medium",
    sources=("000", "003"),
    remediation="""
Make the check fail when the service does: curl needs -f, and nothing may swallow the exit status:

HEALTHCHECK --interval=30s --timeout=5s CMD curl -fsS http://localhost:8000/health || exit 1
""",
)
def healthcheck_can_fail(project):
    """The `HEALTHCHECK CMD` of a production Dockerfile's final stage can report failure: no `curl`
    without `-f`/`--fail`/`--fail-with-body`, no `|| exit 0`, `|| true`, `; exit 0`, `exit 0`, bare
    `echo`/`true`; `na` without a `HEALTHCHECK`."""
    return _judge(project, "dockerfile.healthcheck_can_fail", _healthcheck_can_fail)


def _healthcheck_can_fail(dockerfile: Dockerfile, project) -> Findings:
    found = Findings(dockerfile.path, dockerfile.is_dev, applies=False)
    for target, _, _ in _final_stages(dockerfile, found):
        instruction = dockerfile.healthcheck_instruction(target)
        if instruction is None:
            continue
        found.applies = True
        reason = _healthcheck_problem(instruction)
        if reason:
            _fail(found, instruction.line, f"HEALTHCHECK cannot fail: {reason}")
    return found


def _healthcheck_problem(instruction: Instruction) -> str | None:
    command = re.sub(r"^\s*CMD\b", "", instruction.value, flags=re.IGNORECASE).strip()
    if command.startswith("["):
        try:
            argv = json.loads(command)
        except ValueError:
            argv = None
        if isinstance(argv, list) and all(isinstance(word, str) for word in argv):
            return argv_cannot_fail(argv)
    return shell_cannot_fail(command)


# --- dockerfile.pipefail -----------------------------------------------------------------------

_SET_PIPEFAIL = re.compile(r"\bset\b[^;&|\n]*\bpipefail\b")
_SHELLS_WITHOUT_PIPE_PROBLEM = {"pwsh", "pwsh.exe", "powershell", "powershell.exe", "cmd", "cmd.exe"}


@check(
    "dockerfile.pipefail",
    title="Pipes in RUN fail when any command fails",
    category="reliability",
    severity="low",
    refs=("DL4006",),
    remediation="""
Run the build's shell with pipefail, so `curl ... | tar x` fails when the download does:

SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# or, per RUN: RUN set -o pipefail && curl -fsSL https://example.com/x.tgz | tar xz
""",
)
def pipefail(project):
    """Every shell-form `RUN` (heredoc bodies included) whose command pipes (`|`, not `||`) runs under
    `set -o pipefail` or a `SHELL` with `-o pipefail` (or a shell without pipes' exit-status problem,
    such as `pwsh`); `na` where no `RUN` pipes."""
    return _judge(project, "dockerfile.pipefail", _pipefail)


def _pipefail(dockerfile: Dockerfile, project) -> Findings:
    found = Findings(dockerfile.path, dockerfile.is_dev, applies=False)
    safe_after: dict[int, bool] = {}  # whether the SHELL at the end of each stage has pipefail
    for stage in dockerfile.stages:
        safe = safe_after[stage.parent.index] if stage.parent else False
        for instruction in stage.instructions:
            if instruction.cmd == "SHELL":
                safe = _shell_is_safe(instruction.json_args or [])
            elif instruction.cmd == "RUN" and instruction.json_args is None:
                piped = pipes(instruction.value)
                if not piped:
                    continue
                found.applies = True
                if safe or _SET_PIPEFAIL.search(instruction.value):
                    continue
                writer, reader = piped[0]
                message = (
                    f"RUN pipes {writer.program} into {reader.program} without pipefail: "
                    f"a failing {writer.program} goes unnoticed"
                )
                _fail(found, instruction.line, message)
        safe_after[stage.index] = safe
    return found


def _shell_is_safe(argv: list[str]) -> bool:
    if not argv:
        return False
    program = argv[0].replace("\\", "/").rsplit("/", 1)[-1].lower()
    if program in _SHELLS_WITHOUT_PIPE_PROBLEM:
        return True
    return any(
        word == "pipefail" and index > 0 and argv[index - 1].startswith("-") and argv[index - 1].endswith("o")
        for index, word in enumerate(argv)
    )


# --- dockerfile.no_remote_script_pipe (soft) ---------------------------------------------------

_DOWNLOADERS = {"curl", "wget"}
_INTERPRETERS = SHELLS | {"ksh", "python", "python2", "python3", "perl", "ruby", "node", "php"}
# `bash <(curl ...)`, `sh -c "$(curl ...)"`: the same download run unseen, without a pipe.
_SUBSTITUTED = re.compile(r"\b(?:ba|z|da|a|k)?sh\b[^|;&\n]*(?:<\(|\$\()\s*(curl|wget)\b")


@check(
    "dockerfile.no_remote_script_pipe",
    title="No remote script piped into a shell",
    category="security",
    severity="medium",
    soft=True,
    sources=("002",),
    remediation="""
Download the script, check it against a known checksum, then run it:

RUN curl -fsSLo /tmp/install.sh https://example.com/install.sh \\
 && echo "<sha256>  /tmp/install.sh" | sha256sum -c - \\
 && sh /tmp/install.sh && rm /tmp/install.sh
""",
)
def no_remote_script_pipe(project):
    """No `RUN` pipes a download (`curl`, `wget`) straight into a shell or interpreter (`| sh`,
    `| bash`, `| python`): whatever the server sends at build time runs as root in the image."""
    return _judge(project, "dockerfile.no_remote_script_pipe", _no_remote_script_pipe, soft=True)


def _no_remote_script_pipe(dockerfile: Dockerfile, project) -> Findings:
    found = Findings(dockerfile.path, dockerfile.is_dev)
    for _, instruction in _runs(dockerfile.stages):
        for writer, reader in pipes(instruction.value):
            if writer.program in _DOWNLOADERS and _runs_code(reader):
                message = f"RUN pipes a {writer.program} download into {reader.program}: unverified code runs"
                _fail(found, instruction.line, message)
                break
        else:
            substituted = _SUBSTITUTED.search(instruction.value)
            if substituted:
                message = f"RUN runs a {substituted.group(1)} download in a shell: unverified code runs"
                _fail(found, instruction.line, message)
    return found


def _runs_code(command) -> bool:
    if command.program not in _INTERPRETERS:
        return False
    # `| sh -s -- args` or `| bash -` reads the script from the pipe; `| python -c "..."` does not.
    return "-c" not in command.words[1:2]


# --- dockerfile.base_image_versioned (soft) ----------------------------------------------------

_VERSION = re.compile(r"\d")


@check(
    "dockerfile.base_image_versioned",
    title="Base images name a version",
    category="security",
    severity="low",
    soft=True,
    sources=("002",),
    remediation="""
Name the version in the tag, not only a moving variant:

FROM python:3.12-slim-bookworm   # not python:slim, node:lts-alpine or nginx:stable
""",
)
def base_image_versioned(project):
    """Every external base image's tag holds a version number, or the reference has a digest; moving
    tags such as `alpine`, `stable`, `lts`, `edge`, `nightly`, `slim` alone warn."""
    return _judge(project, "dockerfile.base_image_versioned", _base_image_versioned, soft=True)


def _base_image_versioned(dockerfile: Dockerfile, project) -> Findings:
    found = Findings(dockerfile.path, dockerfile.is_dev, applies=False)
    for stage in dockerfile.stages:
        if not stage.is_external or not stage.base:
            continue
        problem = _version_problem(stage)
        if problem is None:
            found.applies = True
        elif problem:
            found.applies = True
            _fail(found, stage.line, problem)
    return found


def _version_problem(stage: Stage) -> str | None:
    """A message, "" when the base cannot be judged here (an ARG without a default), None when fine."""
    image = parse_image_ref(stage.base)
    if image.digest:
        return None
    if stage.unresolved_args and not image.tag:
        return ""
    if image.tag is None:
        return f"FROM {stage.base} names no tag (latest moves with every release)"
    if not _VERSION.search(image.tag):
        return f"FROM {stage.base}: tag '{image.tag}' moves; name a version"
    return None
