from django.contrib import admin

from .models import Calendar, Clock, Event, Policy


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "timezone", "country", "subdivision")
    search_fields = ("name",)


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "order", "kinds", "queues", "priorities", "calendar", "warn_percent")
    ordering = ("order",)


@admin.register(Clock)
class ClockAdmin(admin.ModelAdmin):
    list_display = ("ticket", "metric", "cycle", "state", "breached", "started_at", "due_at")
    list_filter = ("metric", "state", "breached")
    raw_id_fields = ("ticket",)
    date_hierarchy = "due_at"


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("ticket", "kind", "level", "metric", "created_at")
    list_filter = ("kind", "metric")
    raw_id_fields = ("ticket", "clock")
