"""Where the team's shared reading lives (checks.md, seeds/, corpus/), for the tests that compare with it.

``READINESS_SHARED_DIR`` names it; otherwise the nearest ``shared/`` folder holding ``checks.md`` in
an ancestor of this checkout (``<parent>/shared`` for the main checkout, ``<grandparent>/shared`` for
a worktree under ``wt/``). No absolute path is assumed, so a test that needs it skips with the
reason when it truly is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path | None:
    configured = os.environ.get("READINESS_SHARED_DIR")
    if configured:
        return Path(configured)
    for ancestor in REPO.parents:
        candidate = ancestor / "shared"
        if (candidate / "checks.md").is_file():
            return candidate
    return None


SHARED = shared_dir()
# A path that does not exist when there is no shared folder, so `is_dir()` checks skip cleanly.
SHARED_OR_MISSING = SHARED if SHARED is not None else REPO / "shared-not-found"
MISSING_REASON = "no shared/ folder with checks.md in an ancestor of the checkout (set READINESS_SHARED_DIR)"
