"""Admin for moderation, abuse reports and notifications: audit records are read-only here,
they change only through the services (a decision is a statement sent to people)."""

from django.contrib import admin, messages
from django.utils import timezone

from helpdesk.admin import ReadOnlyAdmin
from helpdesk.models import Notification

from .models import (
    ModerationContest,
    ModerationDecision,
    Report,
    ReportCase,
    ReportContest,
    ReportDecision,
    ReporterStanding,
    ReportIntake,
    ReportSanction,
)
from .reports import report_intake_set


@admin.register(ModerationDecision)
class ModerationDecisionAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "decision", "reason", "moderator", "decided_at")
    list_filter = ("decision", "reason")
    date_hierarchy = "decided_at"


@admin.register(ModerationContest)
class ModerationContestAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "author", "state", "reviewer", "created_at")
    list_filter = ("state",)


@admin.register(ReportCase)
class ReportCaseAdmin(ReadOnlyAdmin):
    list_display = ("target_url", "seller", "state", "outcome", "created_at", "decided_at")
    list_filter = ("state", "outcome")
    search_fields = ("target_url", "seller")


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "reporter", "case", "lane", "held", "created_at", "decided_at")
    list_filter = ("lane", "held")
    raw_id_fields = ("ticket", "case", "reporter")


@admin.register(ReportDecision)
class ReportDecisionAdmin(ReadOnlyAdmin):
    list_display = ("case", "outcome", "agent", "automated", "manifestly_unfounded", "decided_at")
    list_filter = ("outcome", "automated", "manifestly_unfounded")


@admin.register(ReportContest)
class ReportContestAdmin(ReadOnlyAdmin):
    list_display = ("by", "decision", "sanction", "outcome", "reviewer", "created_at")
    list_filter = ("outcome",)


@admin.register(ReportSanction)
class ReportSanctionAdmin(ReadOnlyAdmin):
    list_display = ("user", "kind", "reason", "created_at", "ends_at", "lifted_at")
    list_filter = ("kind",)


@admin.register(ReporterStanding)
class ReporterStandingAdmin(admin.ModelAdmin):
    """Managers mark trusted flaggers here (their reports take the priority lane)."""

    list_display = ("user", "trusted_flagger", "upheld", "rejected", "warned_at", "suspended_until")
    list_filter = ("trusted_flagger",)
    search_fields = ("user__username", "user__email")
    fields = (
        "user",
        "trusted_flagger",
        "upheld",
        "rejected",
        "warned_at",
        "suspended_until",
        "suspension_reason",
    )
    readonly_fields = (
        "user",
        "upheld",
        "rejected",
        "warned_at",
        "suspended_until",
        "suspension_reason",
    )

    def has_add_permission(self, request):
        return False


@admin.register(ReportIntake)
class ReportIntakeAdmin(admin.ModelAdmin):
    """The maintenance switch: reports are queued, not refused, while it is on; switching it
    off goes through the service, which releases the held reports and starts their clocks."""

    list_display = ("maintenance", "message", "updated_at")
    fields = ("maintenance", "message")

    def save_model(self, request, obj, form, change):
        row = report_intake_set(actor=request.user, maintenance=obj.maintenance, now=timezone.now())
        if row.message != obj.message:
            ReportIntake.objects.filter(pk=row.pk).update(message=obj.message)
        obj.pk = row.pk
        if not obj.maintenance:
            messages.info(request, "Report intake is open; held reports were released.")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("user", "kind", "ticket", "created_at", "read_at", "emailed_at")
    list_filter = ("kind",)
    search_fields = ("user__username", "text")
    raw_id_fields = ("user", "ticket")
