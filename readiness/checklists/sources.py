"""The source documents' lines that built-in checklist items cite, shipped with the templates.

``builtin/sources/<document>.yml`` (written by tools/ship_sources.py) hold, per document, every
section an item quotes, verbatim. An item's "doc 001 § Security" then shows as the document's title,
the section, the quoted line and the section around it, without the documents themselves: nothing
here reads outside the package. No Django import (like the template modules).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

PACKAGE = "readiness.checklists"
FOLDER = ("builtin", "sources")


@dataclass(frozen=True)
class Section:
    heading: str
    line: int  # the number of the first of ``lines`` (the heading) in the document
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    sections: tuple[Section, ...]


def _normalise(text: str) -> str:
    return " ".join(text.split())


@cache
def shipped_documents() -> dict[str, Document]:
    folder = resources.files(PACKAGE).joinpath(*FOLDER)
    documents = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yml"):
            continue
        data = yaml.safe_load(entry.read_text(encoding="utf-8"))
        sections = tuple(Section(s["heading"], s["line"], tuple(s["lines"])) for s in data["sections"])
        documents[str(data["document"])] = Document(str(data["document"]), data.get("title", ""), sections)
    return documents


def source_excerpt(*, document: str, section: str, quote: str) -> dict | None:
    """``{"title", "section", "lines": [{"number", "text", "quoted"}]}`` for one item source: the
    section that holds the quote, with the quoted line marked; None when it was not shipped (a
    team's own template cites its own documents)."""
    shipped = shipped_documents().get(str(document))
    if shipped is None:
        return None
    wanted = _normalise(quote)
    for candidate in shipped.sections:
        if candidate.heading != section:
            continue
        marks = [_normalise(line) == wanted for line in candidate.lines]
        if any(marks):
            return {
                "title": shipped.title,
                "section": section,
                "lines": [
                    {"number": candidate.line + i, "text": text, "quoted": mark}
                    for i, (text, mark) in enumerate(zip(candidate.lines, marks, strict=True))
                ],
            }
    return None
