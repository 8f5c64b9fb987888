"""The ``dockerfile.*`` checks (checks.md, "Dockerfile"): one finding per Dockerfile, merged.

A Dockerfile's "final stage" is its last stage, or each ``target:`` a production compose file
builds. Development Dockerfiles are evaluated the same way but only fill ``dev_evidence``.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable, Iterator
from pathlib import PurePosixPath

from ..dockerfile import Dockerfile, Instruction, Stage, parse_arg_values, parse_env_values, parse_image_ref
from ..dockerfile import split_words as dockerfile_words
from ..model import Evidence
from ..registry import check
from . import _commands
from ._shell import Command, commands, commands_of_argv
from ._util import Findings, judge_files

Evaluate = Callable[[Dockerfile, object], Findings]

MINIMAL_BASE_WORDS = ("slim", "alpine", "distroless", "minimal", "micro", "chainguard", "busybox", "wolfi")
SECRET_NAME_WORDS = (
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "API_KEY",
    "APIKEY",
    "PRIVATE_KEY",
    "ACCESS_KEY",
    "CREDENTIAL",
)
_SECRET_FILE_RE = re.compile(
    r"^(\.env(\..+)?|.*\.pem|.*\.key|.*\.p12|.*\.pfx|id_rsa.*|id_ed25519.*|id_ecdsa.*|credentials(\.json)?)$"
)
_ENV_TEMPLATE_RE = re.compile(r"^\.env\.(example|sample|template|dist)$")
_VARIABLE_ONLY_RE = re.compile(r"^\$(\{[A-Za-z_][A-Za-z0-9_]*([:?+-][^}]*)?\}|[A-Za-z_][A-Za-z0-9_]*)$")
_ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar.zst")
_NO_RECOMMENDS_CONFIG_RE = re.compile(r"APT::Install-Recommends\s*[\"'=\s]*\s*[\"']?(false|0)\b", re.I)
_DEBUG_RUN_RE = re.compile(r"\.run\([^)]{0,500}debug\s*=\s*True")
_FLASK_IMPORT_RE = re.compile(r"^\s*(from\s+flask\s+import|import\s+flask)\b", re.MULTILINE)
_APP_RUN_RE = re.compile(r"^\s*\w*app\w*\.run\(", re.MULTILINE | re.IGNORECASE)
_UVICORN_RELOAD_RE = re.compile(r"uvicorn\.run\([^)]{0,500}reload\s*=\s*True")
# Folders a COPY --from brings that hold installed dependencies.
_DEPENDENCY_DIR_WORDS = (
    "node_modules",
    "site-packages",
    "venv",
    "/install",
    "wheels",
    ".local",
    "vendor",
    ".m2",
)


# --- shared plumbing -------------------------------------------------------------------------


def _judge(project, check_id: str, evaluate: Evaluate, *, soft: bool = False):
    findings = []
    for dockerfile in project.dockerfiles:
        if dockerfile.error:
            findings.append(Findings.unreadable(dockerfile.path, dockerfile.is_dev, dockerfile.error))
        else:
            findings.append(evaluate(dockerfile, project))
    return judge_files(check_id, findings, soft=soft)


def _final_stages(dockerfile: Dockerfile, found: Findings) -> Iterator[tuple[str | None, Stage, list]]:
    """(target, stage, [(compose, service)...]) for each stage that is shipped.

    Production compose files decide the targets of a production Dockerfile; one no production
    compose file builds ships its last stage. A target the file lacks is an error finding.
    """
    builders = [(c, s) for c, s in dockerfile.built_by if dockerfile.is_dev or not c.is_dev]
    by_target: dict[str | None, list] = {}
    for compose, service in builders:
        by_target.setdefault(service.build.target, []).append((compose, service))
    for target, services in (by_target or {None: []}).items():
        stage = dockerfile.stage(target)
        if stage is None:
            compose, service = services[0]
            file, line = service.place_of("build")
            message = f"{service.name} builds target '{target}', which {dockerfile.path} does not define"
            found.error.append(Evidence(file or compose.path, line, message))
            continue
        yield target, stage, services


def _fail(found: Findings, line: int | None, message: str) -> None:
    found.add_fail(Evidence(found.file, line, message))


def _run_commands(instruction: Instruction) -> tuple[Command, ...]:
    args = instruction.json_args
    if args is not None:
        return commands_of_argv(args)
    return commands(instruction.value)


def _runs(stages: list[Stage]) -> Iterator[tuple[Stage, Instruction]]:
    for stage in stages:
        for instruction in stage.instructions:
            if instruction.cmd == "RUN":
                yield stage, instruction


def _copy_sources(instruction: Instruction) -> list[str]:
    """The source arguments of a COPY or ADD (the last argument is the destination)."""
    args = instruction.json_args
    if args is None:
        args = dockerfile_words(instruction.value.split("\n", 1)[0])
    return [arg for arg in args[:-1] if not arg.startswith("<<")]


# --- dockerfile.multi_stage ------------------------------------------------------------------


@check(
    "dockerfile.multi_stage",
    title="Multi-stage build",
    category="build",
    severity="medium",
    sources=("001", "003", "004"),
    remediation="""
Build in one stage and ship only the artefacts from a small final stage:

FROM python:3.12-slim AS build
RUN pip wheel --no-cache-dir --wheel-dir /wheels -r requirements.txt

FROM python:3.12-slim
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*
""",
)
def multi_stage(project):
    """The final stage takes its artefacts from an earlier stage with `COPY --from=`; a final
    stage that is only built `FROM` another stage does not count."""
    return _judge(project, "dockerfile.multi_stage", _multi_stage)


def _multi_stage(dockerfile: Dockerfile, project) -> Findings:
    found = Findings(dockerfile.path, dockerfile.is_dev)
    for _, stage, _ in _final_stages(dockerfile, found):
        if not any(dockerfile.copied_from(member) for member in stage.chain()):
            _fail(found, stage.line, f"final stage {stage.label()} copies nothing from an earlier stage")
    return found


# --- dockerfile.non_root_user ----------------------------------------------------------------


@check(
    "dockerfile.non_root_user",
    title="Runs as a non-root user",
    category="security",
    severity="high",
    sources=("001", "002", "003"),
    refs=("DL3002", "CKV_DOCKER_3", "DS-0002"),
    remediation="""
Create an unprivileged user and switch to it at the end of the final stage:

RUN groupadd --system app && useradd --system --gid app --no-create-home app
USER app
""",
)
def non_root_user(project):
    """The final stage's last `USER` (through its `FROM` chain) is not root or 0, or there is none
    and the base image is known to run unprivileged (`-unprivileged`, a `nonroot` tag, Chainguard)."""
    return _judge(project, "dockerfile.non_root_user", _non_root_user)


def _non_root_user(dockerfile: Dockerfile, project) -> Findings:
    found = Findings(dockerfile.path, dockerfile.is_dev)
    for target, stage, _ in _final_stages(dockerfile, found):
        user = dockerfile.user_instruction(target)
        if user is not None:
            name = user.value.split(":", 1)[0].strip().lower()
            if name in ("root", "0"):
                _fail(found, user.line, f"USER {user.value.strip()}: the container runs as root")
        elif not _runs_unprivileged(stage.root.base):
            _fail(found, stage.line, f"final stage {stage.label()} sets no USER, so it runs as root")
    return found


def _runs_unprivileged(base: str) -> bool:
    image = parse_image_ref(base)
    return (
        image.repository.endswith("-unprivileged")
        or "nonroot" in (image.tag or "")
        or image.repository.startswith("cgr.dev/chainguard/")
    )


# --- dockerfile.healthcheck ------------------------------------------------------------------


@check(
    "dockerfile.healthcheck",
    title="Image defines a HEALTHCHECK",
    category="reliability",
    severity="high",
    sources=("001", "003"),
    refs=("CKV_DOCKER_2", "DS-0026"),
    remediation="""
Add a HEALTHCHECK to the final stage (or a healthcheck: to every compose service built from it):

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \\
  CMD python -c "import urllib.request; urllib.request.urlopen('http://localhost:8000/health')"
""",
)
def healthcheck(project):
    """The final stage (through its `FROM` chain) has a `HEALTHCHECK` other than `NONE`, or every
    compose service built from the file defines a healthcheck."""
    return _judge(project, "dockerfile.healthcheck", _healthcheck)


def _healthcheck(dockerfile: Dockerfile, project) -> Findings:
    found = Findings(dockerfile.path, dockerfile.is_dev)
    for target, stage, services in _final_stages(dockerfile, found):
        if dockerfile.has_healthcheck(target):
            continue
        if services and all(_service_has_healthcheck(service) for _, service in services):
            continue
        disabled = [i for i in dockerfile.chain_instructions(target) if i.cmd == "HEALTHCHECK"]
        if disabled:
            _fail(found, disabled[-1].line, "HEALTHCHECK NONE disables the health check")
            continue
        message = f"final stage {stage.label()} has no HEALTHCHECK"
        missing = [service.name for _, service in services if not _service_has_healthcheck(service)]
        if missing:
            message += f" and compose service {', '.join(missing)} defines none"
        _fail(found, stage.line, message)
    return found


def _service_has_healthcheck(service) -> bool:
    healthcheck = service.data.get("healthcheck")
    if not isinstance(healthcheck, dict) or healthcheck.get("disable") is True:
        return False
    test = healthcheck.get("test")
    if isinstance(test, list):
        return bool(test) and str(test[0]).upper() != "NONE"
    return bool(test) and str(test).strip().upper() != "NONE"


# --- dockerfile.base_image_pinned ------------------------------------------------------------


@check(
    "dockerfile.base_image_pinned",
    title="Base images pinned to a tag or digest",
    category="security",
    severity="high",
    sources=("002",),
    refs=("DL3006", "DL3007", "CKV_DOCKER_7", "DS-0001"),
    remediation="""
Name an explicit version (or a digest) in every FROM, never latest:

FROM python:3.12.7-slim-bookworm
# or, reproducible to the byte:
FROM python:3.12.7-slim-bookworm@sha256:<digest>
""",
)
def base_image_pinned(project):
    """Every external `FROM` names a tag other than `latest`, or a digest, after global `ARG`
    defaults are substituted; stage names and `scratch` are not external."""
    return _judge(project, "dockerfile.base_image_pinned", _base_image_pinned)


def _base_image_pinned(dockerfile: Dockerfile, project) -> Findings:
    found = Findings(dockerfile.path, dockerfile.is_dev)
    for stage in dockerfile.stages:
        if not stage.is_external:
            continue
        problem = _pinning_problem(stage)
        if problem:
            _fail(found, stage.line, problem)
    return found


def _pinning_problem(stage: Stage) -> str | None:
    image = parse_image_ref(stage.base)
    if image.digest:
        return None
    if stage.unresolved_args and not image.tag:
        names = ", ".join(stage.unresolved_args)
        written = stage.from_instruction.value.split()[0]
        return f"FROM {written} depends on ARG {names}, which has no default"
    if not stage.base:
        return "FROM names no image"
    if image.tag is None:
        return f"FROM {stage.base} names no tag, so it means :latest"
    if image.tag == "latest":
        return f"FROM {stage.base} uses the latest tag"
    return None


# --- dockerfile.base_image_minimal (soft) ----------------------------------------------------


@check(
    "dockerfile.base_image_minimal",
    title="Small base image",
    category="performance",
    severity="low",
    soft=True,
    sources=("001", "002"),
    remediation="""
Ship the final stage on a small variant of the base image, e.g.:

FROM python:3.12-slim      # or -alpine, gcr.io/distroless/..., cgr.dev/chainguard/...
""",
)
def base_image_minimal(project):
    """The external base of the final stage (through its `FROM` chain) is a slim, alpine,
    distroless, scratch, `-minimal`, Chainguard or similar small variant."""
    return _judge(project, "dockerfile.base_image_minimal", _base_image_minimal, soft=True)


def _base_image_minimal(dockerfile: Dockerfile, project) -> Findings:
    found = Findings(dockerfile.path, dockerfile.is_dev)
    for _, stage, _ in _final_stages(dockerfile, found):
        root = stage.root
        if not _is_minimal(root.base):
            _fail(
                found,
                root.line,
                f"final image is based on {root.base or 'an unknown image'}, not a small variant",
            )
    return found


def _is_minimal(base: str) -> bool:
    base = base.lower()
    return (
        base == "scratch" or base.startswith("cgr.dev/") or any(word in base for word in MINIMAL_BASE_WORDS)
    )


# --- dockerfile.apt_hygiene ------------------------------------------------------------------


@check(
    "dockerfile.apt_hygiene",
    title="apt installs skip recommends and clean their lists",
    category="build",
    severity="medium",
    sources=("000",),
    refs=("DL3009", "DL3015", "DS-0029"),
    remediation="""
Install without recommended packages and remove the package lists in the same RUN:

RUN apt-get update \\
 && apt-get install -y --no-install-recommends <packages> \\
 && rm -rf /var/lib/apt/lists/*
""",
)
def apt_hygiene(project):
    """Each `RUN` that runs `apt-get install` / `apt install` passes `--no-install-recommends` (or
    sets it in apt config) and removes `/var/lib/apt/lists` in the same `RUN`, or uses a cache
    mount for `/var/lib/apt`."""
    return _judge(project, "dockerfile.apt_hygiene", _apt_hygiene)


def _apt_hygiene(dockerfile: Dockerfile, project) -> Findings:
    found = Findings(dockerfile.path, dockerfile.is_dev, applies=False)
    # Whether apt is configured without recommends at the end of each stage (stages FROM it inherit).
    configured_after: dict[int, bool] = {}
    for stage in dockerfile.stages:
        configured = configured_after[stage.parent.index] if stage.parent else False
        for instruction in stage.instructions:
            if instruction.cmd != "RUN":
                continue
            configured = configured or _configures_no_recommends(instruction)
            installs = [c for c in _run_commands(instruction) if _commands.is_apt_install(c)]
            if not installs:
                continue
            found.applies = True
            missing = []
            if not configured and not all(_skips_recommends(c) for c in installs):
                missing.append("--no-install-recommends")
            if not _removes_apt_lists(instruction) and not instruction.has_cache_mount("/var/lib/apt"):
                missing.append("rm -rf /var/lib/apt/lists/* (or a cache mount for /var/lib/apt)")
            if missing:
                _fail(found, instruction.line, "apt install without " + " and ".join(missing))
        configured_after[stage.index] = configured
    return found


def _configures_no_recommends(instruction: Instruction) -> bool:
    return bool(_NO_RECOMMENDS_CONFIG_RE.search(instruction.value))


def _skips_recommends(command: Command) -> bool:
    return "--no-install-recommends" in command.words or any(
        _NO_RECOMMENDS_CONFIG_RE.search(word) for word in command.words
    )


def _removes_apt_lists(instruction: Instruction) -> bool:
    return any(
        command.program == "rm" and any("/var/lib/apt/lists" in word for word in command.words)
        for command in _run_commands(instruction)
    )


# --- dockerfile.pip_no_cache -----------------------------------------------------------------


@check(
    "dockerfile.pip_no_cache",
    title="pip installs without a cache",
    category="build",
    severity="medium",
    sources=("000", "004"),
    refs=("DL3042",),
    remediation="""
Keep pip's download cache out of the image:

RUN pip install --no-cache-dir -r requirements.txt
# or ENV PIP_NO_CACHE_DIR=1, or RUN --mount=type=cache,target=/root/.cache/pip pip install ...
""",
)
def pip_no_cache(project):
    """Each `pip install` (and `pip wheel`) passes `--no-cache-dir`, runs with `PIP_NO_CACHE_DIR`
    set, or runs under `--mount=type=cache`."""
    return _judge(project, "dockerfile.pip_no_cache", _pip_no_cache)


# pip's option parser takes any unambiguous prefix: `--no-cache` is `--no-cache-dir`.
_NO_CACHE_DIR = re.compile(r"^--no-cache(-(d(ir?)?)?)?(=.*)?$")


def _pip_no_cache(dockerfile: Dockerfile, project) -> Findings:
    found = Findings(dockerfile.path, dockerfile.is_dev, applies=False)
    # Whether PIP_NO_CACHE_DIR is set at the end of each stage (stages FROM it inherit).
    env_set_after: dict[int, bool] = {}
    for stage in dockerfile.stages:
        env_set = env_set_after[stage.parent.index] if stage.parent else False
        for instruction in stage.instructions:
            env_set = env_set or _sets_pip_no_cache(instruction)
            if instruction.cmd != "RUN":
                continue
            exported = False
            for command in _run_commands(instruction):
                if command.program == "export" and any(
                    w.startswith("PIP_NO_CACHE_DIR") for w in command.words
                ):
                    exported = True
                sub = _commands.pip_subcommand(command)
                if sub not in ("install", "wheel"):
                    continue
                found.applies = True
                if not (
                    any(_NO_CACHE_DIR.match(word) for word in command.words)
                    or "PIP_NO_CACHE_DIR" in command.env
                    or exported
                    or env_set
                    or instruction.has_cache_mount()
                ):
                    pip = command.program if _commands.pip_program(command) else f"{command.program} -m pip"
                    _fail(found, instruction.line, f"{pip} {sub} without --no-cache-dir")
        env_set_after[stage.index] = env_set
    return found


def _sets_pip_no_cache(instruction: Instruction) -> bool:
    if instruction.cmd == "ENV":
        return any(name == "PIP_NO_CACHE_DIR" for name, _ in parse_env_values(instruction.value))
    if instruction.cmd == "ARG":
        return parse_arg_values(instruction.value).get("PIP_NO_CACHE_DIR") is not None
    return False


# --- dockerfile.npm_ci -----------------------------------------------------------------------


@check(
    "dockerfile.npm_ci",
    title="Node dependencies installed from the lockfile",
    category="build",
    severity="medium",
    sources=("000",),
    remediation="""
Install exactly what the lockfile says:

COPY package.json package-lock.json ./
RUN npm ci
# yarn: yarn install --frozen-lockfile (v1) or --immutable (berry); pnpm: pnpm install --frozen-lockfile
""",
)
def npm_ci(project):
    """Node dependencies are installed with `npm ci` (or `yarn install --frozen-lockfile` /
    `--immutable`, `pnpm install --frozen-lockfile`), never `npm install`."""
    return _judge(project, "dockerfile.npm_ci", _npm_ci)


def _npm_ci(dockerfile: Dockerfile, project) -> Findings:
    found = Findings(dockerfile.path, dockerfile.is_dev, applies=False)
    for _, instruction in _runs(dockerfile.stages):
        for command in _run_commands(instruction):
            install = _commands.node_install(command)
            if install is None:
                continue
            found.applies = True
            if not install[1]:
                _fail(
                    found,
                    instruction.line,
                    f"{' '.join(command.words[:2])} does not install from the lockfile",
                )
    return found


# --- dockerfile.layer_order ------------------------------------------------------------------


@check(
    "dockerfile.layer_order",
    title="Dependencies installed before the source is copied",
    category="build",
    severity="medium",
    sources=("000", "004"),
    remediation="""
Copy the dependency manifests and install them before copying the source, so code changes
reuse the cached dependency layer:

COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
""",
)
def layer_order(project):
    """In the final stage's ancestry, dependency manifests are copied and installed before the whole
    source is copied: an install step after `COPY . .` fails. Any file or folder copied before the
    first install is an install input, and a `COPY --from` of installed dependencies counts as
    installed; `na` where nothing is installed."""
    return _judge(project, "dockerfile.layer_order", _layer_order)


def _layer_order(dockerfile: Dockerfile, project) -> Findings:
    found = Findings(dockerfile.path, dockerfile.is_dev, applies=False)
    installs = {stage.index: _installs(stage) for stage in dockerfile.stages}
    for target, _, _ in _final_stages(dockerfile, found):
        for stage in dockerfile.ancestry(target):
            installed = any(installs[s.index] for s in stage.chain()[1:])
            early_copy = None
            for instruction in stage.instructions:
                if instruction.cmd == "COPY" and instruction.flag("from") is not None:
                    installed = installed or _copies_dependencies(dockerfile, stage, instruction, installs)
                elif instruction.cmd in ("COPY", "ADD") and not installed and early_copy is None:
                    early_copy = instruction if _copies_whole_source(instruction) else None
                elif instruction.cmd == "RUN" and _installs_in(instruction):
                    found.applies = True
                    if early_copy is not None:
                        _fail(
                            found,
                            early_copy.line,
                            f"source copied before the dependencies are installed (line {instruction.line})",
                        )
                        early_copy = None
                    installed = True
    return found


def _installs_in(instruction: Instruction) -> bool:
    return any(_commands.installs_dependencies(c) for c in _run_commands(instruction))


def _installs(stage: Stage) -> bool:
    return any(i.cmd == "RUN" and _installs_in(i) for i in stage.instructions)


def _copies_dependencies(
    dockerfile: Dockerfile, stage: Stage, instruction: Instruction, installs: dict[int, bool]
) -> bool:
    source = dockerfile.stage_by_ref(instruction.flag("from") or "", before=stage.index)
    if source is not None and any(installs[s.index] for s in source.chain()):
        return True
    return any(word in path for path in _copy_sources(instruction) for word in _DEPENDENCY_DIR_WORDS)


def _copies_whole_source(instruction: Instruction) -> bool:
    """``COPY . .``: the whole context. A named file or folder copied before the first install is an
    install input (``COPY setup.py src/ ./`` for ``pip install .``), not the source (Version 2)."""
    return any(source.rstrip("/") in ("", ".", "*", "./*") for source in _copy_sources(instruction))


# --- dockerfile.buildkit_cache (soft) --------------------------------------------------------


@check(
    "dockerfile.buildkit_cache",
    title="Uses BuildKit features",
    category="build",
    severity="low",
    soft=True,
    sources=("004",),
    remediation="""
Declare the Dockerfile syntax and cache package downloads across builds:

# syntax=docker/dockerfile:1
RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt
""",
)
def buildkit_cache(project):
    """The Dockerfile declares a `# syntax=` directive or uses `RUN --mount=type=cache`."""
    return _judge(project, "dockerfile.buildkit_cache", _buildkit_cache, soft=True)


def _buildkit_cache(dockerfile: Dockerfile, project) -> Findings:
    found = Findings(dockerfile.path, dockerfile.is_dev)
    if "syntax" in dockerfile.directives:
        return found
    if any(i.cmd == "RUN" and i.has_cache_mount() for i in dockerfile.instructions()):
        return found
    _fail(found, 1, "no # syntax= directive and no RUN --mount=type=cache")
    return found


# --- dockerfile.exec_form --------------------------------------------------------------------


@check(
    "dockerfile.exec_form",
    title="CMD and ENTRYPOINT in exec form",
    category="reliability",
    severity="medium",
    sources=("003",),
    refs=("DL3025",),
    remediation="""
Write CMD and ENTRYPOINT as JSON arrays so your process is PID 1 and receives SIGTERM:

CMD ["gunicorn", "--bind", "0.0.0.0:8000", "app.wsgi"]
""",
)
def exec_form(project):
    """`CMD` and `ENTRYPOINT` use the JSON exec form, so the process gets SIGTERM and can shut down
    gracefully."""
    return _judge(project, "dockerfile.exec_form", _exec_form)


def _exec_form(dockerfile: Dockerfile, project) -> Findings:
    found = Findings(dockerfile.path, dockerfile.is_dev, applies=False)
    for instruction in dockerfile.instructions():
        if instruction.cmd not in ("CMD", "ENTRYPOINT"):
            continue
        found.applies = True
        if instruction.json_args is not None:
            continue
        if instruction.value.strip().startswith("["):
            reason = "is not a valid JSON array (single quotes?), so Docker runs it through /bin/sh"
        else:
            reason = "uses shell form: /bin/sh is PID 1 and does not pass SIGTERM on"
        _fail(found, instruction.line, f"{instruction.cmd} {reason}")
    return found


# --- dockerfile.no_baked_secrets -------------------------------------------------------------


@check(
    "dockerfile.no_baked_secrets",
    title="No secrets baked into the image",
    category="security",
    severity="high",
    sources=("001", "002"),
    remediation="""
Pass secrets at run time (environment, compose secrets:) or at build time with a secret mount,
never as ENV/ARG values or copied files:

RUN --mount=type=secret,id=npmrc,target=/root/.npmrc npm ci
""",
)
def no_baked_secrets(project):
    """No `ENV`/`ARG` with a secret-like name holds a literal value, and no `.env`, `*.pem`, `*.key`,
    `id_rsa*` or credentials file is copied in."""
    return _judge(project, "dockerfile.no_baked_secrets", _no_baked_secrets)


def _no_baked_secrets(dockerfile: Dockerfile, project) -> Findings:
    found = Findings(dockerfile.path, dockerfile.is_dev)
    for instruction in dockerfile.instructions():
        if instruction.cmd == "ENV":
            pairs = parse_env_values(instruction.value)
        elif instruction.cmd == "ARG":
            pairs = [(n, v) for n, v in parse_arg_values(instruction.value).items() if v is not None]
        elif instruction.cmd in ("COPY", "ADD") and instruction.flag("from") is None:
            for source in _copy_sources(instruction):
                name = PurePosixPath(source).name
                if _SECRET_FILE_RE.match(name) and not _ENV_TEMPLATE_RE.match(name):
                    _fail(found, instruction.line, f"{instruction.cmd} copies {source} into the image")
            continue
        else:
            continue
        for name, value in pairs:
            if is_secret_like_name(name) and _is_literal(value):
                _fail(found, instruction.line, f"{instruction.cmd} {name} holds a literal value")
    return found


def is_secret_like_name(name: str) -> bool:
    """checks.md's "secret-like name"; a name ending in _FILE names a file, not a secret."""
    upper = name.upper()
    return not upper.endswith("_FILE") and any(word in upper for word in SECRET_NAME_WORDS)


def _is_literal(value: str) -> bool:
    value = value.strip()
    return bool(value) and not _VARIABLE_ONLY_RE.match(value)


# --- dockerfile.copy_over_add (soft) ---------------------------------------------------------


@check(
    "dockerfile.copy_over_add",
    title="COPY instead of ADD",
    category="security",
    severity="low",
    soft=True,
    refs=("DL3020", "CKV_DOCKER_4", "DS-0005"),
    remediation="""
Use COPY for local files; keep ADD for local tar archives, or remote files with a checksum:

COPY app/ /app/
ADD --checksum=sha256:<sum> https://example.com/tool.tar.gz /opt/
""",
)
def copy_over_add(project):
    """`ADD` is used only for remote archives with `--checksum` or local tar archives."""
    return _judge(project, "dockerfile.copy_over_add", _copy_over_add, soft=True)


def _copy_over_add(dockerfile: Dockerfile, project) -> Findings:
    found = Findings(dockerfile.path, dockerfile.is_dev, applies=False)
    for instruction in dockerfile.instructions():
        if instruction.cmd != "ADD":
            continue
        found.applies = True
        if instruction.heredocs:
            _fail(found, instruction.line, "ADD of a heredoc: use COPY")
            continue
        for source in _copy_sources(instruction):
            remote = "://" in source or source.startswith("git@")
            if remote and instruction.flag("checksum") is None:
                _fail(found, instruction.line, f"ADD {source} without --checksum")
            elif not remote and not source.lower().endswith(_ARCHIVE_SUFFIXES):
                _fail(found, instruction.line, f"ADD {source}: use COPY for local files")
    return found


# --- dockerfile.production_server (soft) -----------------------------------------------------


@check(
    "dockerfile.production_server",
    title="Runs a production server",
    category="performance",
    severity="medium",
    soft=True,
    sources=("000", "001"),
    remediation="""
Run a production server, not a development one, e.g.:

CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "3", "myproject.wsgi"]
# node: CMD ["node", "dist/server.js"]; static sites: serve the build output with nginx
""",
)
def production_server(project):
    """The effective command (a compose service's `entrypoint:`/`command:` where one builds the
    image) runs a production server, not a development server (`manage.py runserver`,
    `flask run`, `npm run dev`, `--reload`, `python app.py` with `debug=True`...)."""
    return _judge(project, "dockerfile.production_server", _production_server, soft=True)


def _production_server(dockerfile: Dockerfile, project) -> Findings:
    found = Findings(dockerfile.path, dockerfile.is_dev, applies=False)
    for target, _, services in _final_stages(dockerfile, found):
        runs = [_service_command(dockerfile, target, c, s) for c, s in services] or [
            _image_command(dockerfile, target)
        ]
        for argv, context, place in runs:
            if argv is None:
                continue
            found.applies = True
            server = _development_server(project, argv, context)
            if server:
                found.add_fail(Evidence(place[0], place[1], f"runs a development server: {server}"))
    return found


def _image_command(dockerfile: Dockerfile, target: str | None):
    instruction = dockerfile.command_instruction(target)
    place = (dockerfile.path, instruction.line if instruction else None)
    return dockerfile.effective_command(target), posixpath.dirname(dockerfile.path), place


def _service_command(dockerfile: Dockerfile, target: str | None, compose, service):
    """The command a compose service runs: its entrypoint:/command: replace the image's."""
    entrypoint, cmd = dockerfile.entrypoint_and_cmd(target)
    own_entrypoint = _compose_argv(service.data.get("entrypoint"))
    own_command = _compose_argv(service.data.get("command"))
    context = service.build.context if service.build and service.build.context is not None else ""
    if own_entrypoint is None and own_command is None:
        argv, _, place = _image_command(dockerfile, target)
        return argv, context, place
    if own_entrypoint is not None:
        entrypoint, cmd = own_entrypoint, None  # a new entrypoint drops the image's CMD
    if own_command is not None:
        cmd = own_command
    key = "command" if own_command is not None else "entrypoint"
    file, line = service.place_of(key)
    return (entrypoint or []) + (cmd or []), context, (file or compose.path, line)


def _compose_argv(value) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, list):
        return [str(v) for v in value]
    return dockerfile_words(str(value))


def _development_server(project, argv: list[str], context: str) -> str | None:
    for command in commands_of_argv(argv):
        server = _commands.development_server(command)
        if server:
            return server
        if _commands.npm_start(command):
            script = _package_start_script(project, context)
            for inner in commands(script or ""):
                if _commands.development_server(inner):
                    return f"{command.program} start runs '{script}'"
        script_path = _commands.python_script(command)
        server = _development_server_in_script(project, context, script_path) if script_path else None
        if server:
            return f"python {script_path} {server}"
    return None


def _read_context_file(project, context: str, name: str) -> str | None:
    """A file of the build context, read safely; None when absent or unreadable."""
    for candidate in (name.removeprefix("./").lstrip("/"), PurePosixPath(name).name):
        rel = posixpath.normpath(posixpath.join(context, candidate))
        if rel in project.inventory.all_files:
            try:
                return project.inventory.read(rel).decode("utf-8", "replace")
            except OSError:
                return None
    return None


def _package_start_script(project, context: str) -> str | None:
    text = _read_context_file(project, context, "package.json")
    try:
        scripts = json.loads(text).get("scripts") if text else None
    except (ValueError, AttributeError):
        return None
    start = scripts.get("start") if isinstance(scripts, dict) else None
    return start if isinstance(start, str) else None


def _development_server_in_script(project, context: str, script: str) -> str | None:
    """What development server a Python script of the build context starts, if any: Flask's
    ``app.run(`` (Werkzeug), any ``.run(..., debug=True)``, or ``uvicorn.run(..., reload=True)``."""
    text = _read_context_file(project, context, script)
    if not text:
        return None
    if _DEBUG_RUN_RE.search(text):
        return "runs the app with debug=True"
    if _FLASK_IMPORT_RE.search(text) and _APP_RUN_RE.search(text):
        return "starts Flask's development server (app.run)"
    if _UVICORN_RELOAD_RE.search(text):
        return "runs uvicorn with reload=True"
    return None
