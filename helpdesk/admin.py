from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "email", "role", "is_active", "last_login")
    list_filter = ("role", "is_active", "is_superuser")
    fieldsets = (*BaseUserAdmin.fieldsets, ("Helpdesk", {"fields": ("role", "time_zone")}))
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        ("Helpdesk", {"fields": ("email", "role")}),
    )
