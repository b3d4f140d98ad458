"""SLA configuration (calendars, policies) and state (clocks, events).

`sla` knows nothing of the tickets app's code: clocks and events refer to the ticket by the
string "tickets.Ticket" and are driven by explicit calls from the tickets services.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Metric(models.TextChoices):
    FIRST_RESPONSE = "first_response", "First response"
    ANSWER = "answer", "Answer"
    NEXT_RESPONSE = "next_response", "Next response"
    RESOLUTION = "resolution", "Resolution"
    MODERATION = "moderation", "Moderation"
    REPORT_DECISION = "report_decision", "Report decision"


class Calendar(models.Model):
    """Business hours in a time zone, with public holidays of a country and custom dates."""

    name = models.CharField(max_length=100, unique=True)
    timezone = models.CharField(max_length=64, default="UTC")
    # API form: {"mon": [["09:00", "17:00"]], ..., "sun": []}; validated by sla.calendars.
    hours = models.JSONField(default=dict)
    holidays = models.JSONField(default=list, blank=True, help_text="Custom dates, YYYY-MM-DD.")
    country = models.CharField(max_length=8, blank=True, default="")
    subdivision = models.CharField(max_length=16, blank=True, default="")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Policy(models.Model):
    """Targets per metric for the tickets its filters match; the lowest `order` wins."""

    name = models.CharField(max_length=100)
    order = models.IntegerField(default=100)
    kinds = models.JSONField(default=list, blank=True)
    queues = models.JSONField(default=list, blank=True, help_text="Queue slugs.")
    priorities = models.JSONField(default=list, blank=True)
    calendar = models.ForeignKey(
        Calendar, null=True, blank=True, on_delete=models.PROTECT, related_name="policies"
    )
    targets = models.JSONField(default=dict, help_text="Metric → minutes of business time.")
    warn_percent = models.PositiveSmallIntegerField(default=75)

    class Meta:
        ordering = ["order", "id"]
        verbose_name_plural = "policies"

    def __str__(self) -> str:
        return f"{self.name} (order {self.order})"


class Clock(models.Model):
    """One SLA metric of one ticket. `next_response` runs in cycles, one row per cycle."""

    class State(models.TextChoices):
        RUNNING = "running", "Running"
        PAUSED = "paused", "Paused"
        STOPPED = "stopped", "Stopped"

    # No index of its own: the unique (ticket, metric, cycle) constraint leads with it.
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="clocks", db_index=False
    )
    metric = models.CharField(max_length=20, choices=Metric.choices)
    cycle = models.PositiveIntegerField(default=1)
    policy = models.ForeignKey(
        Policy, null=True, blank=True, on_delete=models.SET_NULL, related_name="clocks"
    )
    calendar = models.ForeignKey(
        Calendar, null=True, blank=True, on_delete=models.SET_NULL, related_name="clocks"
    )
    target_minutes = models.PositiveIntegerField()
    warn_percent = models.PositiveSmallIntegerField(default=75)
    state = models.CharField(max_length=8, choices=State.choices, default=State.RUNNING)
    breached = models.BooleanField(default=False)
    started_at = models.DateTimeField()
    due_at = models.DateTimeField()
    warn_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    # Business time spent paused so far: due_at = started_at + target + this, in business time.
    paused_seconds = models.FloatField(default=0)
    # The default "breach plus half the target" escalation: set once the breach is handled
    # (sla.escalate), recorded by the sweep as a level-2 breach event at that time.
    escalate_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["ticket_id", "started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "metric", "cycle"], name="clock_ticket_metric_cycle_uniq"
            ),
        ]
        indexes = [
            # The sweep reads only what crosses a threshold: running clocks not yet breached
            # (resp. warned), by due (resp. warn) time.
            models.Index(
                fields=["due_at"],
                name="clock_due_running_idx",
                condition=Q(state="running", breached=False),
            ),
            models.Index(
                fields=["warn_at"],
                name="clock_warn_running_idx",
                condition=Q(state="running", warned_at__isnull=True, breached=False),
            ),
            models.Index(
                fields=["escalate_at"],
                name="clock_escalate_running_idx",
                condition=Q(state="running", escalated_at__isnull=True, escalate_at__isnull=False),
            ),
            models.Index(fields=["ticket"], name="clock_breached_idx", condition=Q(breached=True)),
            # The dashboard's live list: the latest breaches of running clocks first.
            models.Index(
                F("due_at").desc(),
                F("id").desc(),
                name="clock_breached_live_idx",
                condition=Q(state="running", breached=True),
            ),
            models.Index(fields=["metric", "started_at"], name="clock_metric_started_idx"),
            models.Index(
                fields=["started_at"],
                name="clock_moderation_open_idx",
                condition=Q(metric="moderation", state__in=["running", "paused"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric} of #{self.ticket_id} ({self.state})"


class Event(models.Model):
    """Something the escalation app acts on, recorded once (unique per clock, kind, level)."""

    class Kind(models.TextChoices):
        WARNING = "warning", "Warning"
        BREACH = "breach", "Breach"
        GENERIC_REPLY = "generic_reply", "Generic reply"
        NOT_ANSWERED = "not_answered", "Not answered"
        UNPUBLISHED_7_DAYS = "unpublished_7_days", "Unpublished 7 days"
        DECISION_CONTESTED = "decision_contested", "Decision contested"

    # Indexed through event_ticket_kind_idx and the partial unique constraints.
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="sla_events", db_index=False
    )
    clock = models.ForeignKey(
        Clock,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="events",
        db_index=False,
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    level = models.PositiveSmallIntegerField(default=1)
    metric = models.CharField(max_length=20, choices=Metric.choices, blank=True, default="")
    # What the event is about when there is no clock (a message, a ticket): makes it unique.
    subject_key = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField()
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["clock", "kind", "level"],
                name="event_clock_kind_level_uniq",
                condition=Q(clock__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["ticket", "kind", "level", "subject_key"],
                name="event_subject_kind_level_uniq",
                condition=Q(clock__isnull=True),
            ),
        ]
        indexes = [
            models.Index(fields=["created_at"], name="event_created_idx"),
            models.Index(fields=["ticket", "kind"], name="event_ticket_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on #{self.ticket_id}"


class ReplyFingerprint(models.Model):
    """A sent public agent reply, fingerprinted, so template reuse is an index lookup.

    `template` groups near-duplicates: a new reply joins the template of its closest stored
    match, or starts its own. `not_answered` counts the requester's "this did not answer
    my question" against the reply's author and template.
    """

    message = models.OneToOneField(
        "tickets.Message", on_delete=models.CASCADE, related_name="fingerprint"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="reply_fingerprints"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reply_fingerprints",
    )
    sent_at = models.DateTimeField()
    signature = models.BinaryField(max_length=128)
    shingle_count = models.PositiveIntegerField()
    question_excerpt = models.TextField(max_length=1000, blank=True)
    template = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="uses"
    )
    generic = models.BooleanField(default=False)
    score = models.FloatField(default=0)
    not_answered = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["author", "sent_at"], name="replyfp_author_sent_idx"),
            models.Index(fields=["template", "sent_at"], name="replyfp_template_sent_idx"),
            models.Index(fields=["sent_at"], name="replyfp_sent_idx"),
        ]

    def __str__(self) -> str:
        return f"Fingerprint of message {self.message_id}"


class ReplyBand(models.Model):
    """One LSH band key of a fingerprint: replies sharing a key are reuse candidates."""

    fingerprint = models.ForeignKey(
        ReplyFingerprint, on_delete=models.CASCADE, related_name="bands"
    )
    key = models.BigIntegerField()
    sent_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["key", "sent_at"], name="replyband_key_sent_idx")]
        constraints = [
            models.UniqueConstraint(fields=["fingerprint", "key"], name="replyband_fp_key_uniq")
        ]

    def __str__(self) -> str:
        return f"Band {self.key} of fingerprint {self.fingerprint_id}"
