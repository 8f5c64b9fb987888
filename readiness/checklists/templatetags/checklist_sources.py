"""``{% item_sources item %}``: where a checklist item comes from, with the document's lines."""

from django import template

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
