from django import template

register = template.Library()


@register.filter
def percent(share, digits=2):
    """0.99931 -> "99.93%"; "—" for None."""
    if share is None:
        return "—"
    return f"{share * 100:.{int(digits)}f}%"


@register.filter
def ms(value):
    return "—" if value is None else f"{value:.0f} ms"
