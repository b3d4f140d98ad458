from django.contrib import admin

from .models import Escalation, NotificationPreference, QueueAgent, Rule


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = ["name", "trigger", "min_level", "max_level", "hours", "active", "order"]
    list_filter = ["trigger", "active"]
    list_editable = ["active", "order"]
    autocomplete_fields = ["reassign_agent"]
    fieldsets = [
        (None, {"fields": ["name", "active", "order", "trigger"]}),
        (
            "Conditions (empty lists match everything)",
            {
                "fields": [
                    "kinds",
                    "queues",
                    "priorities",
                    "metrics",
                    "min_level",
                    "max_level",
                    "hours",
                ]
            },
        ),
        (
            "Actions",
            {
                "fields": [
                    "notify_assignee",
                    "notify_queue_agents",
                    "notify_managers",
                    "reassign",
                    "reassign_queue",
                    "reassign_agent",
                    "raise_priority",
                    "priority_cap",
                    "raise_level",
                ]
            },
        ),
    ]


@admin.register(Escalation)
class EscalationAdmin(admin.ModelAdmin):
    list_display = ["ticket", "trigger", "level", "metric", "created_at", "acknowledged_at"]
    list_filter = ["trigger", "level"]
    raw_id_fields = ["event", "ticket", "clock", "acknowledged_by"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(QueueAgent)
class QueueAgentAdmin(admin.ModelAdmin):
    list_display = ["queue", "user"]
    autocomplete_fields = ["user"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "email", "email_triggers"]
    autocomplete_fields = ["user"]
