"""Where things are in a Dockerfile's text: the lines an instruction really spans (heredoc bodies
included), where the final stage's run-time instructions begin, what a stage installs."""

from __future__ import annotations

import re

from ..checks._shell import commands
from ..dockerfile import Dockerfile, Instruction, Stage
from .files import TextFile
from .images import ImageFacts, image_facts

# Instructions that describe how the image runs rather than build it: a new USER or
# HEALTHCHECK goes before the first of those that end the final stage.
RUNTIME_INSTRUCTIONS = {"CMD", "ENTRYPOINT", "HEALTHCHECK", "EXPOSE", "STOPSIGNAL", "LABEL", "VOLUME"}
_COMMENT_RE = re.compile(r"^\s*#")


def span(dockerfile: Dockerfile, text: TextFile, instruction: Instruction) -> tuple[int, int]:
    """First and last line of an instruction, heredoc bodies included."""
    following = [i.line for i in dockerfile.instructions() if i.line > instruction.line]
    limit = min(following) - 1 if following else len(text.lines)
    end = max(instruction.end_line, instruction.line)
    if instruction.heredocs:
        end = limit
    while end > max(instruction.end_line, instruction.line) and _blank_or_comment(text, end):
        end -= 1
    return instruction.line, min(end, len(text.lines))


def _blank_or_comment(text: TextFile, number: int) -> bool:
    line = text.line(number)
    return not line.strip() or bool(_COMMENT_RE.match(line))


def comments_above(text: TextFile, number: int) -> int:
    """The first line of the comment block right above line ``number`` (or ``number``)."""
    while number > 1 and _COMMENT_RE.match(text.line(number - 1)):
        number -= 1
    return number


def runtime_insertion_line(dockerfile: Dockerfile, text: TextFile, stage: Stage) -> int:
    """The line before which a stage's USER or HEALTHCHECK goes: before the run-time instructions
    that end the stage (and the comments above them), else after the stage's last line."""
    start = None
    for instruction in reversed(stage.instructions):
        if instruction.cmd not in RUNTIME_INSTRUCTIONS:
            break
        start = instruction
    if start is not None:
        return comments_above(text, start.line)
    last = stage.instructions[-1] if stage.instructions else stage.from_instruction
    return span(dockerfile, text, last)[1] + 1


def installed_tools(stage: Stage) -> set[str]:
    """Packages named in apt/apk/dnf installs through the stage's FROM chain (curl, wget...)."""
    tools: set[str] = set()
    for member in stage.chain():
        for instruction in member.instructions:
            if instruction.cmd != "RUN":
                continue
            for command in commands(instruction.value):
                words = command.words
                if command.program in ("apt-get", "apt", "apk", "dnf", "yum", "microdnf") and (
                    "install" in words or "add" in words
                ):
                    tools.update(w for w in words[1:] if not w.startswith("-"))
    return tools


def stage_facts(stage: Stage) -> ImageFacts:
    """What the stage's external base image has, plus the HTTP clients the Dockerfile installs."""
    return image_facts(stage.root.base).with_tools(installed_tools(stage))


def production_targets(dockerfile: Dockerfile) -> list[tuple[str | None, Stage, list]]:
    """(target, stage, [(compose, service)]) for each stage that ships, as the checks see it."""
    builders = [(c, s) for c, s in dockerfile.built_by if dockerfile.is_dev or not c.is_dev]
    by_target: dict[str | None, list] = {}
    for compose, service in builders:
        by_target.setdefault(service.build.target, []).append((compose, service))
    found = []
    for target, services in (by_target or {None: []}).items():
        stage = dockerfile.stage(target)
        if stage is not None:
            found.append((target, stage, services))
    return found


def line_ends_in_comment(line: str) -> bool:
    """A shell comment at the end of a code line (`# ...` after whitespace, outside quotes)."""
    quote = None
    previous = " "
    for char in line:
        if quote:
            quote = None if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "#" and previous.isspace():
            return True
        previous = char
    return False
