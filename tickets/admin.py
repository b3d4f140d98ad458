from django.contrib import admin

from .models import Message, Product, Queue, Ticket


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("sku", "name", "created_at")
    search_fields = ("sku", "name")


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = ("slug", "name")
    prepopulated_fields = {"slug": ("name",)}


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    fields = ("created_at", "author", "public", "kind", "channel", "body", "generic")
    readonly_fields = ("created_at", "author", "kind", "channel", "generic")
    show_change_link = True


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "kind",
        "subject",
        "status",
        "priority",
        "queue",
        "assignee",
        "created_at",
    )
    list_filter = ("kind", "status", "priority", "queue", "moderation", "outcome")
    search_fields = ("subject", "requester__username", "requester__email")
    raw_id_fields = ("requester", "assignee", "product")
    date_hierarchy = "created_at"
    list_select_related = ("queue", "assignee")
    inlines = [MessageInline]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("id", "ticket", "author", "public", "kind", "channel", "created_at")
    list_filter = ("public", "kind", "channel", "generic")
    raw_id_fields = ("ticket", "author")


from . import admin_content, admin_privacy  # noqa: E402,F401
from .email import admin as email_admin  # noqa: E402,F401
