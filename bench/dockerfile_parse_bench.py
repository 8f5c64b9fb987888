"""The engine's own Dockerfile line splitter beside dockerfile-parse, side by side in one run.

    .venv/bin/python bench/dockerfile_parse_bench.py [--runs 9] [--copies 29] [--rounds 20]

The engine splits a Dockerfile into logical lines itself (``readiness.engine.dockerfile.
_logical_lines``), exactly as dockerfile-parse's ``structure`` does (tests/engine/test_dockerfile_lines.py
compares them), instead of depending on dockerfile-parse. This prints what that choice is worth;
docs/architecture.md records a run and the decision. It asserts nothing.

"with dockerfile-parse" is the same engine with ``_logical_lines`` replaced by a function that asks
``DockerfileParser(fileobj=...).structure`` (comments left out), the way the engine would use the
library: every other step of the scan is the same code.

1. Start-up, as a CI step runs the scanner on a small repository (3 Dockerfiles, a compose file and a
   .gitignore, as bench/cli_bench.py builds it): ``python -m readiness scan .`` each way, whole
   process, in turn A B A B... --runs times; medians and the median of the pair-by-pair ratios. Also
   the bare import of each splitter's module, whole process, the same way.
2. Throughput in one process: one ``scan`` (JSON report) of a tree of 1,000+ Dockerfiles (the
   corpus's copied --copies times plus the fixtures'), each way, best of 3; and the splitting alone
   in this process, every Dockerfile text of that tree split --rounds times by each (Dockerfiles/s).

Whole-process figures: wall time from a monotonic clock around the child, CPU time (user + system)
and peak RSS from os.wait4.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.cli_bench import Sample, best, build_small, build_tree, run  # noqa: E402
from tests.shared_dir import SHARED_OR_MISSING  # noqa: E402

DEFAULT_CORPUS = SHARED_OR_MISSING / "corpus" / "awesome-compose"

# The engine with dockerfile-parse as its splitter: the command line, unchanged otherwise.
WITH_DOCKERFILE_PARSE = """
import io, sys
from dockerfile_parse import DockerfileParser
import readiness.engine.dockerfile as dockerfile

def logical_lines(text):
    parser = DockerfileParser(fileobj=io.BytesIO(text.encode("utf-8", "surrogatepass")))
    return [item for item in parser.structure if item["instruction"] != "COMMENT"]

dockerfile._logical_lines = logical_lines
sys.argv = ["python -m readiness", *sys.argv[1:]]
from readiness.engine.cli import console_main
console_main(prog="python -m readiness")
"""


def commands(scan_args: list[str]) -> dict[str, list[str]]:
    return {
        "engine's splitter": [sys.executable, "-m", "readiness", *scan_args],
        "with dockerfile-parse": [sys.executable, "-c", WITH_DOCKERFILE_PARSE, *scan_args],
    }


def alternate(pair: dict[str, list[str]], cwd: Path, env: dict, runs: int) -> dict[str, list[Sample]]:
    samples: dict[str, list[Sample]] = {label: [] for label in pair}
    for command in pair.values():
        run(command, cwd, env)  # warm the page cache and the bytecode, not counted
    for _ in range(runs):
        for label, command in pair.items():
            samples[label].append(run(command, cwd, env))
    return samples


def print_pair(title: str, samples: dict[str, list[Sample]]) -> None:
    (a_label, a), (b_label, b) = samples.items()
    print(title)
    print(f"{'':28}{'wall s':>9}{'CPU s':>9}{'peak MB':>9}")
    for label, rows in samples.items():
        wall = statistics.median(s.wall for s in rows)
        cpu = statistics.median(s.cpu for s in rows)
        rss = statistics.median(s.rss_mb for s in rows)
        print(f"{label:28}{wall:9.3f}{cpu:9.3f}{rss:9.1f}")
    wall_ratio = statistics.median(y.wall / x.wall for x, y in zip(a, b, strict=True))
    cpu_ratio = statistics.median(y.cpu / x.cpu for x, y in zip(a, b, strict=True))
    codes = sorted({s.returncode for rows in samples.values() for s in rows})
    print(f"{b_label} / {a_label}, pair by pair: {wall_ratio:.2f}x wall, {cpu_ratio:.2f}x CPU", end="")
    print(f"; exit codes {codes}")
    print()


def splitting_in_process(tree: Path, rounds: int) -> None:
    import io

    from dockerfile_parse import DockerfileParser

    from readiness.engine.discover import is_dockerfile_name
    from readiness.engine.dockerfile import _logical_lines

    texts = [
        path.read_text(errors="replace")
        for path in sorted(tree.rglob("*"))
        if path.is_file() and is_dockerfile_name(path.name)
    ]

    def library(text: str) -> list[dict]:
        parser = DockerfileParser(fileobj=io.BytesIO(text.encode("utf-8", "surrogatepass")))
        return [item for item in parser.structure if item["instruction"] != "COMMENT"]

    timings: dict[str, list[float]] = {"engine's splitter": [], "dockerfile-parse": []}
    for _ in range(rounds):
        for label, split in (("engine's splitter", _logical_lines), ("dockerfile-parse", library)):
            start = time.process_time()
            for text in texts:
                split(text)
            timings[label].append(time.process_time() - start)
    print(f"## 2b. Splitting alone, in one process: {len(texts)} Dockerfiles, {rounds} rounds, alternating")
    print(f"{'':28}{'CPU s / round':>14}{'Dockerfiles/s':>15}")
    for label, values in timings.items():
        median = statistics.median(values)
        print(f"{label:28}{median:14.4f}{len(texts) / median:15.0f}")
    ratio = statistics.median(timings["dockerfile-parse"]) / statistics.median(timings["engine's splitter"])
    print(f"dockerfile-parse / engine's splitter: {ratio:.1f}x CPU")
    print()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help=f"default: {DEFAULT_CORPUS}")
    parser.add_argument("--runs", type=int, default=9, help="pairs of whole-process runs")
    parser.add_argument("--copies", type=int, default=29, help="copies of the corpus in the large tree")
    parser.add_argument("--rounds", type=int, default=20, help="rounds of in-process splitting")
    args = parser.parse_args()
    try:
        import dockerfile_parse  # noqa: F401
    except ImportError:
        print("needs dockerfile-parse (requirements-dev.txt); skipped")
        return 0
    if not args.corpus.is_dir():
        print(f"needs the corpus ({args.corpus}); skipped")
        return 0
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"python {sys.version.split()[0]}; {os.cpu_count()} CPUs, load average {load}\n")
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "readiness")], check=True)
    env = {**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, "PYTHONPATH": str(REPO)}
    with tempfile.TemporaryDirectory(prefix="readiness-dfp-bench-") as tmp:
        tmp = Path(tmp)
        small = tmp / "small"
        build_small(args.corpus, small)
        print_pair(
            f"## 1. Start-up: `scan .` of a small repository (3 Dockerfiles, compose), {args.runs} pairs",
            alternate(commands(["scan", "."]), small, env, args.runs),
        )
        imports = {
            "engine's splitter": [sys.executable, "-c", "import readiness.engine.dockerfile"],
            "with dockerfile-parse": [
                sys.executable,
                "-c",
                "import readiness.engine.dockerfile, dockerfile_parse",
            ],
        }
        print_pair(
            f"## 1b. Start-up: importing the Dockerfile parser's module, {args.runs} pairs",
            alternate(imports, small, env, args.runs),
        )
        tree = tmp / "tree"
        count = len(build_tree(args.corpus, tree, args.copies))
        json_out = ["scan", str(tree), "--format", "json", "--output", os.devnull]
        print(f"## 2. Throughput: one scan of a tree of {count} Dockerfiles (JSON report), best of 3")
        print(f"{'':28}{'wall s':>9}{'CPU s':>9}{'per CPU s':>15}{'peak MB':>9}")
        results = {}
        for label, command in commands(json_out).items():
            results[label] = best([run(command, tree, env) for _ in range(3)])
            x = results[label]
            print(f"{label:28}{x.wall:9.2f}{x.cpu:9.2f}{count / x.cpu:15.0f}{x.rss_mb:9.1f}")
        a, b = results.values()
        ratios = f"{b.wall / a.wall:.2f}x wall, {b.cpu / a.cpu:.2f}x CPU"
        print(f"with dockerfile-parse / engine's splitter: {ratios}")
        print()
        splitting_in_process(tree, args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
