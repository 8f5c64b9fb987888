"""Regenerate readiness/engine/explain_sources.py from the built-in checklist templates.

The engine ships without the web app (and without readiness/checklists), so the lines of the
seed documents that ``--explain`` quotes are copied into the engine package here. Run after
changing a template's quotes or adding a check to one:

    .venv/bin/python -m tests.engine.explain_sources

tests/engine/test_explain.py fails while the copy is stale.
"""

from __future__ import annotations

import pprint
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = REPO / "readiness" / "checklists" / "builtin"
TARGET = REPO / "readiness" / "engine" / "explain_sources.py"
HEADER = '''"""The lines of the seed documents that each check answers to, for ``--explain``.

Generated from readiness/checklists/builtin by ``python -m tests.engine.explain_sources``; do not
edit by hand. Check id -> [(document, document title, section, quoted line)], at most
MAX_QUOTES a check, in document order.
"""

'''


MAX_QUOTES = 6


def collect() -> dict[str, list[tuple[str, str, str, str]]]:
    templates = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(TEMPLATES.glob("*.yml"))]
    titles: dict[str, str] = {}
    for template in templates:
        top = template.get("source") or {}
        if isinstance(top, dict) and top.get("document") and top.get("title"):
            titles[str(top["document"])] = str(top["title"])
    found: dict[str, list[tuple[str, str, str, str]]] = {}
    for template in templates:
        for category in template.get("categories") or []:
            for item in category.get("items") or []:
                sources = item.get("source") or []
                sources = [sources] if isinstance(sources, dict) else sources
                for check in item.get("checks") or []:
                    for source in sources:
                        document = str(source.get("document") or "")
                        quote = " ".join(str(source.get("quote") or "").split())
                        entry = (document, titles.get(document, ""), str(source.get("section") or ""), quote)
                        if quote and entry not in found.setdefault(check, []):
                            found[check].append(entry)
    return {check: sorted(entries)[:MAX_QUOTES] for check, entries in sorted(found.items())}


def render() -> str:
    body = pprint.pformat(collect(), width=100, sort_dicts=True)
    return HEADER + "SOURCES: dict[str, list[tuple[str, str, str, str]]] = " + body + "\n"


def main() -> None:
    TARGET.write_text(render(), encoding="utf-8")
    ruff = Path(sys.executable).parent / "ruff"
    subprocess.run([str(ruff), "format", "--quiet", str(TARGET)], check=True)
    text = TARGET.read_text(encoding="utf-8")
    if max(len(line) for line in text.splitlines()) > 110:  # a quote longer than a line
        TARGET.write_text("# ruff: noqa: E501 - quoted lines are kept whole\n" + text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(REPO)}")


if __name__ == "__main__":
    main()
