"""Repair a health check command that cannot report failure (the ``*.healthcheck_can_fail``
checks): ``curl`` gains ``-f``, ``|| true`` / ``|| exit 0`` / ``|| :`` become ``|| exit 1``, a final
``; exit 0`` goes. A check that only prints or succeeds (``echo ok``, ``true``) has nothing to
repair: it needs a real probe, which the healthchecks fix writes.
"""

from __future__ import annotations

import re

_SWALLOWED = re.compile(r"\|\|\s*(true|:|exit\s+0)(?=\s*($|[;&|)]))")
_ENDS_OK = re.compile(r"\s*;\s*(exit\s+0|true)\s*$")
# `curl` as a command word (not `curl-config`, not inside a URL), not already given a fail flag.
_CURL = re.compile(r"(?<![\w./-])curl(?=\s)")
_CURL_FAILS = re.compile(r"(?:^|\s)(--fail(?:-with-body|-early)?|-[a-zA-Z]*f[a-zA-Z]*)(?=\s|$)")
_ALWAYS_OK = re.compile(r"^\s*(echo\b.*|printf\b.*|true|:|exit(\s+0)?)\s*$")


def repair_script(script: str) -> str | None:
    """The shell script repaired, or None when there is nothing mechanical to repair."""
    if _ALWAYS_OK.match(script):
        return None
    repaired = _SWALLOWED.sub("|| exit 1", script)
    repaired = _ENDS_OK.sub("", repaired)
    repaired = _add_curl_fail(repaired)
    return repaired if repaired != script else None


def _add_curl_fail(script: str) -> str:
    """``-f`` after each ``curl`` whose command has no fail flag and whose output no pipe reads
    (``curl ... | grep ok`` leaves the verdict to grep)."""
    out, position = [], 0
    for match in _CURL.finditer(script):
        command = re.split(r"&&|\|\||;", script[match.end() :], maxsplit=1)[0]
        if "|" in command or _CURL_FAILS.search(command):
            continue
        out.append(script[position : match.end()] + " -f")
        position = match.end()
    out.append(script[position:])
    return "".join(out)


def repair_argv(argv: list[str]) -> list[str] | None:
    """An exec-form probe repaired (``["curl", "http://..."]`` gains ``-f``), or None."""
    if not argv:
        return None
    program = argv[0].rstrip("/").rsplit("/", 1)[-1]
    if program in ("sh", "bash", "ash", "dash") and "-c" in argv[:-1]:
        index = argv.index("-c") + 1
        script = repair_script(argv[index])
        return None if script is None else [*argv[:index], script, *argv[index + 1 :]]
    if program == "curl" and not any(_CURL_FAILS.search(" " + word) for word in argv[1:]):
        return [argv[0], "-f", *argv[1:]]
    return None


def repair_compose_test(test) -> list[str] | str | None:
    """A compose ``healthcheck.test`` (list or string) repaired, or None."""
    if isinstance(test, str):
        return repair_script(test)
    if not isinstance(test, list) or not test:
        return None
    words = [str(word) for word in test]
    head = words[0].upper()
    if head == "CMD-SHELL" and len(words) >= 2:
        script = repair_script(" ".join(words[1:]))
        return None if script is None else [words[0], script]
    if head == "CMD":
        argv = repair_argv(words[1:])
        return None if argv is None else [words[0], *argv]
    return None
