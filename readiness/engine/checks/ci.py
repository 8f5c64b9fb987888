"""The ``ci.*`` checks of checks.md: is there a pipeline, and does it test, lint, scan and build.

A repository without a pipeline fails all of them but ``ci.pipeline_present``'s pass condition
(``ci.builds_image`` is ``na`` where nothing is built, ``ci.actions_pinned`` without GitHub workflows).
A step is recognised by what it runs, by what the scripts, Makefile targets, package scripts and
local actions it calls run (one level down, ci_steps.py), and for tests by its name. A match in any
pipeline file decides ``pass``; a pipeline file that could not be read makes the result ``error``
only when no pipeline file could be read.
"""

from __future__ import annotations

import re

from ..model import CheckResult, Evidence, Status
from ..registry import check


class _LazyPattern:
    """Compiled on first use: a repository without a pipeline never pays for these alternations."""

    def __init__(self, source: str, flags: int = re.IGNORECASE):
        self.source = source
        self.flags = flags
        self._compiled: re.Pattern | None = None

    @property
    def compiled(self) -> re.Pattern:
        if self._compiled is None:
            self._compiled = re.compile(self.source, self.flags)
        return self._compiled

    def search(self, text: str) -> re.Match | None:
        return self.compiled.search(text)

    def match(self, text: str) -> re.Match | None:
        return self.compiled.match(text)

    def split(self, text: str) -> list[str]:
        return self.compiled.split(text)


def _any_of(*patterns: str) -> _LazyPattern:
    return _LazyPattern("|".join(f"(?:{p})" for p in patterns))


TESTS = _any_of(
    r"\bpytest\b", r"\bpy\.test\b", r"\btox\b", r"\bnox\b", r"-m\s+unittest\b", r"manage\.py\s+test\b",
    r"\b(npm|yarn|pnpm|bun)\s+(run\s+)?test\b", r"\bnpm\s+t\b", r"\b(jest|vitest|mocha|phpunit|rspec)\b",
    r"\bgo\s+test\b", r"\bmvnw?\b.*\b(test|verify)\b", r"\bgradlew?\b.*\b(test|check)\b",
    r"\bcargo\s+(test|nextest)\b", r"\bmake\s+(\S+\s+)*test\b", r"\bdotnet\s+test\b", r"\bctest\b",
    r"\brake\s+(test|spec)\b", r"\bhatch\s+(test|run\s+test)\b", r"\bplaywright\s+test\b",
    r"\bhelm\s+unittest\b", r"\bbats\b", r"\bcypress\s+run\b", r"\bctest\b", r"\bbehave\b",
)  # fmt: skip
# A job or step named for tests: "test", "tests", "Run tests", "Unit tests (py3.12)", "test:backend",
# "run specs" (RSpec's word);
# not one that only handles their results or environment ("Upload test results", "Set up tests").
TEST_NAMES = _LazyPattern(r"\b(tests?|testing|unit-?tests?|e2e|specs?)\b")
_NOT_RUNNING_TESTS = _LazyPattern(
    r"\b(upload|publish|report|results?|coverage|artifacts?|cache|download|summary|set\s*up|setup|"
    r"install|prepare|image)\b",
    re.IGNORECASE,
)
LINTS = _any_of(
    r"\bruff\b", r"\bblack\b.*--check\b", r"\bflake8\b", r"\bpylint\b", r"\bmypy\b", r"\bisort\b.*--check",
    r"\beslint\b", r"\bprettier\b.*--(check|list-different)\b", r"\bhadolint\b", r"\bgolangci-lint\b",
    r"\bgolangci/golangci-lint-action\b", r"\b(npm|yarn|pnpm|bun)\s+(run\s+)?lint\b", r"\bmake\s+lint\b",
    r"\bpre-commit\b", r"\bprek\b", r"\bshellcheck\b", r"\bstylelint\b", r"\brubocop\b", r"\bgofmt\s+-l\b",
    r"\bgo\s+vet\b", r"\bcargo\s+(clippy|fmt\s.*--check)\b", r"\bktlint\b", r"\bsuper-linter\b",
    r"\bbiome\s+(check|ci|lint)\b", r"\bstandardrb\b", r"\bphpcs\b", r"\byamllint\b",
)  # fmt: skip
SECURITY_SCANS = _any_of(
    r"\btrivy\b", r"\bgrype\b", r"\banchore/scan-action\b", r"\bsnyk\b", r"\bdocker\s+scout\b",
    r"\bdocker/scout-action\b", r"\bpip-audit\b", r"\bsafety\s+(check|scan)\b",
    r"\b(npm|yarn|pnpm)\s+audit\b", r"\bosv-scanner\b", r"\bdependency-check\b",
    r"\bdependency-review-action\b", r"\bbundle(r)?[- ]audit\b", r"\bcargo\s+(audit|deny)\b",
    r"\bgovulncheck\b", r"\bclair\b", r"Container-Scanning", r"Dependency-Scanning", r"\bdocker\s+scan\b",
    r"\bretire\b",
)  # fmt: skip
IMAGE_BUILDS = _any_of(
    r"\b(docker|podman)\s+(image\s+)?build\b", r"\bdocker\s+buildx\s+(build|bake)\b",
    r"\bdocker[- ]compose\b.*\bbuild\b", r"[\w.-]+/(build-push|bake)-action\b", r"\bkaniko\b",
    r"\bbuildah[\s-](bud|build)\b", r"\bdocker\.build\(", r"\btask Docker@\d+\s+(build|buildAndPush)\b",
    r"\bsteps: docker/build\b", r"\bpack\s+build\b", r"\bjib\b",
)  # fmt: skip


# Installing a tool is not running it: `pip install ruff pytest` neither lints nor tests.
_INSTALL = _LazyPattern(
    r"^\s*(sudo\s+)?(\w+=\S*\s+)*(python[\d.]*\s+-m\s+)?"
    r"(pip[\d.]*|pipx|uv\s+(pip|tool)|npm|yarn(\s+global)?|pnpm|bun|gem|go|cargo|apt-get|apt|apk|brew|"
    r"choco|dnf|yum|poetry|composer(\s+global)?)\s+(install|add|i|require|get)\b",
    re.IGNORECASE,
)
_COMMAND_SEPARATORS = _LazyPattern(r"&&|\|\||;|\|", 0)


def runs(pattern: _LazyPattern, text: str) -> bool:
    """Whether a step line runs what ``pattern`` names, in a command that is not an install of it."""
    if not pattern.search(text):
        return False
    parts = _COMMAND_SEPARATORS.split(text)
    return any(pattern.search(part) and not _INSTALL.match(part) for part in parts)


def _found_in_pipeline(
    check_id: str, project, pattern: _LazyPattern, what: str, *, names: _LazyPattern | None = None
) -> CheckResult:
    from ..ci_steps import step_lines, step_names

    result = CheckResult(check_id, Status.FAIL)
    if not project.ci_files:
        result.evidence = [Evidence("", None, "no CI pipeline definition found")]
        return result
    unreadable, readable = [], []
    for ci in project.ci_files:
        if ci.error:
            unreadable.append(Evidence(ci.path, None, f"could not be read: {ci.error}"))
            continue
        readable.append(ci)
        found = next((step for step in step_lines(project, ci) if runs(pattern, step.text)), None)
        if found is None and names is not None:
            named = (
                s
                for s in step_names(project, ci)
                if names.search(s.text) and not _NOT_RUNNING_TESTS.search(s.text)
            )
            found = next(named, None)
            if found is not None:
                message = f"{what}: a job or step named '{found.text[:80]}'" + (
                    f" in {found.via}" if found.via else ""
                )
                result.evidence.append(Evidence(ci.path, found.line, message))
                continue
        if found is not None:
            text = found.text[:120]
            message = f"{what}: {text}" if found.via is None else f"{what}: {text} ({found.via})"
            result.evidence.append(Evidence(ci.path, found.line, message))
    if result.evidence:
        result.status = Status.PASS
        result.evidence += unreadable
    elif not readable:
        result.status, result.evidence = Status.ERROR, unreadable
    else:
        result.evidence = [Evidence(ci.path, None, f"no step {what}") for ci in readable] + unreadable
    return result


@check(
    "ci.pipeline_present",
    title="A CI pipeline exists",
    category="operations",
    severity="high",
    sources=("002",),
    remediation="Add `.github/workflows/ci.yml` (or your CI's file) that tests, lints, scans and builds.",
)
def ci_pipeline_present(project) -> CheckResult:
    """A CI pipeline definition exists (``.github/workflows/*``, ``.gitlab-ci.yml``, ``Jenkinsfile``,
    ``.circleci/config.yml``, ``azure-pipelines.yml``, ``bitbucket-pipelines.yml``); never ``na``."""
    if project.ci_files:
        evidence = [Evidence(ci.path, None, f"{ci.kind} pipeline") for ci in project.ci_files]
        return CheckResult("ci.pipeline_present", Status.PASS, evidence)
    return CheckResult(
        "ci.pipeline_present", Status.FAIL, [Evidence("", None, "no CI pipeline definition found")]
    )


@check(
    "ci.runs_tests",
    title="CI runs the tests",
    category="operations",
    severity="high",
    sources=("002",),
    remediation="""
- name: Test
  run: python -m pytest
""",
)
def ci_runs_tests(project) -> CheckResult:
    """The pipeline runs a test suite (pytest, tox, nox, npm test, go test, mvn test, gradle test,
    cargo test, make test...); ``fail`` when there is no pipeline."""
    return _found_in_pipeline("ci.runs_tests", project, TESTS, "runs tests", names=TEST_NAMES)


@check(
    "ci.lints",
    title="CI runs a linter",
    category="operations",
    severity="medium",
    sources=("002",),
    remediation="""
- name: Lint
  run: ruff check . && ruff format --check .
""",
)
def ci_lints(project) -> CheckResult:
    """The pipeline runs a linter or formatter check (ruff, black --check, flake8, pylint, eslint,
    prettier --check, hadolint, golangci-lint...)."""
    return _found_in_pipeline("ci.lints", project, LINTS, "lints")


@check(
    "ci.security_scan",
    title="CI scans images or dependencies",
    category="security",
    severity="high",
    sources=("002",),
    remediation="""
- name: Scan the image
  uses: aquasecurity/trivy-action@915b19bbe73b92a6cf82a1bc12b087c9a19a5fe2  # v0.28.0
  with:
    image-ref: app:${{ github.sha }}
    exit-code: "1"
    severity: CRITICAL,HIGH
""",
)
def ci_security_scan(project) -> CheckResult:
    """The pipeline scans images or dependencies (trivy, grype, snyk, docker scout, pip-audit, safety,
    npm audit, osv-scanner, dependency-check...)."""
    return _found_in_pipeline("ci.security_scan", project, SECURITY_SCANS, "scans")


@check(
    "ci.builds_image",
    title="CI builds the container image",
    category="build",
    severity="medium",
    sources=("002",),
    remediation="""
- uses: docker/setup-buildx-action@b5ca514318bd6ebac0fb2aedd5d36ec1b5c232a2  # v3.10.0
- uses: docker/build-push-action@263435318d21b8e681c14492fe198d362a7d2c83  # v6.18.0
  with:
    context: .
    push: false
    cache-from: type=gha
    cache-to: type=gha,mode=max
""",
)
def ci_builds_image(project) -> CheckResult:
    """The pipeline builds the container image (docker build, docker buildx build/bake, any
    ``*/build-push-action``, kaniko, buildah, ``docker compose build``); ``na`` for a repository with
    no Dockerfile and no compose ``build:``."""
    if not project.dockerfiles and not any(
        service.build is not None
        for compose in project.compose_units
        for service in compose.services.values()
    ):
        message = "no Dockerfile and no compose build: here, so there is no image to build"
        return CheckResult("ci.builds_image", Status.NA, [Evidence("", None, message)])
    return _found_in_pipeline("ci.builds_image", project, IMAGE_BUILDS, "builds the image")


_FULL_SHA = _LazyPattern(r"^[0-9a-f]{40}$", 0)


@check(
    "ci.actions_pinned",
    title="GitHub Actions pinned to a commit",
    category="security",
    severity="medium",
    soft=True,
    sources=("002",),
    refs=("OpenSSF Scorecard: Pinned-Dependencies",),
    remediation="""
Pin every action to the full commit SHA of the release you reviewed, the tag in a comment
(Dependabot and Renovate keep both up to date):

- uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683  # v4.2.2
""",
)
def ci_actions_pinned(project) -> CheckResult:
    """*Soft*: every GitHub Actions ``uses:`` of an action from outside the repository (not
    ``./local``, not ``docker://`` with a digest) names a full 40-character commit SHA: a tag or
    branch can be moved to other code after you reviewed it; ``na`` without GitHub workflows."""
    from ..ci_steps import step_lines

    result = CheckResult("ci.actions_pinned", Status.NA)
    workflows = [ci for ci in project.ci_files if ci.kind == "github"]
    unpinned, pinned, unreadable = [], [], []
    for ci in workflows:
        if ci.error:
            unreadable.append(Evidence(ci.path, None, f"could not be read: {ci.error}"))
            continue
        uses = [s for s in step_lines(project, ci) if s.text.startswith("uses: ")]
        problems = [(step, problem) for step in uses if (problem := _unpinned(step.text[6:].strip()))]
        for step, problem in problems:
            where = f" (in {step.via})" if step.via else ""
            unpinned.append(Evidence(ci.path, step.line, f"{problem}{where}"))
        if not problems:
            count = len(uses)
            pinned.append(
                Evidence(ci.path, None, f"{count} action{'s' if count != 1 else ''} checked, all pinned")
            )
    unpinned = list(dict.fromkeys(unpinned))
    if unpinned:
        result.status, result.evidence = Status.WARN, unpinned + unreadable
    elif pinned:
        result.status, result.evidence = Status.PASS, pinned + unreadable
    elif unreadable:
        result.status, result.evidence = Status.ERROR, unreadable
    return result


def _unpinned(reference: str) -> str | None:
    """Why ``uses: reference`` is not pinned to a commit, or None."""
    if reference.startswith(("./", "$/")) or not reference:
        return None  # an action of this repository (`$/` is the self-repository form)
    if reference.startswith("docker://"):
        return None if "@sha256:" in reference else f"uses {reference} by tag, not by digest"
    action, _, ref = reference.partition("@")
    if not ref:
        return f"uses {action} without any version"
    if _FULL_SHA.match(ref.lower()):
        return None
    return f"uses {action}@{ref}: a tag or branch can move; pin the commit SHA"
