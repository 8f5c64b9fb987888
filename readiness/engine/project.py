"""The parsed repository every check reads: discovered files, parsed, and linked together.

``Project`` is built once per scan by ``build_project`` and passed to every check function.
Parsing never raises: a file that cannot be read carries an ``error`` string instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .discover import Inventory, discover


@dataclass
class HealthFacts:
    """What the probes saw for a repository's registered endpoints (filled by the web app).

    ``endpoints`` is a list of dicts; see readiness/engine/checks/health.py for the keys.
    None of it is read from disk; the CLI passes no health facts, so ``health.*`` are ``na``.
    """

    endpoints: list[dict] = field(default_factory=list)


@dataclass
class Project:
    root: Path
    inventory: Inventory
    # Filled by build_project; types live in dockerfile.py, compose.py, dockerignore.py, ci.py.
    dockerfiles: list = field(default_factory=list)  # list[dockerfile.Dockerfile]
    compose_files: list = field(default_factory=list)  # list[compose.ComposeFile]
    # What the compose checks judge: files, and overlays merged onto their bases (compose_project.py).
    compose_units: list = field(default_factory=list)  # list[compose.ComposeFile]
    dockerignores: dict = field(default_factory=dict)  # rel path -> dockerignore.DockerIgnore
    ci_files: list = field(default_factory=list)  # list[ci.CIFile]
    # One per (context, Dockerfile) pair that is built; see linking.BuildContext.
    build_contexts: list = field(default_factory=list)  # list[linking.BuildContext]
    health: HealthFacts | None = None
    notes: list[str] = field(default_factory=list)
    # Facts several checks derive from the same files, worked out once per scan (ci_steps.py).
    cache: dict = field(default_factory=dict)

    def dockerfile(self, rel: str):
        """The parsed Dockerfile at a relative path, or None when there is none."""
        for df in self.dockerfiles:
            if df.path == rel:
                return df
        return None


def build_project(
    root: str | Path,
    *,
    health: HealthFacts | None = None,
    exclude: list[str] | tuple[str, ...] = (),
    gitignore: bool = False,
) -> Project:
    from . import linking

    root = Path(root).resolve()
    inventory = discover(root, exclude=exclude, gitignore=gitignore)
    project = Project(root=root, inventory=inventory, health=health)
    linking.parse_and_link(project)
    return project
