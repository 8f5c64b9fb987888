"""``python -m readiness``: scan a directory, or print the check catalog. No Django, no network.

Exit codes: 0 done; 1 the check score is under --fail-under (or the config's fail_under); 2 a usage or
I/O error, reported as one line on stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .analyze import ENGINE_VERSION, analyze
from .cli_fix import FixUsageError, add_fix_options, check_fix_options, explain, run_fix, wants_fixes
from .registry import all_ids

# Start-up is most of a small repository's scan: each output format, hadolint's runner and the
# catalog are imported where they are used, so `scan` loads only what its run needs.
# Not typing.TYPE_CHECKING: importing typing costs start-up time (type checkers know this form).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from .baseline import Comparison
    from .lint import LintReport
    from .model import ScanReport

EXAMPLES = """\
examples:
  readiness scan .
  readiness scan . --format sarif --output readiness.sarif
  readiness scan services/api --fail-under 7 --skip dockerfile.buildkit_cache
  readiness scan . --only dockerfile,dockerignore --with-hadolint
  readiness scan . --fix                 (a diff; add --write to apply it)
  readiness --explain dockerfile.non_root_user
  readiness scan . --format markdown --baseline .readiness-baseline.json
  readiness baseline write . --output .readiness-baseline.json
  readiness catalog --format markdown
"""


FORMATS = ("text", "json", "sarif", "markdown", "codequality")


class UsageError(Exception):
    """Reported as one line on stderr with exit code 2."""


class _Parser(argparse.ArgumentParser):
    # argparse prints the whole usage and exits; we want one line and our own exit path.
    def error(self, message: str):
        raise UsageError(message)


def _formatter(prog: str) -> argparse.HelpFormatter:
    # argparse builds a formatter per option and, given no width, imports shutil for the terminal's
    # (a tenth of a small scan's start-up). The same answer as shutil's: COLUMNS, the terminal, 80.
    try:
        width = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        try:
            width = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, OSError, ValueError):
            width = 80
    return argparse.RawDescriptionHelpFormatter(prog, width=max(width - 2, 40))


def build_parser(prog: str = "readiness") -> argparse.ArgumentParser:
    parser = _Parser(
        prog=prog,
        description="Readiness: check a repository's Docker setup for production readiness.",
        epilog=EXAMPLES,
        formatter_class=_formatter,
    )
    parser.add_argument("--version", action="version", version=f"readiness {ENGINE_VERSION}")
    parser.add_argument(
        "--explain", metavar="ID", help="what a check wants, why (the source document's line), an example"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    scan = commands.add_parser(
        "scan",
        formatter_class=_formatter,
        help="scan a directory and report its checks and score",
        description="Scan the Dockerfiles, compose files, .dockerignore and CI files under PATH, "
        "run every catalog check and print the report. Reads .readiness.yml at PATH if present.",
        epilog="exit codes: 0 done, 1 score under --fail-under (or a new finding with --baseline), "
        "2 usage or I/O error",
    )
    scan.add_argument("path", metavar="PATH", help="the directory to scan (a repository checkout)")
    scan.add_argument("--format", choices=FORMATS, default="text", help="default: text")
    scan.add_argument(
        "--also",
        action="append",
        metavar="FORMAT=FILE",
        type=_also,
        help="also write the report in FORMAT to FILE, from the same scan (repeatable; CI writes "
        "json, sarif and markdown at once)",
    )
    scan.add_argument(
        "--baseline",
        metavar="FILE",
        help="fail (exit 1) only on fail/error findings not in FILE, written by `baseline write`; "
        "the score gate then applies only when --fail-under is given",
    )
    scan.add_argument(
        "--fail-under",
        type=_score,
        metavar="N",
        help="exit 1 when the check score is under N (0-10); overrides fail_under in .readiness.yml",
    )
    scan.add_argument(
        "--changed",
        nargs="*",
        metavar="FILE",
        help="judge only findings in these files (paths relative to PATH; pre-commit passes the "
        "files being committed): the text report lists just those, and exit 1 when one fails",
    )
    _add_selection(scan)
    scan.add_argument(
        "--with-hadolint",
        action="store_true",
        help="also lint each Dockerfile with hadolint; shown apart and never scored",
    )
    scan.add_argument("--output", metavar="FILE", help="write the report to FILE instead of stdout")
    scan.add_argument(
        "--docs-url",
        metavar="URL",
        help="address of docs/checks.md, for the helpUri of each SARIF rule (URL#check-id)",
    )
    add_fix_options(scan)
    scan.set_defaults(handler=_scan)

    baseline = commands.add_parser(
        "baseline",
        formatter_class=_formatter,
        help="record today's findings, so that later scans fail only on new ones",
        description="Baselines: `scan --baseline FILE` fails only on findings not in FILE.",
    )
    baseline_commands = baseline.add_subparsers(dest="baseline_command", required=True, metavar="ACTION")
    write = baseline_commands.add_parser(
        "write",
        formatter_class=_formatter,
        help="scan PATH and write its findings to a baseline file",
        description="Scan PATH as `scan` does and write its findings (with their fingerprints, which "
        "survive line moves) and scores to FILE. Commit the file; `scan --baseline FILE` then fails "
        "only on findings not in it.",
    )
    write.add_argument("path", metavar="PATH", nargs="?", default=".", help="the directory (default: .)")
    write.add_argument("--output", metavar="FILE", help="default: PATH/.readiness-baseline.json")
    _add_selection(write)
    write.set_defaults(handler=_baseline_write)

    catalog = commands.add_parser(
        "catalog",
        formatter_class=_formatter,
        help="print the check catalog",
        description="Print every registered check.",
    )
    catalog.add_argument(
        "--format", choices=("markdown", "json"), default="markdown", help="default: markdown"
    )
    catalog.add_argument(
        "--update",
        metavar="FILE",
        help="rewrite the generated block of FILE (docs/checks.md) instead of printing",
    )
    catalog.set_defaults(handler=_catalog)
    return parser


def console_main(prog: str = "readiness") -> None:
    """The `readiness` command (pyproject.toml) and ``python -m readiness``: ``main()``, then exit
    without the interpreter's teardown. Freeing every module and object one by one costs about a
    tenth of a small repository's scan, and the operating system reclaims the memory at once
    anyway. Everything is written by then (files are closed as written); stdout and stderr are
    flushed here."""
    code = main(prog=prog)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):  # the reader went away (`readiness scan . | head`)
        pass
    os._exit(code)


def _add_selection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--only",
        action="append",
        metavar="IDS",
        help="run only these checks: comma-separated ids or families (dockerfile, compose...)",
    )
    parser.add_argument("--skip", action="append", metavar="IDS", help="do not run these checks (same form)")


def main(argv: list[str] | None = None, *, prog: str = "readiness") -> int:
    """The `readiness` console script (pyproject.toml) and ``python -m readiness``."""
    try:
        args = build_parser(prog).parse_args(argv)
        if args.explain is not None:
            sys.stdout.write(explain(args.explain))
            return 0
        if args.command is None:
            raise UsageError("the following arguments are required: COMMAND (scan, catalog) or --explain ID")
        return args.handler(args)
    except (UsageError, FixUsageError) as exc:
        print(f"readiness: error: {exc}", file=sys.stderr)
        return 2


def _scan(args: argparse.Namespace) -> int:
    root = _root(args.path)
    check_fix_options(args)
    comparison_base = _load_baseline(args.baseline) if args.baseline else None
    report = _analyze(root, args, fixes=wants_fixes(args))
    if "json" in (args.format, *(fmt for fmt, _ in args.also or ())):
        from .fixes.apply import attach_diffs  # only a JSON report shows each fix's diff

        attach_diffs(root, report)
    if args.fix:
        report = run_fix(args, report, root, lambda: _analyze(root, args), _write)
    try:
        lint = _lint(root) if args.with_hadolint and not args.fix else None
    except OSError as exc:
        raise UsageError(f"{args.path}: {exc.strerror or exc}") from exc
    comparison = None
    if comparison_base is not None:
        from .baseline import compare

        comparison = compare(report, comparison_base, path=args.baseline)
    if args.changed is not None:
        return _judge_changed(report, comparison, args)
    if not args.fix:
        _write(_render(report, lint, comparison, args), args.output)
        for fmt, output in args.also or ():
            _write(_render(report, lint, comparison, args, fmt=fmt, to_file=True), output)
    code = 0
    if comparison is not None and comparison.new_failing:
        first = comparison.new_failing[0]
        where = f"{first.evidence.file}:{first.evidence.line}" if first.evidence.line else first.evidence.file
        print(
            f"readiness: {len(comparison.new_failing)} new finding(s) since the baseline {args.baseline} "
            f"(first: {first.check} {where or '(repository)'})",
            file=sys.stderr,
        )
        code = 1
    # With a baseline, new findings are the gate; a score gate applies only when asked for explicitly.
    threshold = args.fail_under if args.fail_under is not None or comparison else report.fail_under
    if threshold is not None and (report.score is None or report.score < threshold):
        score = (
            "no check score (no check applied)" if report.score is None else f"check score {report.score:.1f}"
        )
        print(f"readiness: {score} is under the required {threshold:g}", file=sys.stderr)
        code = 1
    return code


def _judge_changed(report: ScanReport, comparison: Comparison | None, args: argparse.Namespace) -> int:
    """pre-commit's mode: the scan sees the whole repository (a Dockerfile's context, the compose
    file building it), but only findings in the files being committed are shown and can fail."""
    from .baseline import FAILING, findings

    changed = {Path(name).as_posix().removeprefix("./") for name in args.changed}
    candidates = comparison.new if comparison is not None else findings(report)
    focus = [f for f in candidates if f.evidence.file in changed]
    if args.format == "text":
        lines = [f"readiness: {len(focus)} finding(s) in {len(changed)} changed file(s)"]
        for finding in focus:
            where = (
                f"{finding.evidence.file}:{finding.evidence.line}"
                if finding.evidence.line
                else finding.evidence.file
            )
            lines.append(
                f"  {finding.status.upper():<5} {where}  {finding.check}  {finding.evidence.message}"
            )
        _write("\n".join(lines) + "\n", args.output)
    else:
        _write(_render(report, None, comparison, args), args.output)
    failing = [f for f in focus if f.status in FAILING]
    if failing:
        print(f"readiness: {len(failing)} failing finding(s) in the changed files", file=sys.stderr)
        return 1
    return 0


def _baseline_write(args: argparse.Namespace) -> int:
    from .baseline import DEFAULT_FILE, write_baseline

    root = _root(args.path)
    report = _analyze(root, args)
    output = Path(args.output) if args.output else root / DEFAULT_FILE
    try:
        document = write_baseline(report, output)
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from exc
    print(f"readiness: baseline of {len(document['findings'])} finding(s) written to {output}")
    return 0


def _root(path: str) -> Path:
    root = Path(path)
    if not root.exists():
        raise UsageError(f"{path}: no such directory")
    if not root.is_dir():
        raise UsageError(f"{path}: not a directory")
    return root


def _analyze(root: Path, args: argparse.Namespace, *, fixes: bool = False) -> ScanReport:
    """The scan, after a malformed .readiness.yml has stopped it: on the command line that is the
    user's own file, so it is an error (exit 2), where the web app ignores it with a note."""
    from .config import CONFIG_FILE, load_config

    only = _check_ids(args.only, "--only")
    skip = _check_ids(args.skip, "--skip")
    try:
        config = load_config(root.resolve())
        if config.error:
            raise UsageError(f"{root / CONFIG_FILE}: {config.error}")
        # The plain text report shows no fingerprint: a terminal or CI log scan skips them.
        plain = getattr(args, "format", None) == "text" and not (args.baseline or args.also)
        return analyze(root, only=only, skip=skip, gitignore=True, fingerprints=not plain, fixes=fixes)
    except OSError as exc:
        raise UsageError(f"{args.path}: {exc.strerror or exc}") from exc


def _load_baseline(path: str) -> dict:
    from .baseline import BaselineError, load_baseline

    try:
        return load_baseline(Path(path), engine_version=ENGINE_VERSION)
    except BaselineError as exc:
        raise UsageError(str(exc)) from exc


def _render(
    report: ScanReport,
    lint: LintReport | None,
    comparison: Comparison | None,
    args: argparse.Namespace,
    *,
    fmt: str | None = None,
    to_file: bool = False,
) -> str:
    fmt = fmt or args.format
    if fmt == "json":
        from .output.json import render_json

        return render_json(report, lint=lint, comparison=comparison)
    if fmt == "sarif":
        from .output.sarif import render_sarif

        return render_sarif(report, lint=lint, docs_url=args.docs_url, comparison=comparison)
    if fmt == "markdown":
        from .output.markdown import render_markdown

        return render_markdown(report, comparison=comparison)
    if fmt == "codequality":
        from .output.codequality import render_codequality

        return render_codequality(report, comparison=comparison)
    from .output.text import render_text

    color = not to_file and args.output is None and _stdout_wants_color()
    return render_text(report, lint=lint, color=color, comparison=comparison)


def _stdout_wants_color() -> bool:
    # https://no-color.org: any non-empty NO_COLOR turns colour off.
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _lint(root: Path) -> LintReport:
    from .discover import discover
    from .lint import LintUnavailable, run_hadolint

    inventory = discover(root, gitignore=True)
    unread = {skipped.file for skipped in inventory.skipped}
    try:
        return run_hadolint(root, [path for path in inventory.dockerfiles if path not in unread])
    except LintUnavailable as exc:
        raise UsageError(str(exc)) from exc


def _write(text: str, output: str | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from exc


def _check_ids(values: list[str] | None, option: str) -> set[str]:
    """Expand comma-separated ids and family names (``dockerfile``) into check ids."""
    known = all_ids()
    selected: set[str] = set()
    for item in (part.strip() for value in values or () for part in value.split(",")):
        if not item:
            continue
        matches = [check_id for check_id in known if check_id == item or check_id.startswith(item + ".")]
        if not matches:
            raise UsageError(f"unknown check id {item!r} in {option} (see: readiness catalog)")
        selected.update(matches)
    return selected


def _also(text: str) -> tuple[str, str]:
    fmt, _, output = text.partition("=")
    if fmt not in FORMATS or not output:
        raise argparse.ArgumentTypeError(
            f"expected FORMAT=FILE with FORMAT one of {', '.join(FORMATS)}, not {text!r}"
        )
    return fmt, output


def _score(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 10:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 10, not {text!r}")
    return value


def _catalog(args: argparse.Namespace) -> int:
    from .output.catalog import render_catalog_json, render_catalog_markdown, replace_catalog_block

    if args.update is None:
        sys.stdout.write(render_catalog_json() if args.format == "json" else render_catalog_markdown())
        return 0
    if args.format != "markdown":
        raise UsageError("--update writes the markdown catalog; drop --format json")
    path = Path(args.update)
    try:
        document = path.read_text(encoding="utf-8")
        path.write_text(replace_catalog_block(document), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot update {args.update}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise UsageError(f"{args.update}: {exc}") from exc
    return 0
