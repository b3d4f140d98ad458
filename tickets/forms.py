"""Forms parse and bound what people type; the writes themselves happen in services."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm, BaseUserCreationForm, PasswordResetForm

from helpdesk.models import User

from .models import BODY_MAX, SUBJECT_MAX, Queue, Ticket

CUSTOMER_PRIORITIES = [
    (Ticket.Priority.LOW, "Low"),
    (Ticket.Priority.NORMAL, "Normal"),
    (Ticket.Priority.HIGH, "High"),
]


class NoColonLabels:
    """Labels read "Subject", not "Subject:"; the layout already sets them apart."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class LoginForm(NoColonLabels, AuthenticationForm):
    """Django's own: it authenticates with the request, which django-axes needs."""


class SignupForm(NoColonLabels, BaseUserCreationForm):
    """Username, e-mail and a password checked by AUTH_PASSWORD_VALIDATORS.

    Only validates: the view creates the account with services.user_signup, never save().
    """

    email = forms.EmailField(max_length=254)

    class Meta(BaseUserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("That username is taken.", code="unique")
        return username


class TicketForm(NoColonLabels, forms.Form):
    subject = forms.CharField(
        max_length=SUBJECT_MAX,
        widget=forms.TextInput(attrs={"placeholder": "Summarise the problem in a few words"}),
    )
    body = forms.CharField(
        label="Description",
        max_length=BODY_MAX,
        widget=forms.Textarea(
            attrs={"rows": 8, "placeholder": "What happened, what did you expect, any details"}
        ),
    )
    queue = forms.ChoiceField(label="Topic", required=False)
    priority = forms.ChoiceField(choices=CUSTOMER_PRIORITIES, initial=Ticket.Priority.NORMAL)

    def __init__(self, *args, queues: list[Queue], **kwargs):
        super().__init__(*args, **kwargs)
        self.queues = {q.slug: q for q in queues}
        self.fields["queue"].choices = [("", "Not sure"), *((q.slug, q.name) for q in queues)]

    def clean_queue(self) -> Queue | None:
        slug = self.cleaned_data["queue"]
        return self.queues.get(slug) if slug else None


class ReplyForm(NoColonLabels, forms.Form):
    body = forms.CharField(
        label="Reply",
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "Write a reply…"}),
    )
    # Agents choose between a public reply and an internal note with two submit buttons.
    visibility = forms.ChoiceField(
        choices=[("public", "Public reply"), ("internal", "Internal note")],
        required=False,
    )

    @property
    def is_public(self) -> bool:
        return self.cleaned_data.get("visibility") != "internal"


class TicketUpdateForm(NoColonLabels, forms.Form):
    """The agent side panel: each select saves on its own through htmx (`hx_url`)."""

    status = forms.ChoiceField(choices=Ticket.Status.choices)
    priority = forms.ChoiceField(choices=Ticket.Priority.choices)
    assignee = forms.ChoiceField(required=False)
    queue = forms.ChoiceField(required=False)

    def __init__(self, *args, agents: list[User], queues: list[Queue], hx_url: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.agents = {str(a.pk): a for a in agents}
        self.queues = {q.slug: q for q in queues}
        self.fields["assignee"].choices = [
            ("", "Unassigned"),
            *((str(a.pk), a.display_name) for a in agents),
        ]
        self.fields["queue"].choices = [("", "No queue"), *((q.slug, q.name) for q in queues)]
        for name, field in self.fields.items():
            field.widget.attrs.update({"hx-post": hx_url, "hx-params": name})

    def changes(self) -> dict:
        """Keyword arguments for services.ticket_update; it records only real changes."""
        data = self.cleaned_data
        kwargs: dict = {"status": data["status"], "priority": data["priority"]}
        if data["assignee"]:
            kwargs["assignee"] = self.agents[data["assignee"]]
        else:
            kwargs["unassign"] = True
        if data["queue"]:
            kwargs["queue"] = self.queues[data["queue"]]
        else:
            kwargs["clear_queue"] = True
        return kwargs


QUEUE_STATUSES = [
    ("active", "Active"),
    ("open", "Open"),
    ("pending", "Pending"),
    ("solved", "Solved"),
    ("closed", "Closed"),
    ("all", "All"),
]
ASSIGNEE_FILTERS = [("", "Anyone"), ("me", "Me"), ("unassigned", "Unassigned")]


class QueueFilterForm(NoColonLabels, forms.Form):
    """The agent queue's GET filters. Invalid values are reported and then ignored."""

    q = forms.CharField(label="Search", max_length=200, required=False)
    status = forms.ChoiceField(choices=QUEUE_STATUSES, required=False)
    kind = forms.ChoiceField(choices=[("", "All kinds"), *Ticket.Kind.choices], required=False)
    queue = forms.ChoiceField(required=False)
    assignee = forms.ChoiceField(choices=ASSIGNEE_FILTERS, required=False)
    priority = forms.ChoiceField(
        choices=[("", "Any priority"), *Ticket.Priority.choices], required=False
    )
    requester = forms.CharField(max_length=150, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, queues: list[Queue], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["queue"].choices = [("", "All queues"), *((q.slug, q.name) for q in queues)]
        for name in ("q", "kind", "queue", "assignee", "priority"):
            self.fields[name].widget.attrs["id"] = f"filter-{name}"
        self.fields["q"].widget.attrs.update(
            {"type": "search", "placeholder": "Search subjects…", "autocomplete": "off"}
        )

    def values(self) -> dict[str, str]:
        """The valid filters, with defaults for the missing or invalid ones."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        values = {name: cleaned.get(name) or "" for name in self.fields}
        values["status"] = values["status"] or "active"
        values["q"] = values["q"].strip()
        return values


class ClaimablePasswordResetForm(PasswordResetForm):
    """Password reset that also reaches accounts created from e-mail, which have no usable
    password yet: it is how such a customer claims the account."""

    def get_users(self, email):
        users = User.objects.filter(email__iexact=email, is_active=True)
        return (u for u in users if u.email.casefold() == email.casefold())
