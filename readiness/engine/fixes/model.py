"""A fix: the edits that make one finding pass, computed for the file at hand.

An ``Edit`` replaces a range of whole lines of one file (or, with an empty range, inserts lines
before a line); line numbers are those of the file as it was read, and ``digest`` is the
SHA-256 of the bytes it was computed from, so nothing is ever applied to a file that changed
since. A fix whose ``edits`` are empty says, in ``summary``, why no mechanical fix is offered.
"""

from __future__ import annotations

from dataclasses import dataclass, field

NEW_FILE = ""  # the digest of a file that does not exist yet


@dataclass(frozen=True)
class Edit:
    file: str  # relative to the scan root, POSIX separators
    start_line: int  # 1-based first line replaced; for an insertion, the line it goes before
    end_line: int  # last line replaced (inclusive); start_line - 1 for an insertion
    replacement: str  # whole lines, each ending in "\n"; "" deletes the range
    digest: str  # SHA-256 of the file's bytes when read; NEW_FILE for a file to create
    # The same range in characters (code points) from the start of the file, for SARIF regions.
    char_offset: int = 0
    char_length: int = 0

    @property
    def is_insertion(self) -> bool:
        return self.end_line < self.start_line

    def overlaps(self, other: Edit) -> bool:
        """Whether applying both would touch the same text (two insertions at one point do not:
        they go in one after the other)."""
        if self.file != other.file:
            return False
        if self.is_insertion and other.is_insertion:
            return False
        if self.is_insertion:
            return other.start_line < self.start_line <= other.end_line
        if other.is_insertion:
            return self.start_line < other.start_line <= self.end_line
        return self.start_line <= other.end_line and other.start_line <= self.end_line

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "start_line": self.start_line,
            "end_line": self.end_line,
            "replacement": self.replacement,
            "digest": self.digest,
            "char_offset": self.char_offset,
            "char_length": self.char_length,
        }


@dataclass
class Fix:
    check: str
    summary: str  # one line: what the edits do, or why there are none
    edits: list[Edit] = field(default_factory=list)
    # What to verify after applying it ("probes / on port 8000: point it at your health path").
    note: str = ""
    # The edits as a unified diff of the scanned files (apply.attach_diffs), for people and the UI.
    diff: str = ""

    @property
    def files(self) -> list[str]:
        return list(dict.fromkeys(edit.file for edit in self.edits))

    def as_dict(self) -> dict:
        return {
            "check": self.check,
            "summary": self.summary,
            "note": self.note,
            "files": self.files,
            "edits": [edit.as_dict() for edit in self.edits],
            "diff": self.diff,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Fix:
        return cls(
            check=data["check"],
            summary=data["summary"],
            note=data.get("note", ""),
            diff=data.get("diff", ""),
            edits=[
                Edit(
                    file=e["file"],
                    start_line=e["start_line"],
                    end_line=e["end_line"],
                    replacement=e["replacement"],
                    digest=e["digest"],
                    char_offset=e.get("char_offset", 0),
                    char_length=e.get("char_length", 0),
                )
                for e in data.get("edits", [])
            ],
        )
