"""Engine benchmark: robustness over the corpus, speed and agreement beside hadolint, memory on 1,000 files.

    .venv/bin/python bench/engine_bench.py [--corpus DIR] [--rounds N]

Prints figures (docs/benchmarks.md records a run); it is not a test and asserts nothing.

1. Robustness: every Dockerfile and compose file of the corpus (found by name, independently of
   the engine's discovery) is scanned with each top-level folder as a repository; a crash is an
   exception out of analyze() or a check reporting an internal error. A file is accounted for
   when some check names it in its evidence or the report lists it as skipped.
2. Speed: each corpus Dockerfile alone in its own folder. Ours: analyze(folder, only=dockerfile.*)
   in process (discovery, parsing, linking and the 14 dockerfile checks), and one
   `python -m readiness scan` process over all the folders. hadolint: `--format json` one process
   per file, as a CI step per Dockerfile would, and one process over all files. Each figure is
   the best of N rounds, in wall time and in CPU time (user + system, children included), which
   a busy machine disturbs less.
3. Memory: a generated tree of 1,000 files (Dockerfiles and compose files from the corpus, with
   variations) scanned by `python -m readiness scan` in a child process; its max RSS comes from
   os.wait4, so no other child (hadolint) counts.
4. Agreement: per file, whether our check flags it (fail/warn/error) and whether hadolint reports
   one of the overlapping rules, for four pairs.

hadolint 2.15 cannot parse a heredoc directly followed by another line (DL1000). So that both tools
judge the same parsed text, the copies get a blank line after each heredoc terminator (a no-op for
Docker); files hadolint still cannot parse are left out of the agreement and listed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from readiness.engine import CheckResult, Status, analyze  # noqa: E402
from readiness.engine.lint import find_hadolint  # noqa: E402
from readiness.engine.registry import all_ids  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "awesome-compose"
TREE_FILES = 1000
PAIRS = {
    "dockerfile.base_image_pinned": ("DL3006", "DL3007"),
    "dockerfile.apt_hygiene": ("DL3009", "DL3015"),
    "dockerfile.pip_no_cache": ("DL3042",),
    "dockerfile.exec_form": ("DL3025",),
}
FLAGGED = {Status.FAIL, Status.WARN, Status.ERROR}
SCAN = (sys.executable, "-m", "readiness", "scan")
HADOLINT_JSON = ("--format", "json", "--no-fail")
HEREDOC_OPEN = re.compile(r"(?<!<)<<-?([\"']?)([A-Za-z_][A-Za-z0-9_]*)\1")


def is_dockerfile(name: str) -> bool:
    return (
        name in ("Dockerfile", "Containerfile")
        or name.startswith("Dockerfile.")
        or name.endswith(".Dockerfile")
    )


def is_compose(name: str) -> bool:
    return bool(re.fullmatch(r"(docker-)?compose([.-][\w.-]+)?\.ya?ml", name))


def corpus_files(corpus: Path) -> tuple[list[Path], list[Path]]:
    dockerfiles, composes = [], []
    for dirpath, dirnames, filenames in os.walk(corpus):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if is_dockerfile(name):
                dockerfiles.append(path)
            elif is_compose(name):
                composes.append(path)
    return dockerfiles, composes


# 1. Robustness ---------------------------------------------------------------------------------


def robustness(corpus: Path, files: list[Path]) -> None:
    crashes: list[str] = []
    accounted: set[Path] = set()
    repositories = sorted(p for p in corpus.iterdir() if p.is_dir())
    for repository in repositories:
        try:
            report = analyze(repository)
        except Exception as exc:  # the figure we are after: it must never happen
            crashes.append(f"{repository.name}: analyze raised {type(exc).__name__}: {exc}")
            continue
        for result in report.results:
            for evidence in result.evidence + result.dev_evidence:
                if evidence.message.startswith("internal error in check"):
                    crashes.append(f"{repository.name}: {result.id}: {evidence.message}")
                if evidence.file:
                    accounted.add(repository / evidence.file)
        accounted.update(repository / skipped.file for skipped in report.skipped)
    missing = [f for f in files if f not in accounted]
    print("## Robustness")
    print(f"repositories scanned: {len(repositories)}; Dockerfiles and compose files: {len(files)}")
    print(f"crashes: {len(crashes)}")
    for crash in crashes:
        print(f"  {crash}")
    print(f"files accounted for (a status or a reported skip): {len(files) - len(missing)}/{len(files)}")
    for path in missing:
        print(f"  not accounted for: {path.relative_to(corpus)}")
    print()


# 2. Speed and 4. agreement ---------------------------------------------------------------------


def hadolint_friendly(text: str) -> str:
    """The same Dockerfile with a blank line after each heredoc terminator (hadolint 2.15 needs it)."""
    lines, pending = [], []
    for line in text.splitlines():
        lines.append(line)
        if pending and line.strip() == pending[0]:
            pending.pop(0)
            if not pending:
                lines.append("")
        elif not pending:
            pending = [m.group(2) for m in HEREDOC_OPEN.finditer(line)]
    return "\n".join(lines) + "\n"


def prepare_copies(corpus: Path, dockerfiles: list[Path], work: Path) -> dict[str, Path]:
    """folder name -> original path; each folder holds one Dockerfile."""
    copies = {}
    for index, original in enumerate(dockerfiles):
        folder = work / f"df{index:03d}"
        folder.mkdir()
        (folder / "Dockerfile").write_text(hadolint_friendly(original.read_text(errors="replace")))
        copies[folder.name] = original.relative_to(corpus)
    return copies


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float  # user + system seconds of this process and its children: steadier on a busy machine


def _cpu_seconds() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def best_of(rounds: int, work: Callable[[], object]) -> Timing:
    walls, cpus = [], []
    for _ in range(rounds):
        wall, cpu = time.perf_counter(), _cpu_seconds()
        work()
        walls.append(time.perf_counter() - wall)
        cpus.append(_cpu_seconds() - cpu)
    return Timing(min(walls), min(cpus))


def time_ours(
    work: Path, folders: list[str], rounds: int
) -> tuple[Timing, dict[str, dict[str, CheckResult]]]:
    only = [check_id for check_id in all_ids() if check_id.startswith("dockerfile.")]
    analyze(work / folders[0], only=only)  # import and registry warm-up, as any process pays once
    results: dict[str, dict[str, CheckResult]] = {}

    def scan_each() -> None:
        for folder in folders:
            results[folder] = {result.id: result for result in analyze(work / folder, only=only).results}

    return best_of(rounds, scan_each), results


def time_ours_cli(work: Path, rounds: int) -> Timing:
    command = [*SCAN, str(work), "--only", "dockerfile", "--format", "json"]
    return best_of(rounds, lambda: subprocess.run(command, cwd=REPO, capture_output=True, check=True))


def time_hadolint(
    hadolint: str, work: Path, folders: list[str], rounds: int
) -> tuple[Timing, Timing, dict[str, list[dict]]]:
    paths = [f"{folder}/Dockerfile" for folder in folders]

    def lint_each() -> None:
        for path in paths:
            subprocess.run([hadolint, *HADOLINT_JSON, path], cwd=work, capture_output=True, check=True)

    outputs = []

    def lint_all() -> None:
        command = [hadolint, *HADOLINT_JSON, *paths]
        outputs.append(subprocess.run(command, cwd=work, capture_output=True, check=True, text=True).stdout)

    per_file, batch = best_of(rounds, lint_each), best_of(rounds, lint_all)
    findings: dict[str, list[dict]] = defaultdict(list)
    for item in json.loads(outputs[-1] or "[]"):
        findings[item["file"].split("/")[0]].append(item)
    return per_file, batch, findings


def unparsable_originals(hadolint: str, corpus: Path, dockerfiles: list[Path]) -> list[Path]:
    paths = [str(p.relative_to(corpus)) for p in dockerfiles]
    completed = subprocess.run(
        [hadolint, *HADOLINT_JSON, *paths],
        cwd=corpus,
        capture_output=True,
        text=True,
        check=True,
    )
    return sorted({Path(i["file"]) for i in json.loads(completed.stdout or "[]") if i["code"] == "DL1000"})


def speed(
    count: int, ours: Timing, ours_cli: Timing, hadolint_per_file: Timing, hadolint_batch: Timing
) -> None:
    def rate(timing: Timing) -> str:
        return f"{count / timing.wall:7.1f} files/s wall, {count / timing.cpu:7.1f} files/s of CPU"

    def ratio(slow: Timing, fast: Timing) -> str:
        return f"{slow.wall / fast.wall:.1f}x wall, {slow.cpu / fast.cpu:.1f}x CPU"

    print(f"## Speed ({count} Dockerfiles, checks included)")
    print(f"ours, in process (analyze per file)   {rate(ours)}")
    print(f"ours, one CLI process over all        {rate(ours_cli)}")
    print(f"hadolint, one process per file        {rate(hadolint_per_file)}")
    print(f"hadolint, one process over all        {rate(hadolint_batch)}")
    # The throughput target (whole process, 1,000+ files vs one hadolint process) is bench/cli_bench.py's.
    print(f"ours in process vs hadolint per file:    {ratio(hadolint_per_file, ours)}")
    print(f"ours in process vs hadolint one process: {ratio(hadolint_batch, ours)}")
    print(f"ours CLI vs hadolint one process:        {ratio(hadolint_batch, ours_cli)}")
    print()


def explain(check_id: str, lines: list[str], ours: CheckResult, theirs: list[dict]) -> str | None:
    """The known, documented reason for a disagreement (docs/checks.md), or None."""
    our_lines = [e.line for e in ours.evidence if e.line] if ours.status in FLAGGED else []
    if our_lines and not theirs and all("<<" in lines[n - 1] for n in our_lines):
        return "in a RUN heredoc body, which hadolint does not lint"
    healthcheck_only = all(lines[i["line"] - 1].lstrip().upper().startswith("HEALTHCHECK") for i in theirs)
    if check_id == "dockerfile.exec_form" and theirs and ours.status not in FLAGGED and healthcheck_only:
        return "HEALTHCHECK CMD, out of scope for exec_form; hadolint's DL3025 includes it"
    return None


def agreement(
    work: Path,
    copies: dict[str, Path],
    results: dict[str, dict[str, CheckResult]],
    findings: dict[str, list[dict]],
) -> None:
    parsed = [f for f in copies if not any(i["code"] == "DL1000" for i in findings.get(f, []))]
    print("## Agreement with hadolint (flagged = fail/warn/error for us, any listed rule for hadolint)")
    print(f"files both tools parse: {len(parsed)}/{len(copies)}")
    for folder in sorted(set(copies) - set(parsed)):
        print(f"  hadolint cannot parse (left out): {copies[folder]}")
    for check_id, codes in PAIRS.items():
        disagreements, explained = [], 0
        for folder in parsed:
            ours = results[folder].get(check_id, CheckResult(check_id, Status.NA))
            theirs = [i for i in findings.get(folder, []) if i["code"] in codes]
            if (ours.status in FLAGGED) == bool(theirs):
                continue
            lines = (work / folder / "Dockerfile").read_text().splitlines()
            reason = explain(check_id, lines, ours, theirs)
            explained += reason is not None
            hadolint_says = ", ".join(sorted({f"{i['code']} line {i['line']}" for i in theirs})) or "nothing"
            where = ", ".join(f"line {e.line}" for e in ours.evidence if e.line and ours.status in FLAGGED)
            disagreements.append(
                f"  {copies[folder]}: ours {ours.status}{' (' + where + ')' if where else ''}, "
                f"hadolint {hadolint_says}: {reason or 'UNEXPLAINED'}"
            )
        agreed = len(parsed) - len(disagreements)
        print(
            f"{check_id} <-> {'/'.join(codes)}: {100 * agreed / len(parsed):.1f}% ({agreed}/{len(parsed)}); "
            f"counting the explained differences: {100 * (agreed + explained) / len(parsed):.1f}%"
        )
        for line in disagreements:
            print(line)
    print()


# 3. Memory -------------------------------------------------------------------------------------


def generate_tree(dockerfiles: list[Path], composes: list[Path], tree: Path, total: int = TREE_FILES) -> int:
    """``total`` files: one Dockerfile and one compose file per project folder, with variations."""
    dockerfile_names = ("Dockerfile", "Dockerfile.prod", "api.Dockerfile")
    compose_names = ("compose.yaml", "docker-compose.yml", "compose.prod.yml")
    for index in range(total // 2):
        folder = tree / f"team{index % 10}" / f"service{index:04d}"
        folder.mkdir(parents=True)
        dockerfile = dockerfiles[index % len(dockerfiles)].read_text(errors="replace")
        if index % 4 == 1:
            dockerfile = re.sub(r"^(FROM\s+\S+?):[\w.-]+", r"\1:latest", dockerfile, count=1, flags=re.M)
        (folder / dockerfile_names[index % 3]).write_text(f'{dockerfile}\nLABEL bench.variant="{index}"\n')
        compose = composes[index % len(composes)].read_text(errors="replace")
        (folder / compose_names[index % 3]).write_text(f"# variant {index}\n{compose}")
    return sum(1 for _ in tree.rglob("*") if _.is_file())


def memory(tree: Path, files: int) -> None:
    command = [*SCAN, str(tree), "--format", "json", "--output", os.devnull]
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode() if process.stderr else ""
    print("## Memory (one scan of a generated tree)")
    print(f"files: {files}; exit code {process.returncode}{': ' + stderr.strip() if stderr.strip() else ''}")
    print(f"max RSS: {usage.ru_maxrss / 1024:.1f} MB (target < 200 MB); wall time {elapsed:.2f} s")
    print()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--rounds", type=int, default=3, help="every timing is the best of N rounds")
    args = parser.parse_args()
    corpus = args.corpus.resolve()
    dockerfiles, composes = corpus_files(corpus)
    hadolint = find_hadolint()
    print(f"corpus: {corpus} ({len(dockerfiles)} Dockerfiles, {len(composes)} compose files)")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"python {sys.version.split()[0]}; hadolint: {hadolint or 'not installed'}")
    print(f"{os.cpu_count()} CPUs, load average {load} (timings are the best of {args.rounds} rounds)\n")

    robustness(corpus, dockerfiles + composes)
    with tempfile.TemporaryDirectory(prefix="readiness-bench-") as tmp:
        work, tree = Path(tmp) / "dockerfiles", Path(tmp) / "tree"
        work.mkdir()
        copies = prepare_copies(corpus, dockerfiles, work)
        folders = sorted(copies)
        ours, results = time_ours(work, folders, args.rounds)
        ours_cli = time_ours_cli(work, args.rounds)
        if hadolint:
            unparsable = unparsable_originals(hadolint, corpus, dockerfiles)
            print(
                f"hadolint cannot parse {len(unparsable)}/{len(dockerfiles)} corpus Dockerfiles as they are"
            )
            print(
                "(DL1000; a blank line after each heredoc terminator fixes most: the copies below have it)\n"
            )
            per_file, batch, findings = time_hadolint(hadolint, work, folders, args.rounds)
            speed(len(folders), ours, ours_cli, per_file, batch)
            agreement(work, copies, results, findings)
        else:
            print(f"ours, in process: {len(folders) / ours.wall:.1f} files/s; no hadolint, no comparison\n")
        memory(tree, generate_tree(dockerfiles, composes, tree))
        shutil.rmtree(tree)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
