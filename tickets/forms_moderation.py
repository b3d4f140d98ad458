"""Forms for product questions, reviews and their moderation; the writes happen in
tickets.moderation."""

from django import forms

from .forms import NoColonLabels
from .models import BODY_MAX, SUBJECT_MAX, ModerationDecision, Product

RATING_CHOICES = [(n, f"{n} star{'s' if n > 1 else ''}") for n in range(5, 0, -1)]
REASON_CHOICES = [("", "Reason…"), *ModerationDecision.Reason.choices]


class QuestionForm(NoColonLabels, forms.Form):
    body = forms.CharField(
        label="Your question",
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "What would you like to know?"}),
    )


class ReviewForm(NoColonLabels, forms.Form):
    rating = forms.TypedChoiceField(label="Rating", choices=RATING_CHOICES, coerce=int)
    title = forms.CharField(label="Title", max_length=SUBJECT_MAX)
    body = forms.CharField(
        label="Your review",
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "What did you like or not?"}),
    )


class ResubmitForm(NoColonLabels, forms.Form):
    rating = forms.TypedChoiceField(
        label="Rating", choices=RATING_CHOICES, coerce=int, required=False
    )
    title = forms.CharField(label="Title", max_length=SUBJECT_MAX, required=False)
    body = forms.CharField(
        label="Text", max_length=BODY_MAX, widget=forms.Textarea(attrs={"rows": 4})
    )


class ContestForm(NoColonLabels, forms.Form):
    statement = forms.CharField(
        label="Why is this decision wrong?",
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ModerateForm(NoColonLabels, forms.Form):
    decision = forms.ChoiceField(choices=ModerationDecision.Decision.choices)
    reason = forms.ChoiceField(choices=REASON_CHOICES, required=False)
    explanation = forms.CharField(max_length=BODY_MAX, required=False)

    def clean(self):
        data = super().clean()
        if data.get("decision") == ModerationDecision.Decision.REJECT:
            if not data.get("reason"):
                self.add_error("reason", "A rejection needs a reason.")
            if not (data.get("explanation") or "").strip():
                self.add_error("explanation", "Explain the rejection to the author.")
        return data


class BulkPublishForm(forms.Form):
    ids = forms.TypedMultipleChoiceField(coerce=int)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any id is a candidate: the service publishes only what is still pending.
        self.fields["ids"].valid_value = lambda value: str(value).isdigit() and len(value) < 19


class ContestDecideForm(NoColonLabels, forms.Form):
    outcome = forms.ChoiceField(choices=[("reversed", "Publish"), ("upheld", "Keep rejected")])
    explanation = forms.CharField(max_length=BODY_MAX)


class AnswerForm(NoColonLabels, forms.Form):
    body = forms.CharField(
        label="Answer", max_length=BODY_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )


class ModerationFilterForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[("", "All kinds"), ("question", "Questions"), ("review", "Reviews")],
        required=False,
    )
    product = forms.ChoiceField(required=False)
    rating = forms.TypedChoiceField(
        choices=[("", "Any rating"), *RATING_CHOICES], coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, products: list[Product], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [("", "All products")] + [
            (p.sku, p.name) for p in products
        ]

    def values(self) -> dict:
        if not self.is_valid():
            return {"kind": "", "product": "", "rating": None}
        return {k: self.cleaned_data.get(k) for k in ("kind", "product", "rating")}


class PeriodForm(forms.Form):
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
