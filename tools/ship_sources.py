"""Copy the lines that built-in checklist items cite from the source documents into the package.

    python tools/ship_sources.py ../shared/seeds

For each document a built-in template cites, writes ``readiness/checklists/builtin/sources/<id>.yml``
with every section an item quotes (its heading, and its lines verbatim from the heading's, with that
line's number), so the checklist page can show them without the documents: nothing reads the
documents at run time. ``tests/checklists/test_builtin_sources.py`` checks the copies against the
documents and fails when an item cites a section that was not shipped (run this again then).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from readiness.checklists.template_format import load_builtin_templates  # noqa: E402
from readiness.checklists.template_markdown import clean_title  # noqa: E402

TARGET = ROOT / "readiness" / "checklists" / "builtin" / "sources"
HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)(?:\s+#+)?\s*$")
FENCE = re.compile(r"^\s{0,3}(```|~~~)")


def normalise(text: str) -> str:
    return " ".join(text.split())


def sections_of(text: str) -> list[dict]:
    """Every section of a Markdown document: heading (as templates name it), its line, its lines."""
    sections, current, in_fence = [], None, False
    for number, line in enumerate(text.splitlines(), start=1):
        if FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and (match := HEADING.match(line)):
            # From the heading line itself (an item may quote it); "line" is its number.
            current = {"heading": clean_title(match.group(1)), "line": number, "lines": []}
            sections.append(current)
        if current is not None:
            current["lines"].append(line)
    for section in sections:
        while section["lines"] and not section["lines"][-1].strip():
            section["lines"].pop()
    return sections


def main(seeds: Path) -> None:
    cited: dict[str, set[tuple[str, str]]] = {}
    titles: dict[str, str] = {}
    for template in load_builtin_templates():
        for ref in template.sources:
            titles.setdefault(ref.document, ref.title)
        for item in template.items:
            for source in item.sources:
                cited.setdefault(source.document, set()).add((source.section, normalise(source.quote)))
    TARGET.mkdir(parents=True, exist_ok=True)
    for document, wanted in sorted(cited.items()):
        (path,) = sorted(seeds.glob(f"{document}_*.txt"))
        shipped = []
        for section in sections_of(path.read_text(encoding="utf-8")):
            lines = {normalise(line) for line in section["lines"]}
            if any(heading == section["heading"] and quote in lines for heading, quote in wanted):
                shipped.append(section)
        data = {"document": document, "title": titles.get(document, ""), "sections": shipped}
        header = (
            f"# The lines of document {document} that built-in checklist items cite, verbatim.\n"
            "# Written by tools/ship_sources.py; do not edit by hand.\n"
        )
        body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)
        (TARGET / f"{document}.yml").write_text(header + body, encoding="utf-8")
        print(f"{document}: {len(shipped)} sections, {sum(len(s['lines']) for s in shipped)} lines")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python tools/ship_sources.py PATH/TO/seeds")
    main(Path(sys.argv[1]))
