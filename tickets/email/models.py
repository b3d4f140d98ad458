"""What the e-mail channel remembers: every message in or out, and attachments.

Loaded by Django through the last line of tickets/models.py, so these are models of the
`tickets` app (migrations live in tickets/migrations).
"""

from django.db import models
from django.db.models import Q

__all__ = ["EmailAttachment", "EmailRecord"]


class EmailRecord(models.Model):
    """One e-mail message, received or sent, keyed by its RFC 5322 Message-ID.

    The unique Message-ID makes intake idempotent (the same message twice is a duplicate,
    whichever way it came in) and lets replies thread by In-Reply-To/References against
    both the customer's mail and ours. Raw bytes are kept only where an agent may need them:
    mail that could not be read, and mail held back by the rate limit.
    """

    class Direction(models.TextChoices):
        INBOUND = "in", "Inbound"
        OUTBOUND = "out", "Outbound"

    class Status(models.TextChoices):
        # inbound
        CREATED = "created", "Opened a ticket"
        THREADED = "threaded", "Added to a ticket"
        IGNORED = "ignored", "Ignored"
        HELD = "held", "Held (rate limit)"
        ERROR = "error", "Could not be read"
        # outbound
        QUEUED = "queued", "Queued"
        RETRYING = "retrying", "Failed, will retry"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    direction = models.CharField(max_length=3, choices=Direction.choices)
    status = models.CharField(max_length=16, choices=Status.choices)
    rfc_message_id = models.CharField(
        "Message-ID", max_length=998, unique=True, help_text="Without angle brackets."
    )
    in_reply_to = models.CharField(max_length=998, blank=True, default="")
    references = models.TextField(blank=True, default="")
    from_address = models.CharField(max_length=320, blank=True, default="")
    to_addresses = models.TextField(blank=True, default="")
    subject = models.CharField(max_length=998, blank=True, default="")
    sent_date = models.DateTimeField(
        null=True, blank=True, help_text="The Date header, as the sender claims it."
    )
    created_at = models.DateTimeField(help_text="Received (inbound) or queued (outbound).")
    reason = models.TextField(blank=True, default="", help_text="Why ignored, held or failed.")
    ticket = models.ForeignKey(
        "tickets.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    message = models.ForeignKey(
        "tickets.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    raw = models.BinaryField(null=True, blank=True)
    # outbound delivery
    attempts = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # the per-sender rate limit: tickets opened by one address in a window
            models.Index(
                fields=["from_address", "created_at"],
                name="email_sender_created_idx",
                condition=Q(direction="in", status="created"),
            ),
            # the customer's last message on a ticket, for outbound In-Reply-To
            models.Index(fields=["ticket", "created_at"], name="email_ticket_idx"),
            models.Index(fields=["status", "-created_at"], name="email_status_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["message"],
                condition=Q(direction="out"),
                name="email_one_outbound_per_message",
            ),
        ]

    def __str__(self) -> str:
        arrow = "←" if self.direction == self.Direction.INBOUND else "→"
        return f"{arrow} {self.from_address or self.to_addresses} {self.subject[:60]}"


def _attachment_path(attachment: "EmailAttachment", filename: str) -> str:
    return f"email/{attachment.email.created_at:%Y/%m}/{attachment.email_id}/{filename}"


class EmailAttachment(models.Model):
    """A file that came with an inbound message; refused files are listed with the reason."""

    email = models.ForeignKey(EmailRecord, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    file = models.FileField(upload_to=_attachment_path, max_length=500, blank=True)
    refused = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename
