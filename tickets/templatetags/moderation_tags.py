"""Template helpers for product pages: star ratings as text a screen reader can read."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def stars(value: int | float | None) -> SafeString:
    """ "★★★★☆" with "4 out of 5 stars" for assistive technology."""
    if value is None:
        return mark_safe("")
    full = max(0, min(5, round(float(value))))
    return format_html(
        '<span class="stars" role="img" aria-label="{} out of 5 stars">{}'
        '<span class="stars-off">{}</span></span>',
        value,
        "★" * full,
        "★" * (5 - full),
    )
