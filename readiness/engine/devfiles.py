"""Which Dockerfiles and compose files are development files (checks.md, "Development file").

One definition for both kinds, so a ``Dockerfile.local`` and a ``compose.local.yml`` agree. Names
and folders are split into words at ``.``, ``_`` and ``-``; Version 2 adds whole folder names (a
``ci/`` or ``cypress/`` folder) and compose names ending in ``.test``, ``.ci`` or ``.dev``.
"""

from __future__ import annotations

import re

# Words of a file or folder name that mark it dev/test (dev.Dockerfile, docker_dev/, compose.local.yml),
# plus VS Code's .devcontainer folder.
DEV_WORDS = {
    "dev", "devel", "develop", "development", "local", "test", "tests", "testing", "debug", "devcontainer",
}  # fmt: skip
# Folders whose whole name marks everything under them as development or test (Version 2).
DEV_FOLDERS = {"ci", ".ci", "test", "tests", "e2e", "cypress", "examples", "example"}
_DEV_COMPOSE_NAME = re.compile(r"\.(test|ci|dev)\.ya?ml$", re.IGNORECASE)
_OVERRIDE = re.compile(r"^(docker-)?compose\.override\.ya?ml$", re.IGNORECASE)
_SEPARATORS = re.compile(r"[._-]")


def is_override_name(name: str) -> bool:
    """``compose.override.y(a)ml`` / ``docker-compose.override.y(a)ml``: what `docker compose up` adds."""
    return bool(_OVERRIDE.match(name))


def is_development_path(rel: str, *, compose: bool = False) -> bool:
    """A root-relative POSIX path whose name or folders mark it as a development file."""
    parts = rel.lower().split("/")
    folders, name = parts[:-1], parts[-1]
    if compose and (is_override_name(name) or _DEV_COMPOSE_NAME.search(name)):
        return True
    if any(folder in DEV_FOLDERS for folder in folders):
        return True
    words = {word for part in parts for word in _SEPARATORS.split(part)}
    return bool(words & DEV_WORDS)
