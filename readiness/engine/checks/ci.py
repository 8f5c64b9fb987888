"""The ``ci.*`` checks of checks.md: is there a pipeline, and does it test, lint, scan and build.

None of them is ever ``na``: a repository without a pipeline fails all but ``ci.pipeline_present``'s
pass condition. A command found in any pipeline file decides ``pass``; without one, a pipeline file
that could not be read makes the result ``error``.
"""

from __future__ import annotations

import re

from ..model import CheckResult, Evidence, Status
from ..registry import check


class _LazyPattern:
    """Compiled on first use: a repository without a pipeline never pays for these alternations."""

    def __init__(self, source: str):
        self.source = source
        self._compiled: re.Pattern | None = None

    def search(self, text: str) -> re.Match | None:
        if self._compiled is None:
            self._compiled = re.compile(self.source, re.IGNORECASE)
        return self._compiled.search(text)


def _any_of(*patterns: str) -> _LazyPattern:
    return _LazyPattern("|".join(f"(?:{p})" for p in patterns))


TESTS = _any_of(
    r"\bpytest\b", r"\bpy\.test\b", r"\btox\b", r"\bnox\b", r"-m\s+unittest\b", r"manage\.py\s+test\b",
    r"\b(npm|yarn|pnpm|bun)\s+(run\s+)?test\b", r"\bnpm\s+t\b", r"\b(jest|vitest|mocha|phpunit|rspec)\b",
    r"\bgo\s+test\b", r"\bmvnw?\b.*\b(test|verify)\b", r"\bgradlew?\b.*\b(test|check)\b",
    r"\bcargo\s+(test|nextest)\b", r"\bmake\s+(\S+\s+)*test\b", r"\bdotnet\s+test\b", r"\bctest\b",
    r"\brake\s+(test|spec)\b", r"\bhatch\s+(test|run\s+test)\b",
)  # fmt: skip
LINTS = _any_of(
    r"\bruff\b", r"\bblack\b.*--check\b", r"\bflake8\b", r"\bpylint\b", r"\bmypy\b", r"\bisort\b.*--check",
    r"\beslint\b", r"\bprettier\b.*--(check|list-different)\b", r"\bhadolint\b", r"\bgolangci-lint\b",
    r"\bgolangci/golangci-lint-action\b", r"\b(npm|yarn|pnpm|bun)\s+(run\s+)?lint\b", r"\bmake\s+lint\b",
    r"\bpre-commit\b", r"\bshellcheck\b", r"\bstylelint\b", r"\brubocop\b", r"\bgofmt\s+-l\b",
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
    r"\bdocker[- ]compose\b.*\bbuild\b", r"\bdocker/(build-push|bake)-action\b", r"\bkaniko\b",
    r"\bbuildah\s+(bud|build)\b", r"\bdocker\.build\(", r"\btask Docker@\d+\s+(build|buildAndPush)\b",
    r"\bsteps: docker/build\b", r"\bpack\s+build\b", r"\bjib\b",
)  # fmt: skip


def _found_in_pipeline(check_id: str, project, pattern: _LazyPattern, what: str) -> CheckResult:
    result = CheckResult(check_id, Status.FAIL)
    if not project.ci_files:
        result.evidence = [Evidence("", None, "no CI pipeline definition found")]
        return result
    unreadable = []
    for ci in project.ci_files:
        if ci.error:
            unreadable.append(Evidence(ci.path, None, f"could not be read: {ci.error}"))
            continue
        for command, line in ci.commands:
            if pattern.search(command):
                result.evidence.append(Evidence(ci.path, line, f"{what}: {command[:120]}"))
                break
    if result.evidence:
        result.status = Status.PASS
    elif unreadable:
        result.status, result.evidence = Status.ERROR, unreadable
    else:
        result.evidence = [Evidence(ci.path, None, f"no step {what}") for ci in project.ci_files]
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
    return _found_in_pipeline("ci.runs_tests", project, TESTS, "runs tests")


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
  uses: aquasecurity/trivy-action@0.28.0
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
- uses: docker/setup-buildx-action@v3
- uses: docker/build-push-action@v6
  with:
    context: .
    push: false
    cache-from: type=gha
    cache-to: type=gha,mode=max
""",
)
def ci_builds_image(project) -> CheckResult:
    """The pipeline builds the container image (docker build, docker buildx, build-push-action,
    kaniko, buildah, ``docker compose build``)."""
    return _found_in_pipeline("ci.builds_image", project, IMAGE_BUILDS, "builds the image")
