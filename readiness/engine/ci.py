"""Read a CI pipeline file into the commands it runs, each with its line.

YAML pipelines (GitHub Actions, GitLab CI, CircleCI, Azure Pipelines, Bitbucket) are loaded with
the same limits as compose files, and every shell line under a step key (``run``, ``script``...)
plus every action or template reference (``uses``, ``include``, ``pipe``, ``task``) is collected.
A Jenkinsfile is Groovy: each line of it is kept, with ``sh '...'`` wrappers removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import safe_yaml

# Keys whose string values (or lists of strings) are shell commands.
_SHELL_KEYS = {
    "run", "script", "scripts", "before_script", "after_script", "command", "commands",
    "bash", "sh", "pwsh", "powershell", "inlineScript", "args",
}  # fmt: skip
# Keys whose values name an action, orb, pipe, task or template that does the work.
_REFERENCE_KEYS = {"uses", "pipe", "task", "template", "include", "image", "extends", "orb"}
_JENKINS_STEP = re.compile(
    r"""^\s*(?:sh|bat|powershell|pwsh)\s*\(?\s*(?:script\s*:\s*)?(?:'''|\"\"\"|'|")?"""
)


# GitLab's top-level keys that are not jobs.
_GITLAB_KEYWORDS = {
    "default", "include", "stages", "variables", "workflow", "image", "services", "cache",
    "before_script", "after_script", "pages",
}  # fmt: skip
_NAME_KEYS = {"name", "displayName"}
_JENKINS_STAGE = re.compile(r"""\bstage\s*\(\s*['"]([^'"]+)['"]""")


@dataclass
class CIFile:
    path: str
    kind: str  # github, gitlab, jenkins, circleci, azure, bitbucket; "action" for a local action
    error: str | None = None
    # Every shell line and action/template reference, with its 1-based line.
    commands: list[tuple[str, int | None]] = field(default_factory=list)
    # The names of jobs and steps ("Run tests", GitLab's job keys, Jenkins stages), with their lines.
    names: list[tuple[str, int | None]] = field(default_factory=list)


def ci_kind(rel: str) -> str:
    if rel.startswith(".github/workflows/"):
        return "github"
    if rel.startswith(".gitlab-ci"):
        return "gitlab"
    if rel.startswith(".circleci/"):
        return "circleci"
    if rel.startswith("azure-pipelines"):
        return "azure"
    if rel.startswith("bitbucket-pipelines"):
        return "bitbucket"
    return "jenkins"


def parse_ci(rel: str, raw: bytes | None, error: str | None, *, kind: str | None = None) -> CIFile:
    """Never raises: a file that cannot be read or parsed comes back with ``error`` set. ``kind``
    defaults to what the path says (``ci_kind``)."""
    ci = CIFile(path=rel, kind=kind or ci_kind(rel))
    if error is not None or raw is None:
        ci.error = error or "could not be read"
        return ci
    if ci.kind == "jenkins":
        try:
            ci.commands = _jenkins_commands(safe_yaml.decode(raw))
        except safe_yaml.YAMLLimitError as exc:
            ci.error = str(exc)
        ci.names = [
            (match.group(1), line) for text, line in ci.commands if (match := _JENKINS_STAGE.search(text))
        ]
        return ci
    try:
        loaded = safe_yaml.load(raw)
    except safe_yaml.YAMLLimitError as exc:
        ci.error = str(exc)
        return ci
    if not isinstance(loaded.data, dict):
        ci.error = "not a mapping"
        return ci
    ci.commands = _yaml_commands(loaded)
    if ci.kind == "github":
        ci.commands = _expand_matrix(loaded, ci.commands)
    ci.names = _yaml_names(loaded, ci.kind)
    return ci


_MATRIX_REFERENCE = re.compile(r"\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}")
# A matrix of a few lists can multiply out; past this a command keeps its references unexpanded.
MAX_MATRIX_EXPANSION = 50


def _expand_matrix(loaded: safe_yaml.LoadedYAML, commands: list) -> list[tuple[str, int | None]]:
    """Add, after a command naming ``${{ matrix.x }}``, one copy per value of its job's ``x``
    (``run: ${{ matrix.build_cmd }}`` runs each command the matrix lists)."""
    jobs = loaded.data.get("jobs")
    if not isinstance(jobs, dict):
        return commands
    spans = []  # (first line, matrix values) per job, in file order
    for name, job in jobs.items():
        line = loaded.line_of(("jobs", str(name)))
        if line is not None and isinstance(job, dict):
            spans.append((line, _matrix_values(job)))
    spans.sort(key=lambda span: span[0])
    expanded = []
    for text, line in commands:
        expanded.append((text, line))
        if line is None or "matrix." not in text:
            continue
        values = next((v for first, v in reversed(spans) if first <= line), {})
        variants = [text]
        for key in dict.fromkeys(_MATRIX_REFERENCE.findall(text)):
            options = values.get(key, [])
            pattern = re.compile(r"\$\{\{\s*matrix\." + re.escape(key) + r"\s*\}\}")
            variants = [pattern.sub(lambda _m, o=o: o, v) for v in variants for o in options] or variants
            if len(variants) > MAX_MATRIX_EXPANSION:
                variants = variants[:MAX_MATRIX_EXPANSION]
        expanded += [(variant, line) for variant in variants if variant != text]
    return expanded


def _matrix_values(job: dict) -> dict[str, list[str]]:
    strategy = job.get("strategy")
    matrix = strategy.get("matrix") if isinstance(strategy, dict) else None
    if not isinstance(matrix, dict):
        return {}
    values: dict[str, list[str]] = {}
    for key, options in matrix.items():
        if isinstance(options, list):
            values[str(key)] = [str(o) for o in options if isinstance(o, str | int | float)]
    for entry in matrix.get("include") or []:
        if isinstance(entry, dict):
            for key, value in entry.items():
                if isinstance(value, str | int | float):
                    values.setdefault(str(key), []).append(str(value))
    return values


def parse_action(rel: str, raw: bytes | None, error: str | None) -> CIFile:
    """A local GitHub action (``uses: ./path`` reads ``path/action.yml``): its steps, like a workflow's.

    It is YAML whatever its path (``action.yml`` at the root is no known pipeline path, and read as
    one, its raw lines would keep their comments: ``uses: x@<sha>  # v1`` is pinned)."""
    return parse_ci(rel, raw, error, kind="action")


def _yaml_names(loaded: safe_yaml.LoadedYAML, kind: str) -> list[tuple[str, int | None]]:
    """Job and step names: every ``name:``/``displayName:`` string, and the job keys of GitLab,
    GitHub and CircleCI."""
    names: list[tuple[str, int | None]] = []
    data = loaded.data
    jobs = data.get("jobs") if kind in ("github", "circleci") else None
    if isinstance(jobs, dict):
        names += [(str(key), loaded.line_of(("jobs", str(key)))) for key in jobs]
    if kind == "gitlab":
        names += [
            (str(key), loaded.line_of((str(key),)))
            for key, value in data.items()
            if isinstance(value, dict) and str(key) not in _GITLAB_KEYWORDS and not str(key).startswith(".")
        ]
    stack: list[tuple[object, tuple]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                if str(key) in _NAME_KEYS and isinstance(item, str):
                    names.append((item, loaded.line_of((*path, str(key)))))
                else:
                    stack.append((item, (*path, str(key))))
        elif isinstance(value, list):
            stack.extend((item, (*path, index)) for index, item in enumerate(value))
    names.sort(key=lambda item: item[1] or 0)
    return names


def _yaml_commands(loaded: safe_yaml.LoadedYAML) -> list[tuple[str, int | None]]:
    commands: list[tuple[str, int | None]] = []
    stack: list[tuple[object, tuple, str | None]] = [(loaded.data, (), None)]
    while stack:
        value, path, key = stack.pop()
        if isinstance(value, dict):
            if "task" in value and isinstance(value.get("inputs"), dict):
                # Azure: "task: Docker@2" says what runs only together with inputs.command.
                task = f"task {value['task']} {value['inputs'].get('command', '')}".strip()
                commands.append((task, loaded.line_of((*path, "task"))))
            if key == "steps":
                # CircleCI orb steps with parameters: "- docker/build: {image: app}".
                commands += [(f"steps: {k}", loaded.line_of((*path, str(k)))) for k in value if "/" in str(k)]
            stack.extend((v, (*path, str(k)), str(k)) for k, v in value.items())
        elif isinstance(value, list):
            # Items inherit their key, so "script: [a, b]" and CircleCI's "steps: [docker/build]" count.
            stack.extend((item, (*path, i), key) for i, item in enumerate(value))
        elif isinstance(value, str) and key in _SHELL_KEYS | _REFERENCE_KEYS | {"steps"}:
            commands.extend(_lines(value, key, loaded.line_of(path)))
    commands.sort(key=lambda item: item[1] or 0)
    return commands


def _lines(text: str, key: str, line: int | None) -> list[tuple[str, int | None]]:
    if key in _REFERENCE_KEYS or key == "steps":
        return [(f"{key}: {text.strip()}", line)]
    lines = text.splitlines()
    # A block scalar ("run: |") starts on the line after its key.
    first = line + 1 if line is not None and len(lines) > 1 else line
    return [
        (part.strip(), first + offset if first is not None else None)
        for offset, part in enumerate(lines)
        if part.strip() and not part.strip().startswith("#")
    ]


def _jenkins_commands(text: str) -> list[tuple[str, int | None]]:
    commands = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith(("//", "*", "/*")):
            continue
        commands.append((_JENKINS_STEP.sub("", stripped).rstrip("'\")").strip() or stripped, number))
    return commands
