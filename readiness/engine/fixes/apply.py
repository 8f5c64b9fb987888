"""Merge the edits of several fixes per file, show them as a unified diff, and write them safely.

Safety rules (``scan --fix --write``):

- nothing is written outside the scanned root, and no symlink is followed: every folder from the
  root down and the file itself must be real (``lstat``), or the whole write is refused;
- a file whose bytes changed since the scan read them (SHA-256) is refused;
- each file is written atomically: a temporary file beside it, the original mode kept, then
  ``os.replace``; a file the fixes create is linked into place only if nothing is there yet;
- the edits of several fixes to one file are applied together when they touch different lines;
  a fix that overlaps one already taken is left for the next run (it is reported, not dropped
  silently), since its line numbers no longer hold once the first is applied.

Everything is checked before the first byte is written, so a refusal changes nothing.
"""

from __future__ import annotations

import difflib
import os
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..discover import MAX_FILE_BYTES
from .files import digest_of
from .model import NEW_FILE, Edit, Fix


class FixRefused(Exception):
    """The fixes cannot be applied as computed; the message says why, for a user."""


@dataclass
class FilePlan:
    rel: str
    original: str | None  # None for a file the fixes create
    mode: int | None
    digest: str
    edits: list[Edit] = field(default_factory=list)

    @property
    def new_text(self) -> str:
        return apply_edits(self.original or "", self.edits)

    def diff(self) -> str:
        before = (self.original or "").splitlines(keepends=True)
        after = self.new_text.splitlines(keepends=True)
        lines = difflib.unified_diff(
            before,
            after,
            fromfile="/dev/null" if self.original is None else f"a/{self.rel}",
            tofile=f"b/{self.rel}",
        )
        return "".join(
            line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
        )


@dataclass
class Plan:
    files: dict[str, FilePlan]
    applied: list[Fix]
    # (fix, why it waits): applied by a later run, once the lines it was computed from are gone.
    deferred: list[tuple[Fix, str]]

    def diff(self) -> str:
        return "".join(self.files[rel].diff() for rel in sorted(self.files))


def fixes_of(report) -> list[Fix]:
    """The fixes with edits of a ScanReport, in report order."""
    return [fix for result in report.results for fix in result.fixes if fix.edits]


def attach_diffs(root: str | os.PathLike, report) -> None:
    """Give every fix with edits its own unified diff (``Fix.diff``), reading each scanned file
    once; a fix whose file changed or cannot be read since the scan keeps an empty diff."""
    root = Path(root).resolve()
    read: dict[str, FilePlan | None] = {}
    for result in report.results:
        for fix in result.fixes:
            if fix.edits:
                fix.diff = _diff_of(root, fix, read)


def _diff_of(root: Path, fix: Fix, read: dict) -> str:
    plans: dict[str, FilePlan] = {}
    for edit in fix.edits:
        if edit.file not in read:
            try:
                read[edit.file] = _read_for_plan(root, edit)
            except FixRefused:
                read[edit.file] = None
        original = read[edit.file]
        if original is None or original.digest != edit.digest:
            return ""
        plan_of_file = plans.setdefault(
            edit.file, FilePlan(edit.file, original.original, original.mode, edit.digest)
        )
        if edit not in plan_of_file.edits:
            plan_of_file.edits.append(edit)
    return "".join(plans[rel].diff() for rel in sorted(plans))


def plan(root: str | os.PathLike, fixes: list[Fix]) -> Plan:
    """Choose the fixes that apply together and read each file they edit (safely).

    Raises FixRefused when a file is a symlink, outside the root, not a regular file, or
    changed since the scan read it.
    """
    root = Path(root).resolve()
    taken: list[Edit] = []
    owners: dict[Edit, Fix] = {}
    applied: list[Fix] = []
    deferred: list[tuple[Fix, str]] = []
    for fix in fixes:
        if not fix.edits:
            continue
        new_edits = [edit for edit in fix.edits if edit not in owners]
        clash = next(
            ((edit, other) for edit in new_edits for other in taken if _conflict(edit, other)),
            None,
        )
        if clash is not None:
            other = owners[clash[1]]
            deferred.append((fix, f"it changes {clash[0].file} where the fix for {other.check} does"))
            continue
        for edit in new_edits:
            taken.append(edit)
            owners[edit] = fix
        applied.append(fix)
    files: dict[str, FilePlan] = {}
    for edit in taken:
        if edit.file not in files:
            files[edit.file] = _read_for_plan(root, edit)
        file_plan = files[edit.file]
        if edit.digest != file_plan.digest:
            raise FixRefused(f"{edit.file} changed since it was read; scan again")
        file_plan.edits.append(edit)
    return Plan(files, applied, deferred)


def _conflict(edit: Edit, other: Edit) -> bool:
    if edit.file != other.file:
        return False
    if NEW_FILE in (edit.digest, other.digest):
        return edit != other  # two different contents for one new file
    return edit.overlaps(other)


def apply_edits(text: str, edits: list[Edit]) -> str:
    """``text`` with non-overlapping ``edits`` applied.

    Insertions at one point go deepest-indented first: at the end of a YAML file, a key for the
    last service (indented) must come before a new top-level ``volumes:``, not under it. Equally
    indented ones keep their order.
    """
    lines = text.splitlines(keepends=True)
    ordered = sorted(
        enumerate(edits),
        key=lambda pair: (
            pair[1].start_line,
            not pair[1].is_insertion,
            -_indent(pair[1].replacement),
            pair[0],
        ),
    )
    out: list[str] = []
    cursor = 1
    for _, edit in ordered:
        out.extend(lines[cursor - 1 : edit.start_line - 1])
        out.append(edit.replacement)
        cursor = max(cursor, edit.end_line + 1, edit.start_line)
    out.extend(lines[cursor - 1 :])
    return "".join(out)


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(" \t"))


def write(root: str | os.PathLike, file_plans: dict[str, FilePlan]) -> list[str]:
    """Write every planned file atomically; returns the files written. Checks all first."""
    root = Path(root).resolve()
    for rel, file_plan in file_plans.items():
        current = _read_for_plan(root, Edit(rel, 1, 0, "", file_plan.digest))
        if current.digest != file_plan.digest:
            raise FixRefused(f"{rel} changed since it was read; nothing was written; scan again")
    written = []
    for rel in sorted(file_plans):
        _write_atomically(root, file_plans[rel])
        written.append(rel)
    return written


def _read_for_plan(root: Path, edit: Edit) -> FilePlan:
    path = safe_path(root, edit.file)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        if edit.digest != NEW_FILE:
            raise FixRefused(f"{edit.file} no longer exists; scan again") from None
        return FilePlan(edit.file, None, None, NEW_FILE)
    except OSError as exc:
        raise FixRefused(f"{edit.file}: {exc.strerror or exc}") from None
    if stat.S_ISLNK(info.st_mode):
        raise FixRefused(f"{edit.file} is a symlink; fixes never follow one")
    if edit.digest == NEW_FILE:
        raise FixRefused(f"{edit.file} appeared since the scan; scan again")
    if not stat.S_ISREG(info.st_mode):
        raise FixRefused(f"{edit.file} is not a regular file")
    if info.st_size > MAX_FILE_BYTES:
        raise FixRefused(f"{edit.file} is larger than {MAX_FILE_BYTES // 1024} KiB")
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise FixRefused(f"{edit.file}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as handle:
        raw = handle.read(MAX_FILE_BYTES + 1)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise FixRefused(f"{edit.file} is not UTF-8 text") from None
    return FilePlan(edit.file, text, stat.S_IMODE(info.st_mode), digest_of(raw))


def safe_path(root: Path, rel: str) -> Path:
    """``root / rel`` after checking that ``rel`` stays inside ``root`` and that no folder on the
    way is a symlink; raises FixRefused otherwise."""
    parts = tuple(rel.split("/"))  # raw: "./x" and "a//b" are refused, not tidied
    if not rel or any(p in ("..", ".", "") for p in parts) or "\\" in rel or "\0" in rel:
        raise FixRefused(f"{rel!r} is not a path inside the scanned folder")
    folder = root
    for part in parts[:-1]:
        folder = folder / part
        try:
            info = os.lstat(folder)
        except OSError as exc:
            raise FixRefused(f"{rel}: {exc.strerror or exc}") from None
        if stat.S_ISLNK(info.st_mode):
            raise FixRefused(
                f"{rel}: the folder {folder.relative_to(root)} is a symlink; fixes never follow one"
            )
        if not stat.S_ISDIR(info.st_mode):
            raise FixRefused(f"{rel}: {folder.relative_to(root)} is not a folder")
    return folder / parts[-1]


def _write_atomically(root: Path, file_plan: FilePlan) -> None:
    path = safe_path(root, file_plan.rel)
    data = file_plan.new_text.encode("utf-8")
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".readiness")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if file_plan.original is None:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
            try:
                os.link(temporary, path)  # fails if anything appeared there meanwhile
            except FileExistsError:
                raise FixRefused(f"{file_plan.rel} appeared since the scan; it was left alone") from None
            os.unlink(temporary)
        else:
            os.chmod(temporary, file_plan.mode if file_plan.mode is not None else 0o644)
            os.replace(temporary, path)
    except BaseException:
        if os.path.lexists(temporary):
            os.unlink(temporary)
        raise
