from django.conf import settings
from django.db import models
from django.db.models import Q

SUBJECT_MAX = 200
BODY_MAX = 20_000


class Product(models.Model):
    sku = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"


class Queue(models.Model):
    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=300, blank=True)
    calendar = models.ForeignKey(
        "sla.Calendar",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="queues",
        help_text="Business hours for policies that have no calendar of their own.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Ticket(models.Model):
    """Everything a customer waits on: a support request, a question, a review or a report."""

    class Kind(models.TextChoices):
        SUPPORT = "support", "Support"
        QUESTION = "question", "Question"
        REVIEW = "review", "Review"
        REPORT = "report", "Report"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        PENDING = "pending", "Pending"
        SOLVED = "solved", "Solved"
        CLOSED = "closed", "Closed"

    class Priority(models.TextChoices):
        LOW = "low", "Low"
        NORMAL = "normal", "Normal"
        HIGH = "high", "High"
        URGENT = "urgent", "Urgent"

    class Moderation(models.TextChoices):
        PENDING = "pending", "Pending"
        PUBLISHED = "published", "Published"
        REJECTED = "rejected", "Rejected"

    class Outcome(models.TextChoices):
        UPHELD = "upheld", "Upheld"
        REJECTED = "rejected", "Rejected"

    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.SUPPORT)
    subject = models.CharField(max_length=SUBJECT_MAX)
    body = models.TextField(max_length=BODY_MAX)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    priority = models.CharField(max_length=16, choices=Priority.choices, default=Priority.NORMAL)
    queue = models.ForeignKey(
        Queue, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="requested_tickets"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    channel = models.CharField(max_length=8, default="web")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    # Kind-specific: questions and reviews are about a product and wait for moderation;
    # reviews carry a rating; reports point at a URL with a reason and end in an outcome.
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    moderation = models.CharField(
        max_length=16, choices=Moderation.choices, null=True, blank=True, default=None
    )
    target_url = models.URLField(max_length=2000, blank=True, default="")
    reason = models.CharField(max_length=32, blank=True, default="")
    outcome = models.CharField(
        max_length=16, choices=Outcome.choices, null=True, blank=True, default=None
    )
    # The earliest due time of the ticket's running SLA clocks, kept by the tickets services
    # after every clock change, so the agent queue sorts by it through an index.
    sla_due_at = models.DateTimeField(null=True, blank=True)
    # When its personal data was removed (erasure of the requester, or the retention period
    # after closing): subject, body, messages and e-mail data hold a marker from then on.
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # the customer's "my tickets" page
            models.Index(fields=["requester", "-created_at"], name="ticket_requester_idx"),
            # the agent queue: open work by status, queue and assignee, newest first
            models.Index(fields=["status", "-created_at"], name="ticket_status_idx"),
            # the API's default order, newest first
            models.Index(fields=["-created_at", "-id"], name="ticket_created_idx"),
            models.Index(fields=["queue", "status"], name="ticket_queue_status_idx"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status_idx"),
            models.Index(fields=["kind", "status"], name="ticket_kind_status_idx"),
            models.Index(fields=["status", "sla_due_at"], name="ticket_status_due_idx"),
            # the agent queue's default view: active tickets by earliest due time
            models.Index(
                fields=["sla_due_at", "created_at", "id"],
                name="ticket_active_due_idx",
                condition=Q(status__in=["open", "pending"]),
            ),
            # the moderation queue: pending content, oldest first
            models.Index(
                fields=["created_at"],
                name="ticket_moderation_pending_idx",
                condition=Q(moderation="pending"),
            ),
            # the retention purge: closed tickets not yet purged, longest untouched first
            models.Index(
                fields=["updated_at", "id"],
                name="ticket_retention_idx",
                condition=Q(status="closed", purged_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="ticket_rating_1_5",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def reference(self) -> str:
        return f"#{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.PENDING)


class Message(models.Model):
    """One entry of a ticket's conversation: a public reply, an internal note or an event."""

    class Channel(models.TextChoices):
        WEB = "web", "Web"
        EMAIL = "email", "E-mail"
        API = "api", "API"

    class Kind(models.TextChoices):
        REPLY = "reply", "Reply"  # public or internal note, written by a person
        EVENT = "event", "Event"  # a change of status, priority, assignee... (internal)

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
    )
    body = models.TextField(max_length=BODY_MAX)
    public = models.BooleanField(default=True)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.REPLY)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.WEB)
    created_at = models.DateTimeField()
    # Set by reply-quality assessment for agents' public replies.
    generic = models.BooleanField(default=False)
    generic_reasons = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="message_ticket_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="reply") | Q(public=False), name="message_event_internal"
            ),
        ]

    def __str__(self) -> str:
        return f"Message {self.pk} on #{self.ticket_id}"


from .email.models import *  # noqa: E402,F403

# --- moderation of public content (questions, reviews) ------------------------------------


class ModerationDecision(models.Model):
    """One decision on a question or a review: the audit record and the statement of reasons
    sent to the author. A resubmission or a contest leads to a further decision; none is
    ever changed."""

    class Decision(models.TextChoices):
        PUBLISH = "publish", "Publish"
        REJECT = "reject", "Reject"
        # An order or service question is not rejected: it becomes a support ticket.
        CONVERT = "convert", "Turn into a support ticket"

    class Reason(models.TextChoices):
        # A negative opinion is never a reason: it is deliberately not in this list.
        SPAM = "spam", "Spam or advertising"
        OFF_TOPIC = "off_topic", "Off topic"
        PERSONAL_DATA = "personal_data", "Personal data"
        OFFENSIVE = "offensive", "Offensive or abusive"
        NOT_ABOUT_PRODUCT = "not_about_product", "Not about the product"
        LINKS = "links", "Links or contact details"
        DUPLICATE = "duplicate", "Duplicate"
        SERVICE_QUESTION = "service_question", "Order or service question"
        OTHER = "other", "Other"

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="moderation_decisions"
    )
    decision = models.CharField(max_length=8, choices=Decision.choices)
    reason = models.CharField(max_length=24, choices=Reason.choices, blank=True, default="")
    explanation = models.TextField(max_length=BODY_MAX, blank=True, default="")
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="moderation_decisions"
    )
    # When the content entered moderation (its submission or resubmission): the neutrality
    # monitor measures time to decision from here.
    submitted_at = models.DateTimeField()
    decided_at = models.DateTimeField()
    # Set when this decision reviews a contested one.
    on_contest = models.BooleanField(default=False)
    support_ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="converted_from"
    )

    class Meta:
        ordering = ["decided_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "decided_at"], name="moddecision_ticket_idx"),
            models.Index(fields=["decided_at"], name="moddecision_decided_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision="publish", reason="") | ~Q(decision="publish"),
                name="moddecision_publish_no_reason",
            ),
            models.CheckConstraint(
                condition=Q(decision="publish") | ~Q(reason=""),
                name="moddecision_refusal_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.decision} #{self.ticket_id}"


class ModerationContest(models.Model):
    """The author's appeal against a rejection, within 6 months, decided by another
    moderator than the one who rejected."""

    class State(models.TextChoices):
        OPEN = "open", "Open"
        REVERSED = "reversed", "Reversed: published"
        UPHELD = "upheld", "Upheld: stays rejected"

    decision = models.OneToOneField(
        ModerationDecision, on_delete=models.CASCADE, related_name="contest"
    )
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="contests")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="contests"
    )
    statement = models.TextField(max_length=BODY_MAX)
    created_at = models.DateTimeField()
    state = models.CharField(max_length=8, choices=State.choices, default=State.OPEN)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contests_reviewed",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_explanation = models.TextField(max_length=BODY_MAX, blank=True, default="")

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["created_at"], name="contest_open_idx", condition=Q(state="open")),
        ]

    def __str__(self) -> str:
        return f"Contest of #{self.ticket_id} ({self.state})"


from .models_privacy import *  # noqa: E402,F403
from .models_reports import *  # noqa: E402,F403
