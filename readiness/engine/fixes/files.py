"""The text of the files fixes are computed from, read once, safely, with the digest of what was read.

Reading goes through ``Inventory.read`` (no symlinks, nothing outside the root, size-capped), so
a file the scan refused is never edited either. ``TextFile`` turns line operations into ``Edit``s.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass

from .model import NEW_FILE, Edit

BOM = "\ufeff"


def digest_of(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


@dataclass
class TextFile:
    rel: str
    lines: list[str]  # with their line ends; the last may have none
    digest: str

    @property
    def text(self) -> str:
        return "".join(self.lines)

    def line(self, number: int) -> str:
        """Line ``number`` (1-based) without its line end."""
        return self.lines[number - 1].rstrip("\r\n")

    @property
    def eol(self) -> str:
        """The file's line end: new lines are written the way the file writes its own."""
        return "\r\n" if self.lines and self.lines[0].endswith("\r\n") else "\n"

    def _lines(self, text: str) -> str:
        text = _whole_lines(text)
        return text.replace("\n", self.eol) if self.eol != "\n" else text

    def _edit(self, start: int, end: int, replacement: str) -> Edit:
        offset = sum(len(line) for line in self.lines[: start - 1])
        length = sum(len(line) for line in self.lines[start - 1 : end]) if end >= start else 0
        return Edit(self.rel, start, end, replacement, self.digest, offset, length)

    def replace(self, start: int, end: int, replacement: str) -> Edit:
        """Replace lines ``start``..``end`` (inclusive) by ``replacement`` (whole lines)."""
        replacement = self._lines(replacement)
        if start == 1 and self.lines and self.lines[0].startswith(BOM) and not replacement.startswith(BOM):
            replacement = BOM + replacement
        return self._edit(start, end, replacement)

    def insert_before(self, number: int, text: str) -> Edit:
        """Insert lines before line ``number`` (len + 1 appends); keeps a last line without a
        line end from running into the new text, and a byte order mark first."""
        text = self._lines(text)
        if number > len(self.lines) and self.lines and not self.lines[-1].endswith("\n"):
            last = len(self.lines)
            return self._edit(last, last, self.lines[-1] + self.eol + text)
        if number == 1 and self.lines and self.lines[0].startswith(BOM):
            return self._edit(1, 1, BOM + text + self.lines[0][1:])
        return self._edit(number, number - 1, text)

    def insert_after(self, number: int, text: str) -> Edit:
        return self.insert_before(number + 1, text)

    def append(self, text: str) -> Edit:
        return self.insert_before(len(self.lines) + 1, text)


def _whole_lines(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"


def new_file(rel: str, text: str) -> Edit:
    """An edit that creates ``rel`` with ``text``."""
    return Edit(rel, 1, 0, _whole_lines(text), NEW_FILE)


class Files:
    """Reads project files for the fix builders, each at most once per scan."""

    def __init__(self, project):
        self.project = project
        self._cache: dict[str, TextFile | None] = {}
        # What builders derive from a file once per scan (the ruamel.yaml document...), by key.
        self.memo: dict = {}

    def text(self, rel: str) -> TextFile | None:
        """The file as text, or None when it cannot be read (or is not UTF-8 text)."""
        if rel not in self._cache:
            self._cache[rel] = self._read(rel)
        return self._cache[rel]

    def _read(self, rel: str) -> TextFile | None:
        inventory = self.project.inventory
        scanned = inventory.digests.get(rel)
        try:
            raw = inventory.read(rel)
        except OSError:
            return None
        if scanned is not None and inventory.digests[rel] != scanned:
            return None  # changed since the scan read it: its findings no longer match its lines
        if b"\0" in raw:
            return None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return TextFile(rel, text.splitlines(keepends=True), digest_of(raw))

    def exists(self, rel: str) -> bool:
        """Anything at ``rel`` (a file, a folder, a symlink): a fix must not create it."""
        try:
            os.lstat(self.project.root / rel)
        except OSError:
            return False
        return True

    def is_real_folder(self, rel: str) -> bool:
        """A folder inside the root reached without a symlink ("" is the root itself)."""
        folder = self.project.root
        for part in [p for p in rel.split("/") if p]:
            if part in (".", ".."):
                return False
            folder = folder / part
            try:
                if not stat.S_ISDIR(os.lstat(folder).st_mode):
                    return False
            except OSError:
                return False
        return True
