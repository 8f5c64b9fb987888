"""Fixes for the ``dockerfile.*`` checks, written into the Dockerfile that failed.

Each builder finds the failing instruction by the evidence's line, reads the Dockerfile's own
context (its base image, what it installs, the port it serves) and returns line edits. A finding
whose fix would need knowledge the file does not give (which version to pin, which user the base
image has) gets a fix without edits that says so.
"""

from __future__ import annotations

import ast
import json
import posixpath
import re
import shlex

from ..checks import _commands
from ..checks._shell import commands, commands_of_argv
from ..dockerfile import Dockerfile, Instruction, Stage
from ..model import CheckResult
from . import dockerfile_text as dt
from .files import TextFile
from .healthchecks import datastore_probe, http_probe, port_from_command, port_from_spec
from .images import ALPINE, DEBIAN, DISTROLESS, RHEL, SCRATCH, UBUNTU, image_facts
from .model import Fix
from .registry import FixContext, evidence_by_file, fixer

HEALTHCHECK_OPTIONS = "--interval=30s --timeout=5s --start-period=20s --retries=3"
USER_NAME = "app"
_SHELL_FEATURES_RE = re.compile(r"&&|\|\||[|;<>`&]|\$\(|[*?~]|\n")


def _files(result: CheckResult, context: FixContext):
    """(Dockerfile, its text, its evidence) for each production Dockerfile the result names."""
    for rel, evidence in evidence_by_file(result).items():
        dockerfile = context.project.dockerfile(rel)
        if dockerfile is None or dockerfile.error or dockerfile.is_dev:
            continue
        text = context.files.text(rel)
        if text is not None:
            yield dockerfile, text, evidence


def _each_instruction(
    result: CheckResult, context: FixContext, commands: tuple[str, ...], build
) -> list[Fix]:
    """``build(dockerfile, text, instruction, evidence)`` for each instruction (of ``commands``)
    that the result's evidence points at, once per line."""
    fixes = []
    for dockerfile, text, evidence in _files(result, context):
        seen = set()
        for item in evidence:
            instruction = _instruction_at(dockerfile, item.line)
            if instruction is not None and instruction.cmd in commands and item.line not in seen:
                seen.add(item.line)
                fixes.append(build(dockerfile, text, instruction, item))
    return fixes


def _instruction_at(dockerfile: Dockerfile, line: int | None) -> Instruction | None:
    return next((i for i in dockerfile.instructions() if i.line == line), None)


def _final(stage: Stage) -> str:
    """How a summary names a final stage: "the final stage", or "the final stage 'runtime'"."""
    return f"the final stage '{stage.name}'" if stage.name else "the final stage"


def _keyword(text: TextFile, instruction: Instruction) -> str:
    """The instruction word as the file writes it (``CMD`` or ``cmd``)."""
    return text.line(instruction.line).split(None, 1)[0]


# --- dockerfile.non_root_user ----------------------------------------------------------------


@fixer(
    "dockerfile.non_root_user",
    (
        "adds `RUN addgroup -S app && adduser -S -G app -H app` (Alpine) or `RUN groupadd --system "
        "app && useradd --system ...` (Debian, Ubuntu, RHEL) and `USER app` before the final stage's "
        "run-time instructions; `USER nonroot` on distroless, `USER 65534:65534` on scratch; switches"
        " back to a user the stage chain already set. None for a base whose user tools are not known,"
        " nor for the official nginx, httpd and php-apache images, which must start as root (the fix"
        " text points to nginxinc/nginx-unprivileged)."
    ),
)
def non_root_user(result: CheckResult, context: FixContext) -> list[Fix]:
    fixes = []
    for dockerfile, text, _ in _files(result, context):
        for target, stage, _ in dt.production_targets(dockerfile):
            user = dockerfile.user_instruction(target)
            if user is not None and user.value.split(":", 1)[0].strip().lower() not in ("root", "0"):
                continue
            if user is None and image_facts(stage.root.base).family is None and _unprivileged(stage):
                continue
            fixes.append(_non_root_fix(dockerfile, text, target, stage))
    return fixes


def _unprivileged(stage: Stage) -> bool:
    base = stage.root.base.lower()
    return "-unprivileged" in base or "nonroot" in base or base.startswith("cgr.dev/chainguard/")


def _non_root_fix(dockerfile: Dockerfile, text: TextFile, target: str | None, stage: Stage) -> Fix:
    check = "dockerfile.non_root_user"
    where = dt.runtime_insertion_line(dockerfile, text, stage)
    existing = _existing_user(dockerfile, target)
    if existing:
        return Fix(
            check,
            f"switch {_final(stage)} back to user {existing} before it starts",
            [text.insert_before(where, f"USER {existing}\n")],
        )
    facts = image_facts(stage.root.base)
    root_server = _starts_as_root(facts)
    if root_server:
        return Fix(check, f"no automatic fix: {root_server}")
    shadow = (
        f"RUN groupadd --system {USER_NAME}"
        f" && useradd --system --gid {USER_NAME} --no-create-home {USER_NAME}"
    )
    create = {
        ALPINE: f"RUN addgroup -S {USER_NAME} && adduser -S -G {USER_NAME} -H {USER_NAME}",
        DEBIAN: shadow,
        UBUNTU: shadow,
    }
    if facts.family == RHEL and "minimal" not in facts.name:
        create[RHEL] = shadow
    note = f"files the process writes must belong to {USER_NAME} (COPY --chown={USER_NAME}:{USER_NAME} ...)"
    if facts.family in create:
        lines = f"{create[facts.family]}\nUSER {USER_NAME}\n"
        summary = f"create a system user {USER_NAME} and run {_final(stage)} as it"
        return Fix(check, summary, [text.insert_before(where, lines)], note=note)
    if facts.family == DISTROLESS and facts.reference.lower().startswith("gcr.io/distroless/"):
        return Fix(
            check, "run as distroless's built-in nonroot user", [text.insert_before(where, "USER nonroot\n")]
        )
    if facts.family == SCRATCH:
        summary = "run as the unprivileged uid 65534 (scratch has no user database)"
        return Fix(check, summary, [text.insert_before(where, "USER 65534:65534\n")], note=note)
    base = stage.root.base or "an unknown image"
    return Fix(check, f"no automatic fix: how to add a user to {base} is not known; add one and a USER line")


# Official server images whose process starts as root to bind port 80 and write its own run-time
# folders, then drops to a worker user: a new user and USER line make them fail at start.
_ROOT_SERVERS = {
    "nginx": "nginx starts as root to bind port 80 and write /var/cache/nginx and its pid file; "
    "base the stage on nginxinc/nginx-unprivileged (it listens on 8080) instead",
    "httpd": "Apache httpd starts as root to bind port 80, then serves as www-data; listen on a port "
    "above 1024 and make its logs and pid writable before adding a USER",
}


def _starts_as_root(facts) -> str | None:
    """Why adding a user breaks this image, when it is a server that must start as root."""
    from ..compose_roles import image_repository

    repository = image_repository(facts.reference).lower()
    official = "/" not in repository.removeprefix("docker.io/").removeprefix("library/")
    if facts.name in _ROOT_SERVERS and official:
        return _ROOT_SERVERS[facts.name]
    if facts.name == "php" and "apache" in (facts.tag or "").lower():
        return _ROOT_SERVERS["httpd"]
    return None


def _existing_user(dockerfile: Dockerfile, target: str | None) -> str | None:
    """A non-root user the chain already set (USER app before a later USER root) or created."""
    names = []
    for instruction in dockerfile.chain_instructions(target):
        if instruction.cmd == "USER":
            name = instruction.value.strip()
            if name.split(":", 1)[0].lower() not in ("root", "0", ""):
                names.append(name)
        elif instruction.cmd == "RUN":
            for command in commands(instruction.value):
                if command.program in ("useradd", "adduser"):
                    created = [w for w in command.words[1:] if not w.startswith("-")]
                    if created and not _follows_option(command.words, created[-1]):
                        names.append(created[-1])
    return names[-1] if names else None


def _follows_option(words: tuple[str, ...], word: str) -> bool:
    """``word`` is the value of an option (``-G app``), not the user name."""
    index = len(words) - 1 - words[::-1].index(word)
    return index > 0 and words[index - 1].startswith("-") and "=" not in words[index - 1]


# --- dockerfile.healthcheck ------------------------------------------------------------------


@fixer(
    "dockerfile.healthcheck",
    (
        "adds a `HEALTHCHECK` that fits the final stage's image: `pg_isready`, `redis-cli ping`, "
        "`mysqladmin ping`... for datastore images, else a request to the port it serves (`EXPOSE`, "
        "`--bind`, `--port`, compose `ports:`) with curl (`-f`) where the image or the Dockerfile has"
        " it, busybox wget on Alpine, python or node otherwise; removes a `HEALTHCHECK NONE` that "
        "hides a base stage's healthcheck. None for distroless or scratch images (no shell, no HTTP "
        "client) or when the port is unknown."
    ),
)
def healthcheck(result: CheckResult, context: FixContext) -> list[Fix]:
    fixes = []
    for dockerfile, text, _ in _files(result, context):
        for target, stage, services in dt.production_targets(dockerfile):
            if dockerfile.has_healthcheck(target):
                continue
            if services and all(_service_has_healthcheck(s) for _, s in services):
                continue
            fixes.append(_healthcheck_fix(dockerfile, text, target, stage, services))
    return fixes


def _service_has_healthcheck(service) -> bool:
    from ..compose_roles import has_own_healthcheck

    return has_own_healthcheck(service)


def _healthcheck_fix(dockerfile: Dockerfile, text: TextFile, target, stage: Stage, services) -> Fix:
    check = "dockerfile.healthcheck"
    chain = [i for i in dockerfile.chain_instructions(target) if i.cmd == "HEALTHCHECK"]
    disabled = chain[-1] if chain else None
    if disabled is not None and any(i.value.strip().upper() != "NONE" for i in chain[:-1]):
        start, end = dt.span(dockerfile, text, disabled)
        summary = "remove HEALTHCHECK NONE so the healthcheck of the base stage applies"
        return Fix(check, summary, [text.replace(start, end, "")])
    facts = dt.stage_facts(stage)
    probe = datastore_probe(facts, "dockerfile")
    if probe is None:
        port = _port(dockerfile, target, stage, services)
        if facts.family in (DISTROLESS, SCRATCH):
            return Fix(
                check,
                f"no automatic fix: {stage.root.base} has no shell or HTTP client to run a healthcheck; "
                "build a small probe binary into the image, or define the healthcheck where it runs",
            )
        if port is None:
            return Fix(check, "no automatic fix: the port the image serves is not known (no EXPOSE)")
        probe = http_probe(facts, port)
        if probe is None:
            base = stage.root.base or "the base image"
            return Fix(
                check,
                f"no automatic fix: {base} has no curl, wget, python or node to probe port {port}; "
                "install one, or define the healthcheck in compose",
            )
    line = f"HEALTHCHECK {HEALTHCHECK_OPTIONS} \\\n  CMD {probe.dockerfile_command()}\n"
    summary = f"add a HEALTHCHECK to {_final(stage)}"
    if disabled is not None:
        start, end = dt.span(dockerfile, text, disabled)
        return Fix(check, summary, [text.replace(start, end, line)], note=probe.note)
    where = dt.runtime_insertion_line(dockerfile, text, stage)
    return Fix(check, summary, [text.insert_before(where, line)], note=probe.note)


def _port(dockerfile: Dockerfile, target, stage: Stage, services) -> int | None:
    """The port the final stage serves: EXPOSE, its command's --bind/--port, compose ports."""
    for instruction in reversed(dockerfile.chain_instructions(target)):
        if instruction.cmd == "EXPOSE":
            for word in instruction.value.split():
                port = port_from_spec(word)
                if port:
                    return port
    command = dockerfile.effective_command(target) or []
    for simple in commands_of_argv(command):
        port = port_from_command(list(simple.words))
        if port:
            return port
    from .. import compose_syntax

    for _, service in services:
        for spec in compose_syntax.ports(service.data.get("ports")):
            port = port_from_spec(spec.target) if spec.target else None
            if port:
                return port
    return None


# --- dockerfile.apt_hygiene ------------------------------------------------------------------

_APT_INSTALL_RE = re.compile(r"\b(apt-get|apt)((?:\s+-\S+)*)\s+install\b")
_SEPARATOR_RE = re.compile(r"&&|\|\||[;|]")


@fixer(
    "dockerfile.apt_hygiene",
    (
        "adds `--no-install-recommends` to each `apt-get install` and `&& rm -rf "
        "/var/lib/apt/lists/*` at the end of the `RUN` (a line before the terminator of a heredoc)."
    ),
)
def apt_hygiene(result: CheckResult, context: FixContext) -> list[Fix]:
    return _each_instruction(
        result, context, ("RUN",), lambda df, text, run, item: _apt_fix(df, text, run, item.message)
    )


def _apt_fix(dockerfile: Dockerfile, text: TextFile, instruction: Instruction, message: str) -> Fix:
    check = "dockerfile.apt_hygiene"
    if instruction.json_args is not None:
        return Fix(check, "no automatic fix: exec-form RUN; rewrite it in shell form")
    start, end = dt.span(dockerfile, text, instruction)
    lines = [text.lines[n - 1] for n in range(start, end + 1)]
    done = []
    if "--no-install-recommends" in message:
        lines = [_add_option_after(line, _APT_INSTALL_RE, "--no-install-recommends") for line in lines]
        done.append("--no-install-recommends")
    if "rm -rf /var/lib/apt/lists" in message:
        cleaned = _append_command(lines, instruction, "rm -rf /var/lib/apt/lists/*")
        if cleaned is None:
            return Fix(check, "no automatic fix: the RUN ends in a way a command cannot follow")
        lines = cleaned
        done.append("removes /var/lib/apt/lists")
    return Fix(check, "apt install " + " and ".join(done), [text.replace(start, end, "".join(lines))])


def _add_option_after(line: str, pattern: re.Pattern, option: str) -> str:
    """Insert `` option`` after each match whose command (up to the next && ; |) lacks it."""
    out, position = [], 0
    for match in pattern.finditer(line):
        rest = _SEPARATOR_RE.split(line[match.end() :], maxsplit=1)[0]
        if option in rest or option in match.group(0):
            continue
        out.append(line[position : match.end()] + " " + option)
        position = match.end()
    out.append(line[position:])
    return "".join(out)


def _append_command(lines: list[str], instruction: Instruction, command: str) -> list[str] | None:
    """The RUN's lines with ``&& command`` at its end (a new body line for a heredoc)."""
    lines = list(lines)
    if instruction.heredocs:
        # The terminator is the last line of the span; the new command goes before it.
        terminator = lines[-1]
        return [*lines[:-1], command + "\n", terminator]
    last = lines[-1].rstrip("\r\n")
    eol = lines[-1][len(last) :] or "\n"
    code = last.rstrip()
    if not code or code.endswith(("\\", "&", "|")) or dt.line_ends_in_comment(code):
        return None
    code = code.rstrip(";").rstrip()
    indent = _continuation_indent(lines)
    lines[-1] = f"{code} \\{eol}{indent}&& {command}{eol}"
    return lines


def _continuation_indent(lines: list[str]) -> str:
    for line in reversed(lines[1:]):
        stripped = line.lstrip(" \t")
        if stripped.strip() and not stripped.startswith("#"):
            return line[: len(line) - len(stripped)]
    return "    "


# --- dockerfile.pip_no_cache -----------------------------------------------------------------

_PIP_RE = re.compile(
    r"(?<![\w./-])(?<!uv )(pip[0-9.]*|python[0-9.]*\s+-m\s+pip)((?:\s+-\S+)*)\s+(install|wheel)\b"
)


@fixer(
    "dockerfile.pip_no_cache",
    ("adds `--no-cache-dir` to each `pip install` / `pip wheel` of the `RUN` (not to `uv pip`)."),
)
def pip_no_cache(result: CheckResult, context: FixContext) -> list[Fix]:
    return _each_instruction(result, context, ("RUN",), lambda df, text, run, _: _pip_fix(df, text, run))


def _pip_fix(dockerfile: Dockerfile, text: TextFile, run: Instruction) -> Fix:
    if run.json_args is not None:
        return Fix("dockerfile.pip_no_cache", "no automatic fix: exec-form RUN; rewrite it in shell form")
    start, end = dt.span(dockerfile, text, run)
    lines = [_add_option_after(text.lines[n - 1], _PIP_RE, "--no-cache-dir") for n in range(start, end + 1)]
    return Fix(
        "dockerfile.pip_no_cache",
        "pip installs with --no-cache-dir",
        [text.replace(start, end, "".join(lines))],
    )


# --- dockerfile.npm_ci -----------------------------------------------------------------------

_NPM_INSTALL_RE = re.compile(r"(?<![\w./-])npm(\s+)(install|i)(?=\s|$|;|&|\|)")
_YARN_RE = re.compile(r"(?<![\w./-])yarn(?:\s+install)?(?=\s*(?:$|&&|\|\||;|\\))")
_PNPM_INSTALL_RE = re.compile(r"(?<![\w./-])pnpm\s+(?:install|i)\b")


@fixer(
    "dockerfile.npm_ci",
    (
        "`npm install` becomes `npm ci`, `yarn` `yarn install --frozen-lockfile` (`--immutable` with "
        "Yarn Berry's `.yarnrc.yml`), `pnpm install` gains `--frozen-lockfile`, only where the build "
        "context has the lockfile; none for a `RUN` that adds named packages."
    ),
)
def npm_ci(result: CheckResult, context: FixContext) -> list[Fix]:
    def build(dockerfile, text, run, _):
        if run.json_args is not None:
            return Fix("dockerfile.npm_ci", "no automatic fix: exec-form RUN; rewrite it in shell form")
        return _npm_fix(dockerfile, text, run, _lockfiles(context, dockerfile))

    return _each_instruction(result, context, ("RUN",), build)


def _lockfiles(context: FixContext, dockerfile: Dockerfile) -> set[str]:
    """Names of the node lockfiles (and .yarnrc.yml) in the Dockerfile's build contexts."""
    folders = {c.context for c in context.project.build_contexts if c.dockerfile == dockerfile.path}
    folders = folders or {posixpath.dirname(dockerfile.path)}
    names = set()
    for rel in context.project.inventory.all_files:
        if any(not folder or rel.startswith(folder + "/") for folder in folders):
            names.add(posixpath.basename(rel))
    return names & {"package-lock.json", "npm-shrinkwrap.json", "yarn.lock", ".yarnrc.yml", "pnpm-lock.yaml"}


def _npm_fix(dockerfile: Dockerfile, text: TextFile, instruction: Instruction, lockfiles: set[str]) -> Fix:
    check = "dockerfile.npm_ci"
    unlocked = [
        c for c in commands(instruction.value) if (_commands.node_install(c) or (False, True))[1] is False
    ]
    if any(_adds_packages(c) for c in unlocked):
        return Fix(check, "no automatic fix: the RUN adds named packages; add them to package.json instead")
    programs = {c.program for c in unlocked}
    missing = {
        "npm": not lockfiles & {"package-lock.json", "npm-shrinkwrap.json"},
        "yarn": "yarn.lock" not in lockfiles,
        "pnpm": "pnpm-lock.yaml" not in lockfiles,
    }
    lacking = sorted(p for p in programs if missing.get(p, True))
    if lacking:
        return Fix(
            check, f"no automatic fix: no lockfile for {', '.join(lacking)} in the build context; commit one"
        )
    start, end = dt.span(dockerfile, text, instruction)
    yarn_flag = "--immutable" if ".yarnrc.yml" in lockfiles else "--frozen-lockfile"
    lines = []
    for number in range(start, end + 1):
        line = text.lines[number - 1]
        line = _NPM_INSTALL_RE.sub(r"npm\1ci", line)
        line = _YARN_RE.sub(f"yarn install {yarn_flag}", line)
        line = _add_option_after(line, _PNPM_INSTALL_RE, "--frozen-lockfile")
        lines.append(line)
    return Fix(
        check, "install node dependencies from the lockfile", [text.replace(start, end, "".join(lines))]
    )


def _adds_packages(command) -> bool:
    words = command.words
    sub = command.first_argument(1)
    if sub in ("add",):
        return True
    if sub not in ("install", "i"):
        return False
    after = words[words.index(sub) + 1 :]
    return any(not w.startswith("-") for w in after)


# --- dockerfile.exec_form --------------------------------------------------------------------


@fixer(
    "dockerfile.exec_form",
    (
        "rewrites `CMD`/`ENTRYPOINT` as a JSON array (double quotes for a single-quoted one); a "
        'command with `$VARIABLES` becomes `["/bin/sh", "-c", "exec ..."]` so the server is PID 1. '
        "None for commands with `&&`, pipes, redirections or globs."
    ),
)
def exec_form(result: CheckResult, context: FixContext) -> list[Fix]:
    return _each_instruction(
        result,
        context,
        ("CMD", "ENTRYPOINT"),
        lambda df, text, instruction, _: _exec_fix(df, text, instruction),
    )


def _exec_fix(dockerfile: Dockerfile, text: TextFile, instruction: Instruction) -> Fix:
    check = "dockerfile.exec_form"
    value = instruction.value.strip()
    argv = None
    if value.startswith("["):
        try:
            parsed = ast.literal_eval(value)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            parsed = None
        if isinstance(parsed, list) and all(isinstance(item, str) for item in parsed):
            argv = parsed
        summary = f"write {instruction.cmd} as a JSON array (double quotes)"
    else:
        joined = re.sub(r"\\\n\s*", " ", value)
        if not re.search("[\"'\\\\]", joined):
            joined = " ".join(joined.split())  # continuation lines leave runs of spaces
        if _SHELL_FEATURES_RE.search(joined):
            return Fix(
                check,
                f"no automatic fix: {instruction.cmd} uses shell features; move them into a script "
                "that ends with exec, and run the script in exec form",
            )
        try:
            words = shlex.split(joined)
        except ValueError:
            return Fix(check, f"no automatic fix: {instruction.cmd} has unbalanced quotes")
        # Variables need a shell; exec makes the server PID 1 in its place.
        argv = ["/bin/sh", "-c", "exec " + joined] if "$" in joined else words
        summary = f"write {instruction.cmd} in exec form so the process gets SIGTERM"
    if not argv:
        return Fix(check, f"no automatic fix: {instruction.cmd} is not a list of strings")
    start, end = dt.span(dockerfile, text, instruction)
    line = f"{_keyword(text, instruction)} {json.dumps(argv)}\n"
    return Fix(check, summary, [text.replace(start, end, line)])


# --- dockerfile.buildkit_cache (soft) --------------------------------------------------------


@fixer(
    "dockerfile.buildkit_cache",
    ("adds `# syntax=docker/dockerfile:1` as the first line."),
)
def buildkit_cache(result: CheckResult, context: FixContext) -> list[Fix]:
    return [
        Fix(
            "dockerfile.buildkit_cache",
            "declare the Dockerfile syntax, which turns on BuildKit's features",
            [text.insert_before(1, "# syntax=docker/dockerfile:1\n")],
        )
        for dockerfile, text, _ in _files(result, context)
        if "syntax" not in dockerfile.directives
    ]


# --- dockerfile.copy_over_add (soft) ---------------------------------------------------------

_ADD_ONLY_FLAGS = {"checksum", "keep-git-dir", "unpack"}
_ARCHIVES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar.zst")


@fixer(
    "dockerfile.copy_over_add",
    (
        "`ADD` of local files becomes `COPY` (flags kept). None for remote files (their checksum is "
        "not known) or archives."
    ),
)
def copy_over_add(result: CheckResult, context: FixContext) -> list[Fix]:
    return _each_instruction(result, context, ("ADD",), lambda _, text, add, __: _copy_fix(text, add))


def _copy_fix(text: TextFile, instruction: Instruction) -> Fix:
    check = "dockerfile.copy_over_add"
    from ..dockerfile import split_words

    args = instruction.json_args or split_words(instruction.value.split("\n", 1)[0])
    sources = [a for a in args[:-1] if not a.startswith("<<")]
    remote = [s for s in sources if "://" in s or s.startswith("git@")]
    if remote:
        return Fix(
            check,
            "no automatic fix: pin the download with --checksum=sha256:<sum> (the sum is not known here)",
        )
    if (
        any(s.lower().endswith(_ARCHIVES) for s in sources)
        or {k for k, _ in instruction.flags} & _ADD_ONLY_FLAGS
    ):
        return Fix(check, "no automatic fix: this ADD also unpacks an archive; split the two")
    first = text.line(instruction.line)
    keyword = first.split(None, 1)[0]
    replaced = first.replace(keyword, "COPY" if keyword.isupper() else "copy", 1)
    return Fix(
        check, "use COPY for local files", [text.replace(instruction.line, instruction.line, replaced + "\n")]
    )


# --- dockerfile.layer_order ------------------------------------------------------------------

# What each installer reads: the manifests to copy before it runs.
_PIP_REQUIREMENT_FLAGS = ("-r", "--requirement", "-c", "--constraint")


@fixer(
    "dockerfile.layer_order",
    (
        "moves the install `RUN` above `COPY . <dest>` after a `COPY` of just the manifests it reads "
        "(`requirements*.txt`, `package.json` + lockfile, `go.mod` + `go.sum`), when the install "
        "directly follows the copy and the manifests exist."
    ),
)
def layer_order(result: CheckResult, context: FixContext) -> list[Fix]:
    return _each_instruction(
        result, context, ("COPY", "ADD"), lambda df, text, copy, _: _layer_fix(context, df, text, copy)
    )


def _layer_fix(context: FixContext, dockerfile: Dockerfile, text: TextFile, copy: Instruction) -> Fix:
    check = "dockerfile.layer_order"
    stage = next((s for s in dockerfile.stages if copy in s.instructions), None)
    if stage is None:
        return Fix(check, "no automatic fix: the COPY is not in a stage")
    following = stage.instructions[stage.instructions.index(copy) + 1 :]
    install = following[0] if following else None
    if install is None or install.cmd != "RUN" or not _installs(install):
        return Fix(
            check, "no automatic fix: other steps run between the COPY and the install; reorder by hand"
        )
    manifests = _manifests(install)
    if not manifests:
        return Fix(check, "no automatic fix: the install also needs the source (or reads no manifest file)")
    args = copy.json_args or _split(copy.value)
    if len(args) != 2 or args[0] not in (".", "./"):
        return Fix(check, "no automatic fix: the COPY takes more than the build context's root")
    destination = args[-1] if args[-1].endswith("/") else args[-1] + "/"
    contexts = {c.context for c in context.project.build_contexts if c.dockerfile == dockerfile.path}
    folder = min(contexts) if contexts else posixpath.dirname(dockerfile.path)
    inventory = context.project.inventory
    absent = [
        m for m in manifests if posixpath.normpath(posixpath.join(folder, m)) not in inventory.all_files
    ]
    if absent:
        return Fix(check, f"no automatic fix: {', '.join(absent)} not found in the build context")
    flags = " ".join(f"--{key}={value}" if value else f"--{key}" for key, value in copy.flags)
    manifest_copy = (
        f"{_keyword(text, copy)} {flags + ' ' if flags else ''}{' '.join(manifests)} {destination}\n"
    )
    copy_start, copy_end = dt.span(dockerfile, text, copy)
    install_start, install_end = dt.span(dockerfile, text, install)
    between_lines = "".join(text.lines[copy_end : install_start - 1])
    copy_lines = "".join(text.lines[copy_start - 1 : copy_end])
    install_lines = "".join(text.lines[install_start - 1 : install_end])
    if not install_lines.endswith("\n"):
        install_lines += text.eol
    replacement = manifest_copy + install_lines + between_lines + copy_lines
    summary = f"copy {', '.join(manifests)} and install before copying the source"
    return Fix(check, summary, [text.replace(copy_start, install_end, replacement)])


def _split(value: str) -> list[str]:
    from ..dockerfile import split_words

    return split_words(value.split("\n", 1)[0])


def _installs(instruction: Instruction) -> bool:
    return any(_commands.installs_dependencies(c) for c in commands(instruction.value))


def _manifests(install: Instruction) -> list[str]:
    """The manifest files an install RUN reads, or [] when it needs more than manifests."""
    if install.json_args is not None or install.heredocs:
        return []
    manifests: list[str] = []
    for command in commands(install.value):
        words = list(command.words)
        pip = _commands.pip_subcommand(command)
        if pip in ("install", "wheel", "download"):
            rest = words[words.index(pip) + 1 :]
            for index, word in enumerate(rest):
                if word in _PIP_REQUIREMENT_FLAGS and index + 1 < len(rest):
                    manifests.append(rest[index + 1])
                elif word.startswith(("--requirement=", "--constraint=")):
                    manifests.append(word.split("=", 1)[1])
                elif word in (".", "-e", "--editable") or word.startswith(("./", "/")):
                    return []
            continue
        node = _commands.node_install(command)
        if node is not None:
            if _adds_packages(command):
                return []
            locks = {"npm": "package-lock.json", "yarn": "yarn.lock", "pnpm": "pnpm-lock.yaml"}
            manifests += ["package.json", locks.get(command.program, "package-lock.json")]
            continue
        if command.program == "go" and words[1:3] == ["mod", "download"]:
            manifests += ["go.mod", "go.sum"]
            continue
        if not _commands.installs_dependencies(command) and command.program in ("pip", "python", "python3"):
            continue  # pip install --upgrade pip: a tool, needs no manifest
        if _commands.installs_dependencies(command):
            return []
    return list(dict.fromkeys(manifests))
