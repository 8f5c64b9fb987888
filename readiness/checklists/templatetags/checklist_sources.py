"""``{% item_sources item %}``: where a checklist item comes from, with the document's lines; and
``|applicability``: when it applies, in words."""

from django import template

from readiness.checklists.applicability import describe
from readiness.checklists.sources import source_excerpt

register = template.Library()


@register.inclusion_tag("checklists/_item_sources.html")
def item_sources(item):
    sources = []
    for source in item.sources or []:
        excerpt = source_excerpt(
            document=source.get("document", ""),
            section=source.get("section", ""),
            quote=source.get("quote", ""),
        )
        sources.append({**source, "excerpt": excerpt})
    return {"sources": sources, "item": item}


@register.filter
def applicability(condition) -> str:
    """``{{ item.applies_when|applicability }}``: "Applies to repositories that depend on chromadb"."""
    return describe(condition) if condition else ""
