"""Admin for the e-mail channel: where agents look at held and unreadable mail."""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html

from .intake import email_release
from .models import EmailAttachment, EmailRecord

RAW_PREVIEW = 20_000


class EmailAttachmentInline(admin.TabularInline):
    model = EmailAttachment
    extra = 0
    fields = ("filename", "content_type", "size", "file", "refused")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(EmailRecord)
class EmailRecordAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "created_at",
        "direction",
        "status",
        "from_address",
        "to_addresses",
        "subject",
        "ticket",
        "attempts",
    )
    list_filter = ("direction", "status")
    search_fields = ("rfc_message_id", "from_address", "to_addresses", "subject")
    date_hierarchy = "created_at"
    list_select_related = ("ticket",)
    raw_id_fields = ("ticket", "message")
    exclude = ("raw",)
    readonly_fields = [
        f.name for f in EmailRecord._meta.get_fields() if f.concrete and f.name != "raw"
    ] + ["raw_preview"]
    inlines = [EmailAttachmentInline]
    actions = ["release"]

    @admin.display(description="Raw message")
    def raw_preview(self, obj: EmailRecord):
        if obj.raw is None:
            return "—"
        raw = bytes(obj.raw)
        text = raw[:RAW_PREVIEW].decode("utf-8", "replace")
        more = f"\n… {len(raw) - RAW_PREVIEW} more bytes" if len(raw) > RAW_PREVIEW else ""
        return format_html("<pre style='white-space:pre-wrap'>{}{}</pre>", text, more)

    @admin.action(description="Let through (ingest again, past the rate limit)")
    def release(self, request, queryset):
        for record in queryset.filter(status__in=["held", "error"], raw__isnull=False):
            result = email_release(record=record, now=timezone.now())
            self.message_user(request, f"{record.subject or record.pk}: {result.describe()}")
        if not queryset.filter(status__in=["held", "error"]).exists():
            self.message_user(
                request, "Only held or unreadable mail can be let through.", messages.WARNING
            )

    def has_add_permission(self, request):
        return False


@admin.register(EmailAttachment)
class EmailAttachmentAdmin(admin.ModelAdmin):
    list_display = ("filename", "content_type", "size", "refused", "email")
    list_filter = ("refused", "content_type")
    search_fields = ("filename",)
    raw_id_fields = ("email",)
