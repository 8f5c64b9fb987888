"""Whole-process figures for `readiness scan` beside hadolint, printed side by side in one run.

    .venv/bin/python bench/cli_bench.py [--runs 9] [--copies 29] [--no-install]

Prints figures (docs/benchmarks.md records a run); it asserts nothing. Every figure is a whole
process timed from outside (start-up, imports and set-up included): wall time from a monotonic
clock around the child, CPU time (user + system) and peak RSS from os.wait4, the kernel's own
accounting of that child.

1. A large tree: the Dockerfiles of the awesome-compose corpus copied --copies times (each at its
   path in its example repository) plus those of tests/engine/fixtures: 1,000+ Dockerfiles. Ours:
   one `scan` of the tree (every check; the Dockerfile, .dockerignore and CI checks find work).
   hadolint: one process over every Dockerfile of the same tree (`--no-fail`, files as arguments),
   as its users lint a repository. Throughput is Dockerfiles per second of each; best of 3 runs.
   For scale, also one scan of the whole corpus copied as often (compose files and the rest too:
   work hadolint does not do), beside the same hadolint figure.
2. A small repository as a CI step sees it: 3 Dockerfiles, a compose file (react-express-mysql's
   frontend and backend, flask's Dockerfile as a worker) and a .gitignore. Ours and hadolint (on
   the 3 Dockerfiles) run in turn, A B A B..., --runs times each; the figure is the median of
   each and the median of the pair-by-pair ratios, which stays meaningful when the machine's
   speed drifts.
   Ours is measured twice: the `readiness` console script of a wheel installed into a fresh venv
   (what `pip install`/`pipx install` gives; pip compiles the bytecode), and `python -m readiness`
   from this checkout (bytecode compiled first, as any second run has it).
3. Memory: the peak RSS of the large-tree scan of 1 (its whole process), against the 200 MB budget.

hadolint 2.15 cannot parse a heredoc followed directly by another line (DL1000) and then stops
early; so that both tools read every file whole, every Dockerfile copy gets a blank line after
each heredoc terminator (bench/engine_bench.py's hadolint_friendly, a no-op for Docker).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.engine_bench import DEFAULT_CORPUS, hadolint_friendly, is_dockerfile  # noqa: E402
from readiness.engine.lint import find_hadolint  # noqa: E402

FIXTURES = REPO / "tests" / "engine" / "fixtures"
SMALL_REPOSITORY = {
    "frontend/Dockerfile": "react-express-mysql/frontend/Dockerfile",
    "backend/Dockerfile": "react-express-mysql/backend/Dockerfile",
    "worker/Dockerfile": "flask/app/Dockerfile",
    "compose.yaml": "react-express-mysql/compose.yaml",
}


@dataclass(frozen=True)
class Sample:
    wall: float
    cpu: float
    rss_mb: float
    returncode: int


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> Sample:
    start = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, process.returncode)


def copy_dockerfile(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(hadolint_friendly(source.read_text(errors="replace")))


def build_tree(corpus: Path, tree: Path, copies: int, *, whole: bool = False) -> list[str]:
    """The corpus's Dockerfiles (``whole``: all its files) copied ``copies`` times, plus the
    fixtures' Dockerfiles; returns the Dockerfiles, relative to ``tree``."""
    for index in range(copies):
        target = tree / f"copy{index:02d}"
        if whole:
            shutil.copytree(corpus, target, ignore=shutil.ignore_patterns(".git"), symlinks=True)
        for path in corpus.rglob("*"):
            if path.is_file() and not path.is_symlink() and is_dockerfile(path.name):
                copy_dockerfile(path, target / path.relative_to(corpus))
    for path in sorted(FIXTURES.rglob("*")):
        if path.is_file() and not path.is_symlink() and is_dockerfile(path.name):
            copy_dockerfile(path, tree / "fixtures" / path.relative_to(FIXTURES))
    return sorted(
        str(path.relative_to(tree))
        for path in tree.rglob("*")
        if path.is_file() and not path.is_symlink() and is_dockerfile(path.name)
    )


# A repository has one; reading it (and pathspec's import) is part of the start-up measured.
SMALL_GITIGNORE = "node_modules/\n.env\n*.pyc\n__pycache__/\ndist/\nbuild/\ncoverage/\n"


def build_small(corpus: Path, small: Path) -> None:
    (small / ".gitignore").parent.mkdir(parents=True, exist_ok=True)
    (small / ".gitignore").write_text(SMALL_GITIGNORE)
    for target, source in SMALL_REPOSITORY.items():
        path = small / target
        if is_dockerfile(path.name):
            copy_dockerfile(corpus / source, path)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(corpus / source, path)


def install_wheel(venv_dir: Path) -> Path:
    """A fresh venv with this checkout installed as a user would; returns its `readiness` script."""
    venv.EnvBuilder(with_pip=True).create(venv_dir)
    pip = [str(venv_dir / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    done = subprocess.run([*pip, str(REPO)], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"pip install of the checkout failed:\n{done.stderr[-3000:]}")
    return venv_dir / "bin" / "readiness"


def best(samples: list[Sample]) -> Sample:
    return min(samples, key=lambda s: s.wall)


def large_tree(
    hadolint: str, tree: Path, whole: Path, dockerfiles: list[str], scan: tuple[list[str], dict]
) -> None:
    command, env = scan
    json_out = ["--format", "json", "--output", os.devnull]
    ours = [run([*command, str(tree), *json_out], tree, env) for _ in range(3)]
    # hadolint takes every file on one command line, as `hadolint $(git ls-files '*Dockerfile*')`.
    theirs = [run([hadolint, "--no-fail", *dockerfiles], tree) for _ in range(3)]
    corpus = run([*command, str(whole), *json_out], whole, env)
    a, b = best(ours), best(theirs)
    count = len(dockerfiles)
    print(f"## 1. One process over a tree of {count} Dockerfiles")
    print(f"{'':36}{'wall s':>8}{'CPU s':>8}{'Dockerfiles/s':>15}{'peak MB':>9}   hadolint / ours")
    rows = (("readiness scan (JSON report)", a), ("  the whole corpus copied (1 run)", corpus))
    for label, x in rows:
        ratio = f"{b.wall / x.wall:5.1f}x wall {b.cpu / x.cpu:5.1f}x CPU"
        print(f"{label:36}{x.wall:8.2f}{x.cpu:8.2f}{count / x.wall:15.0f}{x.rss_mb:9.1f}   {ratio}")
    print(f"{'hadolint, one process':36}{b.wall:8.2f}{b.cpu:8.2f}{count / b.wall:15.0f}{b.rss_mb:9.1f}")
    print(
        f"throughput ours / hadolint: {b.wall / a.wall:.1f}x wall, {b.cpu / a.cpu:.1f}x CPU (target >= 20x); "
        f"exit codes {a.returncode} / {b.returncode}"
    )
    print()
    print("## 3. Memory")
    print(f"peak RSS of the {count}-Dockerfile scan: {a.rss_mb:.1f} MB (target < 200 MB)")
    print(f"peak RSS of the whole-corpus scan: {corpus.rss_mb:.1f} MB")
    print()


def small_repository(
    hadolint: str, small: Path, commands: dict[str, tuple[list[str], dict]], runs: int
) -> None:
    dockerfiles = sorted(t for t in SMALL_REPOSITORY if is_dockerfile(Path(t).name))
    theirs_command = [hadolint, "--no-fail", *dockerfiles]
    print(f"## 2. A small repository as a CI step runs it (3 Dockerfiles + compose), median of {runs} pairs")
    print(f"{'':40}{'wall s':>9}{'CPU s':>9}{'peak MB':>9}{'ratio wall':>12}{'ratio CPU':>11}")
    for label, (command, env) in commands.items():
        ours, theirs = [], []
        run(command, small, env), run(theirs_command, small)  # warm the page cache, not counted
        for _ in range(runs):
            ours.append(run(command, small, env))
            theirs.append(run(theirs_command, small))
        wall_ratio = statistics.median(a.wall / b.wall for a, b in zip(ours, theirs, strict=True))
        cpu_ratio = statistics.median(a.cpu / b.cpu for a, b in zip(ours, theirs, strict=True))
        for name, samples in ((label, ours), ("  hadolint, the same 3 files", theirs)):
            wall = statistics.median(s.wall for s in samples)
            cpu = statistics.median(s.cpu for s in samples)
            rss = statistics.median(s.rss_mb for s in samples)
            ratios = f"{wall_ratio:12.2f}{cpu_ratio:11.2f}" if samples is ours else ""
            print(f"{name:40}{wall:9.3f}{cpu:9.3f}{rss:9.1f}{ratios}")
    print("ratio = ours / hadolint, pair by pair (target <= 1.00: no slower than hadolint)")
    print()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help=f"default: {DEFAULT_CORPUS}")
    parser.add_argument("--runs", type=int, default=9, help="pairs of runs for the small repository")
    parser.add_argument("--copies", type=int, default=29, help="copies of the corpus in the large tree")
    parser.add_argument(
        "--no-install", action="store_true", help="skip the installed wheel; time python -m readiness only"
    )
    args = parser.parse_args()
    hadolint = find_hadolint()
    if not args.corpus.is_dir() or hadolint is None:
        print(f"needs the corpus ({args.corpus}) and hadolint (requirements-dev.txt); skipped")
        return 0
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    version = subprocess.run([hadolint, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"python {sys.version.split()[0]}; {version}; {os.cpu_count()} CPUs, load average {load}\n")
    # Bytecode for the checkout's run, as any run after the first has it (pip does this on install).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "readiness")], check=True)
    with tempfile.TemporaryDirectory(prefix="readiness-cli-bench-") as tmp:
        tmp = Path(tmp)
        # python -m readiness finds the checkout on PYTHONPATH; the installed script must not see it.
        clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        checkout = ([sys.executable, "-m", "readiness", "scan"], {**clean, "PYTHONPATH": str(REPO)})
        scan = checkout
        commands = {}
        if not args.no_install:
            script = install_wheel(tmp / "venv")
            scan = ([str(script), "scan"], clean)
            commands["readiness scan . (installed wheel)"] = ([str(script), "scan", "."], clean)
        commands["python -m readiness scan . (checkout)"] = ([*checkout[0], "."], checkout[1])
        small = tmp / "small"
        build_small(args.corpus, small)
        small_repository(hadolint, small, commands, args.runs)
        dockerfiles = build_tree(args.corpus, tmp / "tree", args.copies)
        build_tree(args.corpus, tmp / "whole", args.copies, whole=True)
        large_tree(hadolint, tmp / "tree", tmp / "whole", dockerfiles, scan)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
