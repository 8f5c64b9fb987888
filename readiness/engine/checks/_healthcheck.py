"""Whether a health check command can report failure (``compose.healthcheck_can_fail`` and
``dockerfile.healthcheck_can_fail``).

A check cannot fail when it swallows the exit status (``|| true``, ``|| exit 0``, ``; exit 0``),
when it only prints or succeeds (``echo ok``, ``true``, ``exit 0``), or when it asks ``curl`` for a
page without ``-f``/``--fail``/``--fail-with-body``: curl then exits 0 on a 500, so a failing service
is reported healthy. A curl whose output is piped into another command (``| grep ok``) leaves the
verdict to that command.
"""

from __future__ import annotations

import re

from ._shell import SHELLS, Command, commands, commands_of_argv, pipes

_SWALLOWED = re.compile(r"\|\|\s*(true|:|exit\s+0)(?=\s*($|[;&|)]))")
_ENDS_OK = re.compile(r";\s*(exit\s+0|true)\s*$")
_ALWAYS_OK = {"echo", "true", ":", "printf"}
_CURL_FAIL_FLAGS = {"--fail", "--fail-with-body", "--fail-early"}


def why_cannot_fail(test) -> str | None:
    """Why a compose ``healthcheck.test`` (list or string) cannot report failure, or None."""
    if isinstance(test, list):
        words = [str(word) for word in test]
        if not words or words[0].upper() == "NONE":
            return None
        if words[0].upper() == "CMD-SHELL":
            return shell_cannot_fail(" ".join(words[1:]))
        if words[0].upper() == "CMD":
            words = words[1:]
        return argv_cannot_fail(words)
    if isinstance(test, str):
        return shell_cannot_fail(test)
    return None


def argv_cannot_fail(argv: list[str]) -> str | None:
    """The same for an exec-form argument list (``sh -c "..."`` is read as its script)."""
    if not argv:
        return None
    program = argv[0].rstrip("/").rsplit("/", 1)[-1]
    if program in SHELLS and "-c" in argv[:-1]:
        return shell_cannot_fail(argv[argv.index("-c") + 1])
    return _commands_cannot_fail(list(commands_of_argv(argv)), piped=set())


def shell_cannot_fail(script: str) -> str | None:
    text = " ".join(script.split())
    swallowed = _SWALLOWED.search(text)
    if swallowed:
        return f"'{swallowed.group().strip()}' turns every failure into success"
    ends = _ENDS_OK.search(text)
    if ends:
        return f"ends with '{ends.group().strip()}', so it always succeeds"
    writers = {writer.words for writer, _ in pipes(text)}  # commands whose output another one reads
    return _commands_cannot_fail(list(commands(text)), piped=writers)


def _commands_cannot_fail(found: list[Command], *, piped: set[tuple[str, ...]]) -> str | None:
    if not found:
        return None
    if all(_always_ok(command) for command in found):
        return f"only runs '{' '.join(found[0].words)[:60]}', which always succeeds"
    for command in found:
        if command.program == "curl" and not _curl_fails(command) and command.words not in piped:
            return "curl without -f/--fail exits 0 on an HTTP error, so a failing server looks healthy"
    return None


def _always_ok(command: Command) -> bool:
    if command.program == "exit":
        return command.words[1:2] in ((), ("0",))
    return command.program in _ALWAYS_OK


def _curl_fails(command: Command) -> bool:
    for word in command.words[1:]:
        if word in _CURL_FAIL_FLAGS:
            return True
        if word.startswith("-") and not word.startswith("--") and "f" in word[1:]:
            return True  # -f, -fsS, -sSf...
    return False
