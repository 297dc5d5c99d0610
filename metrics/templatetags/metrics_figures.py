"""How the clinic's figures read: shares and business minutes in words."""

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def percent(value: float | Decimal | None) -> str:
    """12.5 → "12.5 %", 5 → "5 %"; None (nothing to count) → "none"."""
    if value is None:
        return "none"
    text = f"{float(value):.1f}".removesuffix(".0")
    return f"{text} %"


@register.filter
def minutes(value: float | None) -> str:
    """Minutes as "12 min" or "2 h 05 min", rounded to the minute; None → "none"."""
    if value is None:
        return "none"
    whole = round(value)
    if whole < 60:
        return f"{whole} min"
    return f"{whole // 60} h {whole % 60:02d} min"
