"""``{% item_row entry %}``: one item's row of a checklist (templates/checklists/_items.html and
_item.html): its status, title and level always; its details (_item_detail.html) when the context
says ``expanded`` (after an action, and on the item's page), else loaded when the row is opened
(htmx). ``focus`` in the context: the row answers an action, so htmx moves the focus into it (the
field in error, Undo, or the row's head).

Written in Python rather than as an included template: a checklist page lists 50 to 100 rows, and
the include cost about 90 µs a row."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

ROW = (
    '<li class="item item-{status}" id="item-{slug}-{key}"><details class="item-box"{box}>'
    '<summary class="item-head"{autofocus}><span class="status status-{status}" data-item-status="{status}">'
    '{label}</span> <span class="item-title">{title}</span> <span class="tag tag-{level}">{level}</span>'
    '{manual}</summary><div class="item-body">{body}</div></details></li>'
)


@register.simple_tag(takes_context=True)
def item_row(context, entry: dict) -> str:
    item = entry["item"]
    if context.get("expanded"):
        box = mark_safe(" open")
        details = context.template.engine.get_template("checklists/_item_detail.html")
        body = mark_safe(details.render(context))  # noqa: S308 - a template's autoescaped output
    else:
        box = format_html(' hx-get="{}" hx-trigger="toggle once" hx-target="find .item-body"', entry["url"])
        body = format_html('<a href="{}">Evidence, fix, sources and history</a>', entry["url"])
    focus = context.get("focus") and not context.get("error") and not context.get("show_undo")
    return format_html(
        ROW,
        status=entry["status"],
        slug=context["checklist"]["template"].slug,
        key=item.key,
        box=box,
        autofocus=mark_safe(" autofocus") if focus else "",
        label=entry["label"],
        title=item.title,
        level=item.level,
        manual=mark_safe(' <span class="tag">manual</span>') if item.manual else "",
        body=body,
    )
