"""``{% heat_cells row.cells %}``: a dashboard row's heat map cells, one per category (made by
``readiness.dashboard.selectors._heat_cell``). Written in Python rather than as a template loop: a
page of 25 repositories has about 200 of them."""

from django import template
from django.utils.html import format_html_join

register = template.Library()


@register.simple_tag
def heat_cells(cells: list[dict]) -> str:
    return format_html_join(
        "",
        '<td class="heat {}" title="{}" data-label="{}">{}</td>',
        ((cell["css"], cell["title"], cell["title"], cell["text"]) for cell in cells),
    )
