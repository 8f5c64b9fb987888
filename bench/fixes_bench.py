"""Fixes benchmark: what the automatic fixes do to real projects, and what computing them costs.

    .venv/bin/python bench/fixes_bench.py [--corpus DIR] [--rounds N]

Prints figures; it is not a test and asserts nothing.

Each top-level folder of the corpus (awesome-compose: one small project each) is copied to a
temporary folder and treated as a repository:

1. Outcome: scan with fixes, apply every fix (`--fix --write` semantics, overlaps left for a second
   round), scan again, then once more for the fixes that waited. Counted over all projects: failing
   or warning findings, how many carried a fix with edits, checks that went to pass, checks that
   got worse (the promise says none), and fixes that could not be written.
2. Cost: median time of analyze(project) against analyze(project, fixes=True) over N rounds,
   alternating, in one process (ruamel.yaml already imported after the first round, as in the
   worker), side by side.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from readiness.engine import Status, analyze  # noqa: E402
from readiness.engine.fixes.apply import FixRefused, fixes_of, plan, write  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "awesome-compose"
RANK = {Status.ERROR: 0, Status.FAIL: 1, Status.WARN: 2, Status.PASS: 3, Status.NA: 3}
BAD = (Status.FAIL, Status.WARN)


def projects(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.iterdir() if p.is_dir() and not p.name.startswith("."))


def apply_round(root: Path) -> tuple[int, int, int]:
    """(fixes applied, fixes waiting, refusals) for one --fix --write over ``root``."""
    report = analyze(root, fixes=True)
    try:
        planned = plan(root, fixes_of(report))
        write(root, planned.files)
    except FixRefused:
        return 0, 0, 1
    return len(planned.applied), len(planned.deferred), 0


def outcome(corpus: Path) -> None:
    totals: Counter = Counter()
    improved: Counter = Counter()
    worse: list[str] = []
    for project in projects(corpus):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / project.name
            shutil.copytree(project, root, symlinks=True)
            before = analyze(root, fixes=True)
            for result in before.results:
                if result.status in BAD:
                    totals["failing checks"] += 1
                    totals["failing checks with an edit"] += any(f.edits for f in result.fixes)
            applied, waiting, refused = apply_round(root)
            again = apply_round(root) if waiting else (0, 0, 0)
            totals["fixes applied"] += applied + again[0]
            totals["fixes still waiting after two rounds"] += again[1]
            totals["refusals"] += refused + again[2]
            after = analyze(root)
            for result in before.results:
                new = after.result(result.id).status
                if RANK[new] < RANK[result.status]:
                    worse.append(f"{project.name}: {result.id} {result.status} -> {new}")
                elif result.status in BAD and new in (Status.PASS, Status.NA):
                    improved[result.id] += 1
            totals["projects"] += 1
    print("Outcome over the corpus (every fix applied, a second round for the waiting ones):")
    for key, value in totals.items():
        print(f"  {key:<40} {value}")
    print(f"  {'failing checks that now pass':<40} {sum(improved.values())}")
    for check_id, count in improved.most_common():
        print(f"    {check_id:<38} {count}")
    print(f"  {'checks that got worse':<40} {len(worse)}")
    for line in worse:
        print(f"    {line}")


def cost(corpus: Path, rounds: int) -> None:
    folders = projects(corpus)
    plain, fixed = [], []
    for _ in range(rounds):
        for label, times in (("plain", plain), ("fixes", fixed)):
            start = time.perf_counter()
            for folder in folders:
                analyze(folder, fixes=label == "fixes")
            times.append(time.perf_counter() - start)
    a, b = statistics.median(plain), statistics.median(fixed)
    print(f"Cost: {len(folders)} projects, median of {rounds} alternating rounds, in process")
    print(f"  analyze(project)               {a * 1000:8.1f} ms")
    print(f"  analyze(project, fixes=True)   {b * 1000:8.1f} ms   ({b / a:.2f}x)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"no corpus at {args.corpus} (pass --corpus DIR)")
        return 0
    outcome(args.corpus)
    cost(args.corpus, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
