"""Template helpers for the web UI: safe rendering of what people typed, badges, times."""

import functools
from datetime import datetime, timedelta

import nh3
from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dates import MONTHS_3
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape, format_html, linebreaks, urlize
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime

from sla.display import humanize_duration
from tickets.models import Ticket

register = template.Library()

_ALLOWED_TAGS = {"p", "br", "a"}
_ALLOWED_ATTRIBUTES = {"a": {"href"}}
_URL_SCHEMES = {"http", "https", "mailto"}

_LABELS = {
    "status": dict(Ticket.Status.choices),
    "priority": dict(Ticket.Priority.choices),
    "kind": dict(Ticket.Kind.choices),
    "moderation": dict(Ticket.Moderation.choices),
    "outcome": dict(Ticket.Outcome.choices),
}


@register.filter(is_safe=True)
def rich_text(value: str | None) -> SafeString:
    """Plain text as paragraphs with clickable links.

    Escaping happens first (urlize with autoescape); nh3 then cleans the result once more,
    so a mistake in either step alone cannot let markup through.
    """
    if not value:
        return mark_safe("")
    html = linebreaks(urlize(str(value), nofollow=True, autoescape=True), autoescape=False)
    cleaned = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
    )
    return mark_safe(cleaned)


@functools.lru_cache(maxsize=512)
def _badge(kind: str, value: str | None) -> SafeString:
    """Rendered once per (kind, value): a queue page shows three badges a row."""
    if not value:
        return mark_safe("")
    label = _LABELS[kind].get(value, value)
    return format_html('<span class="badge badge-{}-{}">{}</span>', kind, value, label)


@functools.cache
def _month_abbreviations(language: str) -> tuple[str, ...]:
    return ("", *(str(MONTHS_3[month]).title() for month in range(1, 13)))


def exact_time(value: datetime) -> str:
    """`value` in the viewer's zone as date_format(local, "j M Y, H:i T") writes it ("3 Dec
    2026, 14:05 CET"), an order of magnitude faster: lists show one a row."""
    local = timezone.localtime(value)
    month = _month_abbreviations(translation.get_language() or "")[local.month]
    return (
        f"{local.day} {month} {local.year:04d}, {local.hour:02d}:{local.minute:02d} "
        f"{local.tzname() or ''}"
    )


@register.simple_tag
def status_badge(value: str | None) -> SafeString:
    return _badge("status", value)


@register.simple_tag
def priority_badge(value: str | None) -> SafeString:
    return _badge("priority", value)


@register.simple_tag
def kind_badge(value: str | None) -> SafeString:
    return _badge("kind", value)


@register.simple_tag
def moderation_badge(value: str | None) -> SafeString:
    return _badge("moderation", value)


@register.simple_tag
def outcome_badge(value: str | None) -> SafeString:
    return _badge("outcome", value)


@register.filter
def reltime(value: datetime | None) -> SafeString:
    """ "3 hours ago", with the exact time in the viewer's zone as a tooltip."""
    if value is None:
        return mark_safe("")
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        value.isoformat(),
        exact_time(value),
        _one_unit(naturaltime(value)),
    )


def _one_unit(text: str) -> str:
    """ "2 weeks, 6 days ago" reads as "2 weeks ago" in a table; the tooltip has the rest."""
    if ", " not in text:
        return text
    head, _, tail = text.partition(", ")
    suffix = tail.split()[-1]
    return f"{head} {'ago' if suffix == 'ago' else 'from now'}"


DUE_SOON = timedelta(hours=1)


@register.filter
def due(value: datetime | None) -> SafeString:
    """An SLA due time as an agent acts on it: "in 3 h 12 min", or "2 h overdue" in red."""
    if value is None:
        return format_html('<span class="muted">{}</span>', "—")
    left = value - timezone.now()
    if left <= timedelta(0):
        tone, text = "breached", f"{humanize_duration(-left)} overdue"
    else:
        tone, text = ("soon" if left <= DUE_SOON else "ok"), f"in {humanize_duration(left)}"
    return format_html(
        '<time class="due due-{}" datetime="{}" title="{}">{}</time>',
        tone,
        value.isoformat(),
        exact_time(value),
        text,
    )


@register.filter
def initials(user) -> str:
    """One or two letters for an avatar circle."""
    if user is None:
        return "?"
    name = (user.get_full_name() or user.username or "?").strip()
    parts = name.split()
    letters = parts[0][0] + parts[-1][0] if len(parts) > 1 else name[:2]
    return letters.upper()


@register.filter
def avatar_hue(user) -> int:
    """A stable colour per person, from their id, as one of eight hues."""
    return (getattr(user, "pk", 0) or 0) % 8


@register.filter
def minutes(value: timedelta | None) -> int:
    """A duration in whole minutes, rounded up (a lock-out of 15 minutes shows "15")."""
    if value is None:
        return 0
    return max(1, -(-int(value.total_seconds()) // 60))


_ROW = (
    '<tr><td class="col-id ticket-id">{id}</td>'
    '<td class="cell-subject"><a href="{url}">{subject}</a></td>'
    '<td class="nowrap">{requester}</td><td>{kind}</td><td>{status}</td><td>{priority}</td>'
    '<td class="nowrap">{queue}</td><td class="nowrap">{assignee}</td>'
    '<td class="nowrap">{due}</td></tr>\n'
)
_UNASSIGNED = mark_safe('<span class="muted">Unassigned</span>')
_NO_DUE = mark_safe('<span class="muted">—</span>')


@register.simple_tag
def queue_rows(page) -> SafeString:
    """The agent queue's rows. Written in Python, not as a template loop: fifty rows of ten
    cells cost more to render than the page's queries. Every value is escaped here."""
    base = reverse("agent_ticket", args=[0])[:-2]  # ".../tickets/0/" -> ".../tickets/"
    rows = []
    for ticket in page:
        assignee = ticket.assignee
        rows.append(
            _ROW.format(
                id=ticket.pk,
                url=f"{base}{ticket.pk}/",
                subject=escape(ticket.subject),
                requester=escape(ticket.requester.display_name),
                kind=_badge("kind", ticket.kind),
                status=_badge("status", ticket.status),
                priority=_badge("priority", ticket.priority),
                queue=escape(ticket.queue.name) if ticket.queue_id and ticket.queue.name else "—",
                assignee=(
                    format_html(
                        '<span class="person"><span class="avatar avatar-xs hue-{}" '
                        'aria-hidden="true">{}</span>{}</span>',
                        avatar_hue(assignee),
                        initials(assignee),
                        assignee.display_name,
                    )
                    if assignee is not None
                    else _UNASSIGNED
                ),
                due=due(ticket.sla_due_at) if ticket.is_active else _NO_DUE,
            )
        )
    return mark_safe("".join(rows))


@register.simple_tag
def dash_rows(table) -> SafeString:
    """A dashboard table's body rows (the shown cells, else the raw ones), written out as
    `{{ cell }}` renders them, in place of a template loop that evaluated four tags a cell
    (on the bench's small tables the difference is within the machine's noise; it grows with
    the rows). tests/escalation/test_dash_rows.py holds it equal to that loop."""
    lines = []
    for row in table.shown or table.rows:
        cells = []
        for index, value in enumerate(row):
            if value is None:
                text = "—"
            elif value is True:
                text = "yes"
            elif value is False:
                text = "no"
            else:
                text = conditional_escape(localize(template_localtime(value)))
            cells.append(f"<td>{text}</td>" if index == 0 else f'<td class="num">{text}</td>')
        lines.append(f"<tr>{''.join(cells)}</tr>")
    return mark_safe("\n".join(lines))
