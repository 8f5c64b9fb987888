"""Split the shell of a RUN, CMD or compose command into simple commands, well enough for checks.

Not a shell: quotes, backslashes, comments and the separators ``&& || ; | & ( )`` and newlines
are understood; ``sh -c "..."`` is looked into; variables are left as written. A regex tokenizer
keeps it linear on megabyte-long inputs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise

SHELLS = {"sh", "bash", "ash", "dash", "zsh"}
# Words that only wrap the command that follows them.
_WRAPPERS = {"sudo", "exec", "nohup", "time", "nice", "then", "do", "else", "if", "while", "!", "{"}
_ASSIGNMENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_TOKEN_RE = re.compile(
    r"""
    (?P<sep>&&|\|\||[;&|()\n])
    |(?P<space>[ \t\r]+)
    |(?P<comment>(?<![^\s;&|()])\#[^\n]*)
    |(?P<part>'[^']*'|"(?:\\.|[^"\\])*"|\\.|[^\s'"\\;&|()]+|['"\\])
    """,
    re.VERBOSE | re.DOTALL,
)
_MAX_NESTING = 3
# Enough for any real RUN; keeps the checks linear and quick on a megabyte of `a && a && ...`.
MAX_COMMANDS = 2000


@dataclass(frozen=True)
class Command:
    words: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    # The basename of the first word (``/usr/bin/pip3`` -> ``pip3``).
    program: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        program = self.words[0].rstrip("/").rsplit("/", 1)[-1] if self.words else ""
        object.__setattr__(self, "program", program)

    def first_argument(self, start: int = 1) -> str | None:
        """The first word from ``start`` on that is not an option."""
        for word in self.words[start:]:
            if not word.startswith("-"):
                return word
        return None


def commands(script: str) -> tuple[Command, ...]:
    """The simple commands of a shell script, ``sh -c`` bodies included."""
    return _commands(script, 0)


# Every check splits the same RUNs again, so scripts are cached: many small ones, and only the
# last few big ones, which keeps the cache's memory small in a long-running worker.
_SMALL_SCRIPT_CHARS = 16 * 1024


def commands_of_argv(argv: list[str]) -> tuple[Command, ...]:
    """The simple commands an exec-form argument list runs (looking into ``sh -c``)."""
    return _expand(Command(tuple(argv)), 0)


def _commands(script: str, depth: int) -> tuple[Command, ...]:
    if len(script) <= _SMALL_SCRIPT_CHARS:
        return _small_script_commands(script, depth)
    return _big_script_commands(script, depth)


@lru_cache(maxsize=256)
def _small_script_commands(script: str, depth: int) -> tuple[Command, ...]:
    return _split_commands(script, depth)


@lru_cache(maxsize=2)
def _big_script_commands(script: str, depth: int) -> tuple[Command, ...]:
    return _split_commands(script, depth)


def _split_commands(script: str, depth: int) -> tuple[Command, ...]:
    result: list[Command] = []
    for words in _split(script.replace("\\\n", " ")):
        command = _strip_prefixes(words)
        if command.words:
            result.extend(_expand(command, depth))
    return tuple(result)


def _expand(command: Command, depth: int) -> tuple[Command, ...]:
    words = command.words
    if depth < _MAX_NESTING and command.program in SHELLS and "-c" in words:
        index = words.index("-c")
        if index + 1 < len(words):
            return (command, *_commands(words[index + 1], depth + 1))
    return (command,)


def _split(script: str) -> list[list[str]]:
    """Words of each simple command, quotes removed."""
    return [words for words, _ in _split_with_separators(script)]


def _split_with_separators(script: str) -> list[tuple[list[str], str | None]]:
    """Words of each simple command with the separator that ends it (``|``, ``&&``...; None last)."""
    commands_words: list[tuple[list[str], str | None]] = []
    words: list[str] = []
    current: list[str] | None = None
    for match in _TOKEN_RE.finditer(script):
        kind = match.lastgroup
        if kind == "part":
            current = current if current is not None else []
            current.append(_unquote(match.group()))
            continue
        if current is not None:
            words.append("".join(current))
            current = None
        if kind == "sep" and words:
            commands_words.append((words, match.group()))
            words = []
            if len(commands_words) >= MAX_COMMANDS:
                return commands_words
    if current is not None:
        words.append("".join(current))
    if words:
        commands_words.append((words, None))
    return commands_words


def pipes(script: str) -> list[tuple[Command, Command]]:
    """(writer, reader) of every pipe ``a | b`` in the script (``||`` is not a pipe), at its top level."""
    split = _split_with_separators(script.replace("\\\n", " "))
    found = []
    for (words, separator), (next_words, _) in pairwise(split):
        if separator == "|":
            found.append((_strip_prefixes(words), _strip_prefixes(next_words)))
    return found


def _unquote(part: str) -> str:
    if part[0] == "'" and len(part) > 1:
        return part[1:-1]
    if part[0] == '"' and len(part) > 1:
        return re.sub(r"\\(.)", r"\1", part[1:-1], flags=re.DOTALL)
    if part[0] == "\\" and len(part) > 1:
        return part[1:]
    return part


def _strip_prefixes(words: list[str]) -> Command:
    """Drop leading ``VAR=value`` assignments (kept as ``env``) and wrappers like sudo."""
    env: dict[str, str] = {}
    index = 0
    while index < len(words):
        word = words[index]
        if _ASSIGNMENT_RE.match(word):
            name, _, value = word.partition("=")
            env[name] = value
        elif (
            word in _WRAPPERS
            or word == "env"
            or (words[index - 1 : index] == ["sudo"] and word.startswith("-"))
        ):
            pass
        else:
            break
        index += 1
    return Command(tuple(words[index:]), env)
