"""The engine on the panel of real projects (tests/engine/realworld/): scores and failure rates.

    .venv/bin/python bench/realworld_bench.py [--before GIT_REF] [--markdown]

Prints, per project, its overall score with this checkout's engine and, given --before, with the
engine of another commit (its `readiness/` package is extracted with `git archive` into a temporary
folder and run as `python -m readiness scan --format json` from there). Then, per check, on how
many projects it fails or warns out of those it applies to (na excluded), which docs/checks.md
("On real projects") records and discusses. health.* checks need a live URL and are left out.
It is not a test; tests/engine/test_realworld_panel.py holds the statuses judged by hand.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PANEL = ROOT / "tests" / "engine" / "realworld"


def scan(project: Path, engine_dir: Path) -> dict:
    """The JSON report of `python -m readiness scan` run with the engine found in ``engine_dir``."""
    completed = subprocess.run(
        [sys.executable, "-m", "readiness", "scan", str(project), "--format", "json"],
        cwd=engine_dir,
        env={"PYTHONPATH": str(engine_dir), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    return json.loads(completed.stdout)


def extract_engine(ref: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", ref, "readiness"],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="a git ref whose engine gives the 'before' scores")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    args = parser.parse_args()

    projects = sorted(p for p in PANEL.iterdir() if p.is_dir())
    after = {p.name: scan(p, ROOT) for p in projects}
    before = {}
    if args.before:
        with tempfile.TemporaryDirectory() as tmp:
            engine = extract_engine(args.before, Path(tmp))
            before = {p.name: scan(p, engine) for p in projects}

    md = args.markdown
    header = "| project | before | after |\n|---|---|---|"
    print(header if md else f"{'project':32} {'before':>7} {'after':>6}")
    for name, report in after.items():
        old = f"{before[name]['score']:.1f}" if name in before else "-"
        new = f"{report['score']:.1f}"
        print(f"| {name} | {old} | {new} |" if md else f"{name:32} {old:>7} {new:>6}")
    if before:
        olds = [r["score"] for r in before.values()]
        news = [r["score"] for r in after.values()]
        print(
            f"\nrange before {min(olds):.1f}-{max(olds):.1f} (mean {sum(olds) / len(olds):.1f}), "
            f"after {min(news):.1f}-{max(news):.1f} (mean {sum(news) / len(news):.1f})"
        )

    applies: Counter = Counter()
    flagged: Counter = Counter()
    where: dict[str, list[str]] = {}
    order: list[str] = []
    for name, report in after.items():
        for check in report["checks"]:
            check_id = check["id"]
            if check_id.startswith("health."):
                continue
            if check_id not in order:
                order.append(check_id)
            if check["status"] == "na":
                continue
            applies[check_id] += 1
            if check["status"] in ("fail", "warn", "error"):
                flagged[check_id] += 1
                where.setdefault(check_id, []).append(name)
    print()
    header = "| check | fails or warns | on |\n|---|---|---|"
    print(header if md else f"{'check':36} flagged/applies  projects")
    for check_id in order:
        rate = f"{flagged[check_id]}/{applies[check_id]}"
        names = ", ".join(where.get(check_id, []))
        print(f"| `{check_id}` | {rate} | {names} |" if md else f"{check_id:36} {rate:>7}          {names}")


if __name__ == "__main__":
    main()
