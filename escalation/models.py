"""Escalation rules (trigger → conditions → actions), the escalations they raised, and how
people want to hear about them.

An escalation is one SLA event acted on: unique per event, hence per (clock or subject,
trigger, level), so a retried or doubled cycle acts once.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Trigger(models.TextChoices):
    WARNING = "warning", "Warning (about to breach)"
    BREACH = "breach", "Breach"
    GENERIC_REPLY = "generic_reply", "Generic reply sent"
    NOT_ANSWERED = "not_answered", "Requester says not answered"
    UNPUBLISHED_7_DAYS = "unpublished_7_days", "Content unpublished 7 days"
    REPORT_OVERDUE = "report_overdue", "Abuse report overdue"
    DECISION_CONTESTED = "decision_contested", "Decision contested"


class Rule(models.Model):
    """When an SLA event matches the trigger and every condition, the actions run.

    Empty condition lists match everything. Levels: a breach is level 1, the same breach
    still open at breach plus half the target is level 2; generic replies count the generic
    replies in a row; "raise the level" records the next level, which further rules can match.
    """

    class Hours(models.TextChoices):
        ALWAYS = "always", "Always"
        BUSINESS = "business", "Only in business hours"

    class Reassign(models.TextChoices):
        NONE = "", "Do not reassign"
        QUEUE = "queue", "To the queue below"
        AGENT = "agent", "To the agent below"
        OTHER_AGENT = "other_agent", "To the least busy other agent"

    name = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    order = models.IntegerField(default=100)
    trigger = models.CharField(max_length=24, choices=Trigger.choices)
    kinds = models.JSONField(default=list, blank=True, help_text="Ticket kinds; empty: all.")
    queues = models.JSONField(default=list, blank=True, help_text="Queue slugs; empty: all.")
    priorities = models.JSONField(default=list, blank=True, help_text="Empty: all.")
    metrics = models.JSONField(default=list, blank=True, help_text="SLA metrics; empty: all.")
    min_level = models.PositiveSmallIntegerField(default=1)
    max_level = models.PositiveSmallIntegerField(null=True, blank=True)
    hours = models.CharField(max_length=8, choices=Hours.choices, default=Hours.ALWAYS)
    notify_assignee = models.BooleanField(
        default=False, help_text="The assignee, or the queue's agents when unassigned."
    )
    notify_queue_agents = models.BooleanField(default=False)
    notify_managers = models.BooleanField(default=False)
    reassign = models.CharField(
        max_length=12, choices=Reassign.choices, blank=True, default=Reassign.NONE
    )
    reassign_queue = models.ForeignKey(
        "tickets.Queue", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reassign_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    raise_priority = models.BooleanField(default=False, help_text="One step, up to the cap.")
    priority_cap = models.CharField(max_length=16, default="urgent")
    raise_level = models.BooleanField(default=False)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class Escalation(models.Model):
    """One SLA event acted on, with what was done; acknowledged by an agent or manager."""

    event = models.OneToOneField("sla.Event", on_delete=models.CASCADE, related_name="escalation")
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="escalations"
    )
    clock = models.ForeignKey(
        "sla.Clock", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    trigger = models.CharField(max_length=24)
    level = models.PositiveSmallIntegerField(default=1)
    metric = models.CharField(max_length=20, blank=True, default="")
    created_at = models.DateTimeField()
    rules = models.JSONField(default=list, blank=True)
    actions = models.JSONField(default=list, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["clock", "trigger", "level"],
                name="escalation_clock_trigger_level_uniq",
                condition=Q(clock__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="escalation_created_idx"),
            models.Index(
                fields=["-created_at"],
                name="escalation_open_idx",
                condition=Q(acknowledged_at__isnull=True),
            ),
            models.Index(fields=["ticket"], name="escalation_ticket_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.trigger} L{self.level} on #{self.ticket_id}"


class QueueAgent(models.Model):
    """The agents who hear about a queue's unassigned tickets (all agents if none)."""

    queue = models.ForeignKey("tickets.Queue", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["queue", "user"], name="queueagent_queue_user_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.queue_id}"


class NotificationPreference(models.Model):
    """How one person wants escalation notices by e-mail; in-app ones always arrive.

    Without a row: agents get each e-mail at once, managers an hourly digest.
    """

    class Email(models.TextChoices):
        IMMEDIATE = "immediate", "Each one at once"
        DIGEST = "digest", "An hourly digest"
        OFF = "off", "No e-mail"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="escalation_preference"
    )
    email = models.CharField(max_length=10, choices=Email.choices)
    # Triggers worth an e-mail; empty means all.
    email_triggers = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.email}"
