"""Abuse reports (DSA arts. 16, 17, 20, 23): a report is a Ticket of kind report with a
`Report` row beside it; reports about the same target are one `ReportCase`, decided once.

Imported at the end of tickets/models.py, so these are models of the tickets app.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from .models import BODY_MAX, Ticket

__all__ = [
    "REASONS",
    "Report",
    "ReportCase",
    "ReportContest",
    "ReportDecision",
    "ReportIntake",
    "ReportSanction",
    "ReporterStanding",
]

REASONS = [
    ("copyright", "Copyright or plagiarised photos"),
    ("counterfeit", "Counterfeit"),
    ("prohibited", "Prohibited item"),
    ("fraud", "Fraud or scam"),
    ("hate", "Hate or harassment"),
    ("personal_data", "Personal data"),
    ("other", "Other"),
]


class ReportCase(models.Model):
    """Every report about one target (its normalised URL) or one seller."""

    class State(models.TextChoices):
        OPEN = "open", "Open"
        DECIDED = "decided", "Decided"

    key = models.CharField(max_length=64, unique=True)  # sha256 of "url:..." or "seller:..."
    target_url = models.URLField(max_length=2000)
    seller = models.CharField(max_length=200, blank=True, default="")
    # The question or review reported, when the target is content of this helpdesk: its
    # author is told when a report against it is upheld.
    content = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="report_cases"
    )
    state = models.CharField(max_length=8, choices=State.choices, default=State.OPEN)
    outcome = models.CharField(
        max_length=16, choices=Ticket.Outcome.choices, null=True, blank=True, default=None
    )
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["state", "created_at"], name="reportcase_state_idx")]

    def __str__(self) -> str:
        return f"Case {self.pk}: {self.seller or self.target_url}"


class ReportDecision(models.Model):
    """A decision on a case with its statement of reasons (DSA art. 17); never changed: a
    contest that succeeds adds a reversing decision."""

    case = models.ForeignKey(ReportCase, on_delete=models.CASCADE, related_name="decisions")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="report_decisions",
    )
    outcome = models.CharField(max_length=16, choices=Ticket.Outcome.choices)
    facts = models.TextField(max_length=BODY_MAX)
    rule = models.CharField(max_length=300)
    automated = models.BooleanField(default=False)
    manifestly_unfounded = models.BooleanField(default=False)
    statement = models.TextField(max_length=3 * BODY_MAX)
    decided_at = models.DateTimeField()
    reverses = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )

    class Meta:
        ordering = ["decided_at", "id"]
        indexes = [models.Index(fields=["decided_at"], name="reportdecision_decided_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(manifestly_unfounded=False) | Q(outcome="rejected"),
                name="reportdecision_unfounded_rejected",
            )
        ]

    def __str__(self) -> str:
        return f"{self.outcome} on case {self.case_id}"


class Report(models.Model):
    """What a report ticket carries beyond the Ticket row."""

    class Lane(models.TextChoices):
        NORMAL = "normal", "Normal"
        PRIORITY = "priority", "Priority"

    ticket = models.OneToOneField(
        Ticket, primary_key=True, on_delete=models.CASCADE, related_name="report"
    )
    case = models.ForeignKey(ReportCase, on_delete=models.PROTECT, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reports"
    )
    created_at = models.DateTimeField()
    evidence_links = models.JSONField(default=list, blank=True)
    good_faith = models.BooleanField(default=False)
    lane = models.CharField(max_length=8, choices=Lane.choices, default=Lane.NORMAL)
    # Accepted during maintenance: the decision clock starts when intake reopens.
    held = models.BooleanField(default=False)
    decision = models.ForeignKey(
        ReportDecision, null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    manifestly_unfounded = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-ticket_id"]
        indexes = [
            models.Index(fields=["reporter", "created_at"], name="report_reporter_created_idx"),
            models.Index(fields=["reporter", "decided_at"], name="report_reporter_decided_idx"),
            models.Index(fields=["case", "decided_at"], name="report_case_idx"),
            models.Index(fields=["created_at"], name="report_held_idx", condition=Q(held=True)),
        ]

    def __str__(self) -> str:
        return f"Report #{self.ticket_id}"


class ReporterStanding(models.Model):
    """A reporter's record: the counts the limit grows or shrinks with, the trusted-flagger
    status (set by managers) and the current sanction. Its row is locked while a report is
    accepted, so the limit holds under parallel requests."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="report_standing",
    )
    upheld = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    trusted_flagger = models.BooleanField(
        default=False, help_text="DSA art. 22: reports go to the priority lane."
    )
    warned_at = models.DateTimeField(null=True, blank=True)
    suspended_until = models.DateTimeField(null=True, blank=True)
    suspension_reason = models.TextField(blank=True, default="")

    def __str__(self) -> str:
        return f"Standing of {self.user_id}"


class ReportSanction(models.Model):
    """A warning or a suspension for misuse (DSA art. 23), with its reason and end date."""

    class Kind(models.TextChoices):
        WARNING = "warning", "Warning"
        SUSPENSION = "suspension", "Suspension"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_sanctions"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    reason = models.TextField()
    created_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "created_at"], name="reportsanction_user_idx")]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"


class ReportContest(models.Model):
    """A reporter's or author's contest of a decision, or a reporter's of a suspension
    (DSA art. 20), within 6 months; reviewed by another agent than the one who decided."""

    class Outcome(models.TextChoices):
        REVERSED = "reversed", "Reversed"
        CONFIRMED = "confirmed", "Confirmed"

    decision = models.ForeignKey(
        ReportDecision, null=True, blank=True, on_delete=models.CASCADE, related_name="contests"
    )
    sanction = models.ForeignKey(
        ReportSanction, null=True, blank=True, on_delete=models.CASCADE, related_name="contests"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_contests"
    )
    explanation = models.TextField(max_length=BODY_MAX)
    created_at = models.DateTimeField()
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reviewed_report_contests",
    )
    outcome = models.CharField(
        max_length=12, choices=Outcome.choices, null=True, blank=True, default=None
    )
    reply = models.TextField(max_length=BODY_MAX, blank=True, default="")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision__isnull=False, sanction__isnull=True)
                | Q(decision__isnull=True, sanction__isnull=False),
                name="reportcontest_one_subject",
            ),
            models.UniqueConstraint(
                fields=["decision", "by"],
                name="reportcontest_decision_by_uniq",
                condition=Q(decision__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["sanction", "by"],
                name="reportcontest_sanction_by_uniq",
                condition=Q(sanction__isnull=False),
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"], name="reportcontest_open_idx", condition=Q(outcome=None)
            )
        ]

    def __str__(self) -> str:
        return f"Contest {self.pk}"


class ReportIntake(models.Model):
    """The maintenance switch managers toggle in the admin (one row): while on, reports are
    accepted and held, and every report page shows the message."""

    maintenance = models.BooleanField(default=False)
    message = models.CharField(
        max_length=300,
        blank=True,
        default="Report handling is paused for maintenance. Reports are still accepted and "
        "queued; their decision time starts when handling resumes.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "report intake"

    def __str__(self) -> str:
        return "Maintenance on" if self.maintenance else "Open"
