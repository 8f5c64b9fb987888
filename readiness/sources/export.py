"""Writing chosen blobs out of ``git cat-file --batch`` output as regular files, never outside the root."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

CHUNK = 64 * 1024


def safe_relative_parts(path: str) -> list[str] | None:
    """The components of ``path`` if it stays inside a root, else None."""
    parts = path.split("/")
    if any(p in ("", ".", "..") or p.lower() == ".git" or "\0" in p for p in parts):
        return None
    return parts


def write_blobs(
    batch_output: IO[bytes],
    *,
    oids: Sequence[str],
    paths_by_oid: Mapping[str, Sequence[str]],
    dest: Path,
) -> tuple[list[str], list[tuple[str, str]]]:
    """Read ``cat-file --batch`` answers for ``oids`` (in order) and write each blob to its paths.

    Returns (written paths, skipped (path, reason)). Files are created with O_EXCL|O_NOFOLLOW, so
    nothing already there, and no link, is ever written through.
    """
    written: list[str] = []
    skipped: list[tuple[str, str]] = []
    root = dest.resolve()
    for oid in oids:
        header = batch_output.readline().decode("ascii", "replace").split()
        if len(header) != 3 or header[0] != oid or header[1] != "blob":
            skipped.extend((p, "blob could not be read") for p in paths_by_oid[oid])
            if len(header) == 3 and header[0] == oid:
                _discard(batch_output, int(header[2]) + 1)
            continue
        size = int(header[2])
        start = batch_output.tell()
        for path in paths_by_oid[oid]:
            batch_output.seek(start)
            reason = _write_one(batch_output, size, root, path)
            if reason:
                skipped.append((path, reason))
            else:
                written.append(path)
        batch_output.seek(start + size + 1)  # the blob and its trailing newline
    return written, skipped


def _write_one(source: IO[bytes], size: int, root: Path, path: str) -> str | None:
    parts = safe_relative_parts(path)
    if parts is None:
        return "path would leave the destination folder"
    target = root.joinpath(*parts)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # Only we create entries under root and never links, but check anyway before writing.
        if not target.parent.resolve().is_relative_to(root):
            return "path would leave the destination folder"
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    except OSError as exc:
        return f"could not be written: {exc.strerror}"
    with os.fdopen(fd, "wb") as out:
        remaining = size
        while remaining:
            chunk = source.read(min(CHUNK, remaining))
            if not chunk:
                out.close()
                target.unlink()
                return "blob was truncated"
            out.write(chunk)
            remaining -= len(chunk)
    return None


def _discard(source: IO[bytes], size: int) -> None:
    source.seek(size, os.SEEK_CUR)
