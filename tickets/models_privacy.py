"""Data protection: the record of each erasure and the log of agents' views of tickets.

Imported at the end of tickets/models.py, so these are models of the tickets app.
"""

from django.conf import settings
from django.db import models

from .models import Ticket

__all__ = ["Erasure", "TicketView"]


class Erasure(models.Model):
    """An account whose personal data was erased: who did it, when, and how much was removed
    (counts only). It is also the mark that the account is anonymised: the User row stays,
    so that tickets, decisions and statistics keep pointing at something."""

    class Via(models.TextChoices):
        WEB = "web", "Web"
        API = "api", "API"
        ADMIN = "admin", "Admin"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="erasure",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The person who asked: the account holder, or a manager in the admin.",
    )
    via = models.CharField(max_length=8, choices=Via.choices)
    created_at = models.DateTimeField()
    counts = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Erasure of user {self.user_id} on {self.created_at:%Y-%m-%d}"


class TicketView(models.Model):
    """One agent or manager opening a ticket's content: the audit log managers read."""

    class Channel(models.TextChoices):
        WEB = "web", "Web"
        API = "api", "API"

    class Page(models.TextChoices):
        AGENT_TICKET = "agent_ticket", "Ticket page"
        REPORT_CASE = "report_case", "Report case page"
        MODERATION_QUEUE = "moderation_queue", "Moderation queue"
        API_TICKET = "api_ticket", "API: ticket"
        API_MESSAGES = "api_messages", "API: messages"
        API_MODERATION = "api_moderation", "API: moderation queue"

    # Both indexed through the composite indexes below, which lead with them.
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="views", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    viewed_at = models.DateTimeField()
    channel = models.CharField(max_length=3, choices=Channel.choices)
    page = models.CharField(max_length=24, choices=Page.choices)

    class Meta:
        ordering = ["-viewed_at", "-id"]
        indexes = [
            models.Index(fields=["-viewed_at", "-id"], name="ticketview_viewed_idx"),
            models.Index(fields=["ticket", "-viewed_at"], name="ticketview_ticket_idx"),
            models.Index(fields=["user", "-viewed_at"], name="ticketview_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} viewed #{self.ticket_id} ({self.page})"
