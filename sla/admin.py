from django import forms
from django.contrib import admin

from .calendars import CalendarError, parse_hours, validate_country, validate_timezone
from .models import Calendar, Clock, Event, Metric, Policy, ReplyFingerprint


class CalendarForm(forms.ModelForm):
    """The same rules as the API: a bad zone, hours or country never reaches the database."""

    class Meta:
        model = Calendar
        fields = ["name", "timezone", "hours", "holidays", "country", "subdivision"]

    def clean(self):
        data = super().clean()
        checks = [
            ("timezone", lambda: validate_timezone(data.get("timezone"))),
            ("hours", lambda: parse_hours(data.get("hours") or {})),
            ("country", lambda: validate_country(data.get("country"), data.get("subdivision"))),
        ]
        for field, check in checks:
            try:
                check()
            except CalendarError as exc:
                self.add_error(field, f"{exc.field}: {exc.message}")
        return data


class PolicyForm(forms.ModelForm):
    class Meta:
        model = Policy
        fields = [
            "name",
            "order",
            "kinds",
            "queues",
            "priorities",
            "calendar",
            "targets",
            "warn_percent",
        ]

    def clean_targets(self):
        targets = self.cleaned_data["targets"]
        if not isinstance(targets, dict) or not targets:
            raise forms.ValidationError('Give at least one target, e.g. {"answer": 1440}.')
        for metric, minutes in targets.items():
            if metric not in Metric.values:
                raise forms.ValidationError(f"Unknown metric {metric!r}.")
            if not isinstance(minutes, int) or minutes < 1:
                raise forms.ValidationError(f"The {metric} target must be a positive integer.")
        return targets


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    form = CalendarForm
    list_display = ("name", "timezone", "country", "subdivision")
    search_fields = ("name",)


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    form = PolicyForm
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


@admin.register(ReplyFingerprint)
class ReplyFingerprintAdmin(admin.ModelAdmin):
    list_display = ("message", "author", "sent_at", "generic", "score", "not_answered", "template")
    list_filter = ("generic", "not_answered")
    raw_id_fields = ("message", "ticket", "author", "template")
    exclude = ("signature",)
    readonly_fields = ("shingle_count", "question_excerpt", "score")
