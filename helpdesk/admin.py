from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import OutboxTask, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "email", "role", "is_active", "last_login")
    list_filter = ("role", "is_active", "is_superuser")
    fieldsets = (*BaseUserAdmin.fieldsets, ("Helpdesk", {"fields": ("role", "time_zone")}))
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        ("Helpdesk", {"fields": ("email", "role")}),
    )


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that change only through the services: shown, never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutboxTask)
class OutboxTaskAdmin(ReadOnlyAdmin):
    """Background work the broker has not taken yet (pending rows only), read-only: the
    worker's drain hands it over; there is nothing for a person to change."""

    list_display = ("id", "func", "args", "created_at", "attempts", "last_error")
    ordering = ("id",)
    search_fields = ("func",)
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(dispatched_at=None)
