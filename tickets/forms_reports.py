"""Forms for abuse reports: they parse and bound input; the services write."""

from django import forms

from .forms import NoColonLabels
from .models import BODY_MAX, REASONS, ReportContest, Ticket
from .reports import BATCH_MAX

EVIDENCE_MAX = 10


def _urls(text: str, *, limit: int, field: str) -> list[str]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    validate = forms.URLField(max_length=2000, assume_scheme="https")
    urls, bad = [], []
    for line in lines:
        try:
            urls.append(validate.clean(line))
        except forms.ValidationError:
            bad.append(line[:80])
    if bad:
        raise forms.ValidationError(f"Not a web address: {', '.join(bad[:3])}.")
    if len(urls) > limit:
        raise forms.ValidationError(f"At most {limit} {field} at once; you gave {len(urls)}.")
    return list(dict.fromkeys(urls))


class ReportForm(NoColonLabels, forms.Form):
    target_url = forms.URLField(
        label="Address of the listing or content",
        max_length=2000,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://shop.example.com/listing/…"}),
    )
    reason = forms.ChoiceField(choices=REASONS)
    explanation = forms.CharField(
        max_length=BODY_MAX,
        widget=forms.Textarea(
            attrs={"rows": 5, "placeholder": "What is wrong with it, and how you know"}
        ),
        help_text="Why the content is illegal or breaks the shop's rules.",
    )
    evidence_links = forms.CharField(
        label="Evidence links (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "One address per line"}),
        help_text=f"Up to {EVIDENCE_MAX}, e.g. your original photos.",
    )
    good_faith = forms.BooleanField(
        label="I confirm that this report is accurate and complete, to the best of my "
        "knowledge, and made in good faith.",
    )
    content = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def clean_evidence_links(self) -> list[str]:
        return _urls(self.cleaned_data["evidence_links"], limit=EVIDENCE_MAX, field="links")


class ReportBatchForm(ReportForm):
    target_url = None
    target_urls = forms.CharField(
        label=f"Addresses (one per line, up to {BATCH_MAX})",
        widget=forms.Textarea(attrs={"rows": 8, "placeholder": "https://shop.example.com/…"}),
    )
    content = None

    field_order = ["target_urls", "reason", "explanation", "evidence_links", "good_faith"]

    def clean_target_urls(self) -> list[str]:
        urls = _urls(self.cleaned_data["target_urls"], limit=BATCH_MAX, field="addresses")
        if not urls:
            raise forms.ValidationError("Give at least one address.")
        return urls


class DecideForm(NoColonLabels, forms.Form):
    outcome = forms.ChoiceField(choices=Ticket.Outcome.choices, widget=forms.RadioSelect)
    facts = forms.CharField(
        label="Facts and reasons",
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What you checked and found; sent to every reporter of this case.",
    )
    rule = forms.CharField(
        label="Rule applied (optional)",
        max_length=300,
        required=False,
        help_text="Leave empty for the rule the report's reason invokes.",
    )
    manifestly_unfounded = forms.BooleanField(
        label="Manifestly unfounded (counts towards the misuse rule)", required=False
    )

    def clean(self):
        data = super().clean()
        if data.get("manifestly_unfounded") and data.get("outcome") != "rejected":
            self.add_error("manifestly_unfounded", "Only a rejected report can be unfounded.")
        return data


class ContestForm(NoColonLabels, forms.Form):
    explanation = forms.CharField(
        label="Why the decision is wrong",
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ContestDecideForm(NoColonLabels, forms.Form):
    outcome = forms.ChoiceField(choices=ReportContest.Outcome.choices, widget=forms.RadioSelect)
    reply = forms.CharField(
        label="Reasons", max_length=BODY_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )
