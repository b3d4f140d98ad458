from django.contrib.auth.models import AbstractUser
from django.db import models

MANAGER_APPS = frozenset({"helpdesk", "tickets", "sla", "escalation"})


class User(AbstractUser):
    """A person using the helpdesk; `role` decides what they see and may do."""

    class Role(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        AGENT = "agent", "Agent"
        MANAGER = "manager", "Manager"

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CUSTOMER)
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        default="",
        help_text="IANA time zone for showing times; empty means the browser's.",
    )

    class Meta:
        indexes = [models.Index(fields=["role"], name="user_role_idx")]

    def has_perm(self, perm: str, obj=None) -> bool:
        """Managers configure the helpdesk in the admin: every permission of its own apps."""
        manager = self.is_active and self.role == self.Role.MANAGER
        if manager and perm.partition(".")[0] in MANAGER_APPS:
            return True
        return super().has_perm(perm, obj)

    def has_module_perms(self, app_label: str) -> bool:
        if self.is_active and self.role == self.Role.MANAGER and app_label in MANAGER_APPS:
            return True
        return super().has_module_perms(app_label)

    @property
    def is_manager(self) -> bool:
        return self.is_superuser or self.role == self.Role.MANAGER

    @property
    def is_agent(self) -> bool:
        """Agents and managers work tickets; a superuser counts as a manager."""
        return self.is_manager or self.role == self.Role.AGENT

    @property
    def effective_role(self) -> str:
        return self.Role.MANAGER if self.is_manager else self.role

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class Notification(models.Model):
    """An in-app notice to one person, also sent by e-mail unless they opted out.

    Lives in the project package so every app can notify without importing another app.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    text = models.TextField(max_length=4000)
    url = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_user_idx"),
            models.Index(
                fields=["user"], name="notification_unread_idx", condition=models.Q(read_at=None)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"


class OutboxTask(models.Model):
    """A django-q2 task recorded in the transaction that asks for it (helpdesk.outbox).

    Handed to the broker after commit; when the broker cannot take it (Redis down), the row
    waits here, pending, and the worker's drain hands it over once the broker is back.
    """

    func = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()
    dispatched_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        indexes = [
            models.Index(
                fields=["id"], name="outbox_pending_idx", condition=models.Q(dispatched_at=None)
            ),
            models.Index(
                fields=["dispatched_at"],
                name="outbox_dispatched_idx",
                condition=models.Q(dispatched_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.func} #{self.pk}"
