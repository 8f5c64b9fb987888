"""Where the team's shared reading lives (checks.md, seeds/, corpus/), for the tests that compare with it.

``READINESS_SHARED_DIR`` names it; otherwise the nearest ``shared/`` folder holding ``checks.md`` in
an ancestor of this checkout (``<parent>/shared`` for the main checkout, ``<grandparent>/shared`` for
a worktree under ``wt/``); otherwise the copy vendored in ``tests/vendor/shared`` (checks.md, seeds/
and corpus/awesome-compose/, CC0), so a clean checkout anywhere runs every comparison. No absolute
path is assumed, and nothing skips: a missing file fails its module with the message below.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HOW = (
    "the tests compare with the team's shared folder (checks.md, seeds/, corpus/awesome-compose/): "
    "put it beside the checkout as ../shared (CI copies it there) or set READINESS_SHARED_DIR"
)


def shared_dir() -> Path | None:
    configured = os.environ.get("READINESS_SHARED_DIR")
    if configured:
        return Path(configured)
    for ancestor in REPO.parents:
        candidate = ancestor / "shared"
        if (candidate / "checks.md").is_file():
            return candidate
    vendored = REPO / "tests" / "vendor" / "shared"
    return vendored if (vendored / "checks.md").is_file() else None


SHARED = shared_dir()


def shared_path(*parts: str) -> Path:
    """``SHARED / parts``; fails the importing test module, saying what is missing and how to get it."""
    if SHARED is None:
        pytest.fail(f"no shared/ folder with checks.md in an ancestor of {REPO}: {HOW}", pytrace=False)
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"{path} does not exist: {HOW}", pytrace=False)
    return path
