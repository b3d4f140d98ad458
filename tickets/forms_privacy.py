"""Forms of the "Your data" page and of the managers' audit log."""

from datetime import date, datetime, time, timedelta

from django import forms
from django.contrib.auth import authenticate
from django.utils import timezone

from helpdesk.models import User

from .serializers import MAX_ID

# Days a log can hold; outside, a day's bounds would not convert to UTC everywhere.
FIRST_YEAR, LAST_YEAR = 2000, 9000


class EraseForm(forms.Form):
    """The account holder's password and an explicit confirmation. The password goes through
    `authenticate`, so failed attempts count towards the log-in lock-out (django-axes)."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label="I understand that my account and what I wrote are erased for good",
        required=True,
        error_messages={"required": "Tick this box to confirm."},
    )

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        user = authenticate(
            request=self.request, username=self.request.user.username, password=password
        )
        if user is None or user.pk != self.request.user.pk:
            raise forms.ValidationError("That is not your password.", code="wrong_password")
        return password


class AuditFilterForm(forms.Form):
    """Filters of /manager/audit/: who, which ticket, and a range of days in the viewer's
    time zone (both days included)."""

    user = forms.TypedChoiceField(label="Agent", required=False, coerce=int, empty_value=None)
    ticket = forms.IntegerField(label="Ticket", required=False, min_value=1, max_value=MAX_ID)
    since = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, agents: list[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [("", "Every agent")] + [
            (str(a.pk), a.display_name) for a in agents
        ]
        self.fields["ticket"].widget.attrs.update(placeholder="Ticket #", inputmode="numeric")

    def clean(self):
        data = super().clean()
        for name in ("since", "until"):
            day = data.get(name)
            if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
                self.add_error(name, f"Pick a day between {FIRST_YEAR} and {LAST_YEAR}.")
                data[name] = None
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", "The end is before the start.")
        return data

    @staticmethod
    def _start_of(day: date) -> datetime:
        return timezone.make_aware(datetime.combine(day, time.min))

    def values(self) -> dict:
        """The selector's keyword arguments; an invalid filter is left out (and shown)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = self.cleaned_data
        since, until = data.get("since"), data.get("until")
        return {
            "user_id": data.get("user"),
            "ticket_id": data.get("ticket"),
            "since": self._start_of(since) if since else None,
            "until": self._start_of(until + timedelta(days=1)) if until else None,
        }
