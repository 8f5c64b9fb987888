"""Parse a Dockerfile into stages and instructions without ever raising.

``_logical_lines`` does the line handling (continuations, comments inside them, the escape
directive) exactly as dockerfile-parse's ``structure`` does (tests/engine/test_dockerfile_lines.py
compares them; dockerfile-parse is a test dependency only: importing it, and the logging it
imports, cost start-up time). Before it runs, BuildKit heredoc bodies are folded out of the text
(their lines blanked so line numbers stay true) and later appended to their instruction's value.
On top of that this module builds stages, substitutes global ARGs into FROM and answers the
questions that follow a stage's FROM chain (user, healthcheck, effective command).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from .devfiles import is_development_path
from .discover import MAX_FILE_BYTES

DEFAULT_SHELL = ["/bin/sh", "-c"]
# Real Dockerfiles have a handful of stages; a cap keeps stage-chain questions cheap on hostile input.
MAX_STAGES = 200
KNOWN_DIRECTIVES = {"syntax", "escape", "check"}


_DIRECTIVE_RE = re.compile(r"^\s*#\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(.*?)\s*$")
_INSTRUCTION_RE = re.compile(r"^\s*([A-Za-z]+)(\s|$)")
_COMMENT_RE = re.compile(r"^\s*#")
# `<<EOF`, `<<-EOF`, `<<"EOF"`, `<<'EOF'`; not the here-string `<<<`.
_HEREDOC_RE = re.compile(r"(?<!<)<<(?!<)(-?)([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")
_HEREDOC_COMMANDS = {"RUN", "COPY", "ADD"}
_FLAG_RE = re.compile(r"--([A-Za-z][A-Za-z0-9-]*)(?:=(\S*))?(?:\s+|$)")
_VARIABLE_RE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


@dataclass(frozen=True)
class Instruction:
    """One instruction. ``value`` is its text after the leading ``--flags``, continuation lines
    joined, with heredoc bodies appended on new lines."""

    cmd: str
    value: str
    line: int
    end_line: int
    flags: tuple[tuple[str, str], ...] = ()
    heredocs: tuple[str, ...] = ()

    def flag(self, name: str) -> str | None:
        """The last value of ``--name`` (``""`` for a bare flag), or None when absent."""
        values = self.flag_values(name)
        return values[-1] if values else None

    def flag_values(self, name: str) -> list[str]:
        return [value for key, value in self.flags if key == name]

    @property
    def json_args(self) -> list[str] | None:
        """The exec-form argument list, or None for shell form (Docker falls back to shell form
        when the text is not a JSON array of strings)."""
        text = self.value.strip()
        if not text.startswith("["):
            return None
        try:
            parsed = json.loads(text)
        except ValueError:
            return None
        if isinstance(parsed, list) and all(isinstance(item, str) for item in parsed):
            return parsed
        return None

    def has_cache_mount(self, target_prefix: str = "") -> bool:
        """A ``--mount=type=cache`` (optionally with a target under ``target_prefix``)."""
        for mount in self.flag_values("mount"):
            options = _mount_options(mount)
            if options.get("type") != "cache":
                continue
            target = options.get("target") or options.get("dst") or options.get("destination") or ""
            if target.rstrip("/").startswith(target_prefix.rstrip("/")):
                return True
        return False


def _mount_options(mount: str) -> dict[str, str]:
    options = {}
    for part in mount.split(","):
        key, _, value = part.partition("=")
        options[key.strip().lower()] = value.strip().strip("\"'")
    return options


@dataclass
class Stage:
    index: int
    name: str | None  # lower-case: stage names are case-insensitive
    line: int
    base: str  # the FROM image after global ARG substitution
    from_instruction: Instruction
    # ARGs the FROM names that have no default, so the real base is known only at build time.
    unresolved_args: tuple[str, ...] = ()
    parent: Stage | None = None  # set when the stage is built FROM an earlier stage
    instructions: list[Instruction] = field(default_factory=list)

    def __repr__(self) -> str:  # the parent chain makes the default repr noisy
        return f"Stage({self.index}, {self.name!r}, base={self.base!r})"

    def chain(self) -> list[Stage]:
        """This stage and the stages it is built FROM, nearest first."""
        stages, stage = [], self
        while stage is not None:
            stages.append(stage)
            stage = stage.parent
        return stages

    @property
    def root(self) -> Stage:
        return self.chain()[-1]

    @property
    def is_external(self) -> bool:
        """Its FROM names an image (not an earlier stage, not scratch)."""
        return self.parent is None and self.base.lower() != "scratch"

    def label(self) -> str:
        return f"'{self.name}'" if self.name else f"#{self.index}"


@dataclass
class Dockerfile:
    path: str
    error: str | None = None
    stages: list[Stage] = field(default_factory=list)
    directives: dict[str, str] = field(default_factory=dict)
    # ARGs declared before the first FROM: name -> default (None when declared without one).
    global_args: dict[str, str | None] = field(default_factory=dict)
    preamble: list[Instruction] = field(default_factory=list)  # instructions before the first FROM
    is_dev: bool = False  # set by linking
    built_by: list = field(default_factory=list)  # [(ComposeFile, ComposeService)], set by linking

    def __repr__(self) -> str:
        return f"Dockerfile({self.path!r}, error={self.error!r}, stages={len(self.stages)})"

    def stage(self, target: str | None = None) -> Stage | None:
        """The final stage, or the stage named ``target`` (None when there is no such stage)."""
        if not self.stages:
            return None
        if target is None:
            return self.stages[-1]
        return self.stage_by_ref(target, before=len(self.stages))

    def stage_by_ref(self, ref: str, *, before: int) -> Stage | None:
        """The stage a FROM or ``--from`` names (name or index), among stages before ``before``."""
        ref = ref.strip().lower()
        if ref.isdigit():
            index = int(ref)
        else:
            named = next((stage for stage in self.stages if stage.name == ref), None)
            index = named.index if named else -1
        return self.stages[index] if 0 <= index < min(before, len(self.stages)) else None

    def instructions(self) -> list[Instruction]:
        """Every instruction of the file in order, FROM lines included."""
        result = list(self.preamble)
        for stage in self.stages:
            result.append(stage.from_instruction)
            result.extend(stage.instructions)
        return result

    def copied_from(self, stage: Stage) -> list[Stage]:
        """The earlier stages a stage reads with ``COPY --from``."""
        sources = []
        for instruction in stage.instructions:
            ref = instruction.flag("from") if instruction.cmd == "COPY" else None
            source = self.stage_by_ref(ref, before=stage.index) if ref else None
            if source is not None and source not in sources:
                sources.append(source)
        return sources

    def ancestry(self, target: str | None = None) -> list[Stage]:
        """The final (or target) stage, its FROM chain and the stages they ``COPY --from``,
        recursively; in file order."""
        start = self.stage(target)
        if start is None:
            return []
        seen: dict[int, Stage] = {}
        pending = [start]
        while pending:
            stage = pending.pop()
            for member in stage.chain():
                if member.index in seen:
                    continue
                seen[member.index] = member
                pending.extend(self.copied_from(member))
        return [seen[index] for index in sorted(seen)]

    def chain_instructions(self, target: str | None = None) -> list[Instruction]:
        """The instructions that build the final (or target) stage through its FROM chain,
        oldest first."""
        start = self.stage(target)
        if start is None:
            return []
        return [i for stage in reversed(start.chain()) for i in stage.instructions]

    def healthcheck_instruction(self, target: str | None = None) -> Instruction | None:
        """The HEALTHCHECK that applies to the stage (None when there is none or it is NONE)."""
        last = None
        for instruction in self.chain_instructions(target):
            if instruction.cmd == "HEALTHCHECK":
                last = instruction
        if last is None or last.value.strip().upper() == "NONE":
            return None
        return last

    def has_healthcheck(self, target: str | None = None) -> bool:
        return self.healthcheck_instruction(target) is not None

    def user_instruction(self, target: str | None = None) -> Instruction | None:
        """The last USER through the FROM chain, or None."""
        last = None
        for instruction in self.chain_instructions(target):
            if instruction.cmd == "USER":
                last = instruction
        return last

    def effective_command(self, target: str | None = None) -> list[str] | None:
        """ENTRYPOINT + CMD of the stage through its FROM chain, as Docker would run it (shell
        form becomes ``SHELL + [text]``). None when the Dockerfile sets neither, so the
        command comes from the base image and is unknown here."""
        entrypoint, cmd = self.entrypoint_and_cmd(target)
        if entrypoint is None and cmd is None:
            return None
        return (entrypoint or []) + (cmd or [])

    def entrypoint_and_cmd(self, target: str | None = None) -> tuple[list[str] | None, list[str] | None]:
        """The ENTRYPOINT and CMD the stage ends up with (None where the Dockerfile sets none)."""
        start = self.stage(target)
        if start is None:
            return None, None
        shell, entrypoint, cmd = list(DEFAULT_SHELL), None, None
        for stage in reversed(start.chain()):
            cmd_set_in_stage = False
            for instruction in stage.instructions:
                if instruction.cmd == "SHELL":
                    shell = instruction.json_args or shell
                elif instruction.cmd == "ENTRYPOINT":
                    entrypoint = _command_args(instruction, shell)
                    # Docker resets an inherited CMD when ENTRYPOINT is set.
                    if not cmd_set_in_stage:
                        cmd = None
                elif instruction.cmd == "CMD":
                    cmd, cmd_set_in_stage = _command_args(instruction, shell), True
        return entrypoint, cmd

    def command_instruction(self, target: str | None = None) -> Instruction | None:
        """The last CMD or ENTRYPOINT through the FROM chain (where the command is set)."""
        last = None
        for instruction in self.chain_instructions(target):
            if instruction.cmd in ("CMD", "ENTRYPOINT"):
                last = instruction
        return last


def _command_args(instruction: Instruction, shell: list[str]) -> list[str]:
    args = instruction.json_args
    if args is not None:
        return args
    text = instruction.value.strip()
    return [*shell, text] if text else []


def is_dev_dockerfile_path(rel: str) -> bool:
    """Name or folder marks it dev/test (Dockerfile.dev, dev.Dockerfile, test/Dockerfile, ci/...)."""
    return is_development_path(rel)


def parse_dockerfile(path: str, raw: bytes | None) -> Dockerfile:
    """Parse ``raw``; problems become ``Dockerfile.error`` instead of exceptions."""
    dockerfile = Dockerfile(path=path)
    text, error = _decode(raw) if raw is not None else ("", "could not be read")
    if error:
        dockerfile.error = error
        return dockerfile
    try:
        _parse_into(dockerfile, text)
    except _TooManyStages:
        dockerfile.stages = []
        dockerfile.error = f"has more than {MAX_STAGES} stages"
    except Exception as exc:  # the parser must never sink a scan
        dockerfile.stages = []
        dockerfile.error = f"could not be parsed: {type(exc).__name__}"
    return dockerfile


class _TooManyStages(Exception):
    pass


def _decode(raw: bytes) -> tuple[str, str | None]:
    if len(raw) > MAX_FILE_BYTES:
        return "", f"larger than {MAX_FILE_BYTES // 1024} KiB"
    if b"\0" in raw:
        return "", "contains NUL bytes (not a text file)"
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return "", "not valid UTF-8"
    return text.replace("\r\n", "\n"), None


def _parse_into(dockerfile: Dockerfile, text: str) -> None:
    lines = text.splitlines(keepends=True)
    dockerfile.directives = _directives(lines)
    escape = dockerfile.directives.get("escape", "\\")
    if escape not in ("\\", "`"):
        escape = "\\"
    prepared, heredocs = _fold_heredocs(lines, escape)
    for item in _logical_lines("".join(prepared)):
        instruction = _instruction(item, heredocs.get(item["startline"], ()))
        _add_instruction(dockerfile, instruction)
    if not dockerfile.stages:
        dockerfile.error = "has no FROM instruction"


_LOGICAL_INSTRUCTION_RE = re.compile(r"^\s*(\S+)\s+(.*)$")
_ESCAPE_DIRECTIVE_RE = re.compile(r"^\s*#\s*escape\s*=\s*(\\|`)\s*$", re.I)
_SYNTAX_DIRECTIVE_RE = re.compile(r"^\s*#\s*syntax\s*=\s*(.*)\s*$", re.I)


def _logical_lines(text: str) -> list[dict]:
    """The instructions of ``text`` (comments left out) as dockerfile-parse's ``structure`` gives
    them: ``instruction`` (upper case), ``value`` (continuations joined), 0-based ``startline`` and
    ``endline``. Its quirks are kept on purpose: lines split on "\\n" only, an instruction word
    without arguments on the last line is dropped, and comment lines inside a continuation are
    skipped without ending it."""
    instructions: list[dict] = []
    escape = "\\"
    continues = re.compile(r"^.*\\\s*$")
    directive_possible = True
    in_continuation = False
    current: dict = {}
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for lineno, line in enumerate(lines):
        if lineno < len(lines) - 1 or text.endswith("\n"):
            line += "\n"
        if directive_possible:
            match = _ESCAPE_DIRECTIVE_RE.match(line)
            if match:
                escape = match.group(1)
                continues = re.compile(r"^.*" + re.escape(escape) + r"\s*$")
            elif not _SYNTAX_DIRECTIVE_RE.match(line):
                directive_possible = False
        if _COMMENT_RE.match(line):
            continue
        if not in_continuation:
            match = _LOGICAL_INSTRUCTION_RE.match(line)
            if not match:
                continue
            current = {
                "instruction": match.group(1).upper(),
                "startline": lineno,
                "endline": lineno,
                "value": _rstrip_continuation(match.group(2), escape),
            }
        else:
            current["endline"] = lineno
            if current["value"]:
                current["value"] += _rstrip_continuation(line, escape)
            else:
                current["value"] = _rstrip_continuation(line.lstrip(), escape)
        in_continuation = bool(continues.match(line))
        if not in_continuation and current:
            instructions.append(current)
    return instructions


def _rstrip_continuation(text: str, escape: str) -> str:
    text = text.rstrip()
    return text[:-1] if text.endswith(escape) else text


def _directives(lines: list[str]) -> dict[str, str]:
    """Parser directives (``# syntax=``, ``# escape=``): only at the very top of the file."""
    directives: dict[str, str] = {}
    for line in lines:
        match = _DIRECTIVE_RE.match(line)
        key = match.group(1).lower() if match else None
        if key not in KNOWN_DIRECTIVES or key in directives:
            break
        directives[key] = match.group(2)
    return directives


def _fold_heredocs(lines: list[str], escape: str) -> tuple[list[str], dict[int, tuple[str, ...]]]:
    """Blank out heredoc bodies, returning them by the 0-based start line of their instruction.

    Also turns blank lines inside a continuation into comments: Docker skips them, while
    dockerfile-parse would end the instruction there. A trailing blank line ends a
    continuation left open at the end of the file.
    """
    prepared = list(lines)
    heredocs: dict[int, tuple[str, ...]] = {}
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.strip() or _COMMENT_RE.match(line):
            index += 1
            continue
        start = index
        logical = [line]
        while _continues(logical[-1], escape) and index + 1 < len(lines):
            index += 1
            line = lines[index]
            if not line.strip():
                prepared[index] = "#\n"
            elif not _COMMENT_RE.match(line):
                logical.append(line)
        match = _INSTRUCTION_RE.match(logical[0])
        if match and match.group(1).upper() in _HEREDOC_COMMANDS:
            bodies = []
            for marker in _heredoc_markers(" ".join(logical)):
                strip_tabs, name = marker.group(1) == "-", marker.group(3)
                body = []
                while index + 1 < len(lines):
                    index += 1
                    body_line = lines[index]
                    prepared[index] = "\n"
                    candidate = body_line.rstrip("\n")
                    if (candidate.lstrip("\t") if strip_tabs else candidate) == name:
                        break
                    body.append(body_line.lstrip("\t") if strip_tabs else body_line)
                bodies.append("".join(body))
            if bodies:
                heredocs[start] = tuple(bodies)
        index += 1
    prepared.append("\n")
    return prepared, heredocs


def _heredoc_markers(text: str) -> list[re.Match]:
    """Heredoc markers outside quotes (``echo "<<EOF"`` starts no heredoc)."""
    markers, quote, index = [], None, 0
    while index < len(text):
        char = text[index]
        if quote:
            quote = None if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == "<":
            match = _HEREDOC_RE.match(text, index)
            if match:
                markers.append(match)
                index = match.end()
                continue
        index += 1
    return markers


def _continues(line: str, escape: str) -> bool:
    return line.rstrip().endswith(escape)


def _instruction(item: dict, heredocs: tuple[str, ...]) -> Instruction:
    value = item["value"] or ""
    flags = []
    while True:
        match = _FLAG_RE.match(value)
        if not match:
            break
        flags.append((match.group(1).lower(), match.group(2) or ""))
        value = value[match.end() :]
    value = value.strip()
    for body in heredocs:
        value += "\n" + body
    return Instruction(
        cmd=item["instruction"],
        value=value,
        line=item["startline"] + 1,
        end_line=item["endline"] + 1,
        flags=tuple(flags),
        heredocs=heredocs,
    )


def _add_instruction(dockerfile: Dockerfile, instruction: Instruction) -> None:
    if instruction.cmd == "FROM":
        if len(dockerfile.stages) >= MAX_STAGES:
            raise _TooManyStages
        dockerfile.stages.append(_stage(dockerfile, instruction))
    elif dockerfile.stages:
        dockerfile.stages[-1].instructions.append(instruction)
    else:
        dockerfile.preamble.append(instruction)
        if instruction.cmd == "ARG":
            dockerfile.global_args.update(parse_arg_values(instruction.value))


def _stage(dockerfile: Dockerfile, instruction: Instruction) -> Stage:
    words = instruction.value.split()
    image = words[0] if words else ""
    name = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else None
    base, unresolved = substitute_args(image, dockerfile.global_args)
    index = len(dockerfile.stages)
    parent = dockerfile.stage_by_ref(base, before=index) if base and not base.isdigit() else None
    return Stage(
        index=index,
        name=name,
        line=instruction.line,
        base=base,
        from_instruction=instruction,
        unresolved_args=unresolved,
        parent=parent,
    )


def parse_arg_values(value: str) -> dict[str, str | None]:
    """``ARG A=1 B C="x y"`` -> {"A": "1", "B": None, "C": "x y"}."""
    result: dict[str, str | None] = {}
    for word in split_words(value):
        name, equals, default = word.partition("=")
        if name:
            result[name] = default if equals else None
    return result


def parse_env_values(value: str) -> list[tuple[str, str]]:
    """``ENV A=1 B="x y"`` or the legacy ``ENV A x y`` -> [(name, value), ...]."""
    words = split_words(value)
    if not words:
        return []
    if "=" not in words[0]:
        name, _, rest = value.strip().partition(" ")
        return [(name, _unquote(rest.strip()))]
    return [(name, default) for name, _, default in (word.partition("=") for word in words)]


def split_words(value: str) -> list[str]:
    """Split on unquoted whitespace, removing the quotes (enough for ARG, ENV and LABEL)."""
    words, current, quote, in_word = [], [], None, False
    index = 0
    while index < len(value):
        char = value[index]
        if quote:
            if char == quote:
                quote = None
            elif char == "\\" and quote == '"' and index + 1 < len(value):
                index += 1
                current.append(value[index])
            else:
                current.append(char)
        elif char in "\"'":
            quote, in_word = char, True
        elif char.isspace():
            if in_word:
                words.append("".join(current))
                current, in_word = [], False
        else:
            current.append(char)
            in_word = True
        index += 1
    if in_word:
        words.append("".join(current))
    return words


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def substitute_args(text: str, args: dict[str, str | None]) -> tuple[str, tuple[str, ...]]:
    """Expand ``$V``, ``${V}``, ``${V:-x}``, ``${V-x}``, ``${V:+x}``, ``${V+x}`` with ARG
    defaults. Returns the text and the names that had no value (expanded to empty, as Docker does).
    """
    unresolved: list[str] = []

    def replace(match: re.Match) -> str:
        name = match.group(1) or match.group(4)
        operator, word = match.group(2), match.group(3) or ""
        value = args.get(name)
        is_set = value is not None
        if operator == ":-":
            return value if value else word
        if operator == "-":
            return value if is_set else word
        if operator == ":+":
            return word if value else ""
        if operator == "+":
            return word if is_set else ""
        if not is_set:
            unresolved.append(name)
        return value or ""

    return _VARIABLE_RE.sub(replace, text), tuple(unresolved)


@dataclass(frozen=True)
class ImageRef:
    """A parsed image reference: ``registry/path/name:tag@digest``."""

    repository: str  # everything before the tag, lower-case
    tag: str | None
    digest: str | None


def parse_image_ref(reference: str) -> ImageRef:
    reference = reference.strip()
    digest = None
    if "@" in reference:
        reference, digest = reference.split("@", 1)
    repository, tag = reference, None
    last = reference.rsplit("/", 1)[-1]
    if ":" in last:  # a colon before the last slash is a registry port
        tag = last.rsplit(":", 1)[1]
        repository = reference[: len(reference) - len(tag) - 1]
    return ImageRef(repository=repository.lower(), tag=tag, digest=digest)
