"""Markdown import and export of checklist templates.

A lead pastes a checklist from a deployment document: headings make categories, task-list lines
(``- [ ] item``, ``- [x] item``, ``- ✅ item``) make manual items, everything else is ignored.
Export writes the same shape, so an exported template imports back with its categories and titles.
"""

from __future__ import annotations

import re
import unicodedata

from .template_format import Template, TemplateError, template_from_data
from .template_schema import MAX_CATEGORIES, MAX_TITLE_CHARS

MAX_MARKDOWN_CHARS = 200_000
MAX_IMPORTED_ITEMS = 500
MAX_SLUG_CHARS = 60
DEFAULT_CATEGORY = "General"
IMPORTED_LEVEL = "bronze"  # an imported item has no evidence of its weight; the lead adjusts it

# Every pattern here runs in linear time on a hostile line: a separator run is always followed by a
# character it cannot match, and no inner part can span an opening delimiter of its own kind.
_HEADING = re.compile(r"^ {0,3}(#{2,6})[ \t]+(?P<title>\S.*)$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_DONE_MARKS = "✅✔☑"
_ITEM = re.compile(
    r"^[ \t]*(?:[-*+]|\d{1,3}[.)])[ \t]+"  # a bullet or a number
    rf"(?:\[[ xX]\]|[{_DONE_MARKS}]\ufe0f?)"  # a task box or a done mark
    r"[ \t]+(?P<title>\S.*)$"
)
_LINK = re.compile(r"!?\[([^\[\]]*)\]\([^()]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|~~)(.+?)\1|(?<![\w*])\*(?=[^\s*])([^*]+?)(?<!\s)\*(?!\w)|`([^`]*)`")
MAX_EMPHASIS_DEPTH = 3  # **`x`** is two layers; deeper nesting is not worth more passes
_SLUG_JUNK = re.compile(r"[^a-z0-9]+")


def _is_decoration(token: str) -> bool:
    """An emoji, or emoji mojibake (UTF-8 read as a Windows code page: "ðŸš€", "âœ…"), with no word in it."""
    if any(c.isascii() and c.isalnum() for c in token):
        return False
    decorative = False
    for char in token:
        category = unicodedata.category(char)
        if category in ("So", "Sk", "Cf", "Mn") or 0x80 <= ord(char) <= 0x24F:
            decorative = True
        elif category.startswith("L"):
            return False  # a word in another script (Cyrillic, CJK...) is text
    return decorative


def clean_title(text: str) -> str:
    """Plain text of a heading or item: links, emphasis, code marks and emoji removed."""
    text = _LINK.sub(r"\1", text)
    for _ in range(MAX_EMPHASIS_DEPTH):  # nested emphasis (**`x`**) unwraps one layer per pass
        text = _EMPHASIS.sub(lambda m: m.group(2) or m.group(3) or m.group(4) or "", text)
    return " ".join(token for token in text.split() if not _is_decoration(token))


def slugify(text: str, *, fallback: str = "item") -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    slug = _SLUG_JUNK.sub("-", ascii_text).strip("-")
    if len(slug) > MAX_SLUG_CHARS:  # cut at a word boundary where there is one
        cut = slug[: MAX_SLUG_CHARS + 1]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else slug[:MAX_SLUG_CHARS]
    return slug or fallback


def _unique(slug: str, taken: set[str]) -> str:
    candidate, n = slug, 2
    while candidate in taken:
        candidate, n = f"{slug}-{n}", n + 1
    taken.add(candidate)
    return candidate


def _heading_title(text: str) -> str:
    # A closing run of "#" (CommonMark: "## Title ##") is not part of the title.
    trimmed = text.rstrip("#")
    return text if trimmed and not trimmed[-1].isspace() else trimmed


def _shorten(title: str) -> str:
    if len(title) <= MAX_TITLE_CHARS:
        return title
    return title[: MAX_TITLE_CHARS - 1].rstrip() + "…"


def _parse(text: str) -> list[tuple[str, list[str]]]:
    """(category title, item titles) in document order; code blocks are skipped."""
    sections: list[tuple[str, list[str]]] = [(DEFAULT_CATEGORY, [])]
    in_fence = False
    count = 0
    for raw_line in text.splitlines():
        line = raw_line.rstrip()
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        if heading := _HEADING.match(line):
            title = _shorten(clean_title(_heading_title(heading.group("title"))))
            sections.append((title or DEFAULT_CATEGORY, []))
        elif item := _ITEM.match(line):
            title = _shorten(clean_title(item.group("title")))
            if title:
                count += 1
                if count > MAX_IMPORTED_ITEMS:
                    raise TemplateError(f"more than {MAX_IMPORTED_ITEMS} checklist items; split the list")
                sections[-1][1].append(title)
    return [(title, items) for title, items in sections if items]


def template_from_markdown(text: str, *, title: str) -> Template:
    """A template of manual items from a pasted Markdown checklist."""
    if len(text) > MAX_MARKDOWN_CHARS:
        raise TemplateError(f"markdown is {len(text)} characters; the limit is {MAX_MARKDOWN_CHARS}")
    sections = _parse(text)
    if not sections:
        raise TemplateError(
            "no checklist items found: write items as '- [ ] item' or '- ✅ item' under '## Heading' lines"
        )
    if len(sections) > MAX_CATEGORIES:
        raise TemplateError(f"more than {MAX_CATEGORIES} headings with items; merge some sections")
    category_ids: set[str] = set()
    item_ids: set[str] = set()
    categories = []
    for category_title, item_titles in sections:
        items = [
            {"id": _unique(slugify(t), item_ids), "title": t, "level": IMPORTED_LEVEL, "manual": True}
            for t in item_titles
        ]
        category_id = _unique(slugify(category_title, fallback="category"), category_ids)
        categories.append({"id": category_id, "title": category_title, "items": items})
    clean = _shorten(clean_title(title)) or "Imported checklist"
    data = {"slug": slugify(clean, fallback="checklist"), "title": clean, "version": 1}
    return template_from_data(data | {"categories": categories})


def template_to_markdown(template: Template) -> str:
    """The template as a Markdown task list that ``template_from_markdown`` reads back."""
    lines = [f"# {template.title}", ""]
    if template.description:
        # Quoted, so no line of the description can read back as a heading or an item.
        lines += [f"> {line}".rstrip() for line in template.description.strip().splitlines()] + [""]
    for category in template.categories:
        lines += [f"## {category.title}", ""]
        lines += [f"- [ ] {item.title}" for item in category.items]
        lines.append("")
    return "\n".join(lines)
