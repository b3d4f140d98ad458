"""The log of agents' views of tickets: written as they open a ticket, read by managers.

Writing costs one INSERT and reads nothing: the view already holds the ticket and the user.
Only a page opened counts, never an htmx refresh of part of it (the SLA section polls its
own URL, which does not write here).
"""

from collections.abc import Iterable
from datetime import datetime

from django.db.models import QuerySet

from helpdesk.models import User

from .models import TicketView

Page = TicketView.Page
Channel = TicketView.Channel


def ticket_view_record(
    *, user: User, ticket_id: int, page: str, now: datetime, channel: str = Channel.WEB
) -> None:
    """One ticket opened by an agent or a manager; customers' own views are not logged."""
    if user.is_agent:
        TicketView.objects.create(
            user_id=user.pk, ticket_id=ticket_id, page=page, channel=channel, viewed_at=now
        )


def ticket_views_record(
    *,
    user: User,
    ticket_ids: Iterable[int],
    page: str,
    now: datetime,
    channel: str = Channel.WEB,
) -> None:
    """Several tickets shown with their content on one page: one INSERT for all of them."""
    if not user.is_agent:
        return
    TicketView.objects.bulk_create(
        [
            TicketView(user_id=user.pk, ticket_id=pk, page=page, channel=channel, viewed_at=now)
            for pk in dict.fromkeys(ticket_ids)
        ]
    )


def ticket_views(
    *,
    ticket_id: int | None = None,
    user_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[TicketView]:
    """The log, newest first, with who viewed (one query per page, whatever the filters)."""
    qs = TicketView.objects.select_related("user").only(
        *("ticket_id", "viewed_at", "channel", "page", "user__username"),
        *("user__first_name", "user__last_name", "user__role", "user__is_superuser"),
    )
    if ticket_id is not None:
        qs = qs.filter(ticket_id=ticket_id)
    if user_id is not None:
        qs = qs.filter(user_id=user_id)
    if since is not None:
        qs = qs.filter(viewed_at__gte=since)
    if until is not None:
        qs = qs.filter(viewed_at__lt=until)
    return qs.order_by("-viewed_at", "-id")
