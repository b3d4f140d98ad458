"""Admin for data protection: erasures (managers erase any account here, agents' included)
and the log of agents' views of tickets, read-only."""

from django import forms
from django.contrib import admin
from django.utils import timezone

from .admin_content import ReadOnlyAdmin
from .models import Erasure, TicketView
from .privacy import user_erase


class ErasureForm(forms.ModelForm):
    confirm = forms.BooleanField(
        label="Erase this account's personal data now; this cannot be undone",
        required=True,
    )

    request = None  # set by ErasureAdmin.get_form

    class Meta:
        model = Erasure
        fields = ["user"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "user" in self.fields:
            self.fields["user"].required = True

    def clean_user(self):
        user = self.cleaned_data["user"]
        if Erasure.objects.filter(user=user).exists():
            raise forms.ValidationError("This account has been erased already.")
        if self.request is not None and user.pk == self.request.user.pk:
            raise forms.ValidationError("Another manager erases your own account.")
        return user


@admin.register(Erasure)
class ErasureAdmin(admin.ModelAdmin):
    """Adding an erasure erases the account (through the same service as the customer's
    own request); existing records are read-only."""

    list_display = ("created_at", "user", "requested_by", "via")
    list_filter = ("via",)
    raw_id_fields = ("user",)
    form = ErasureForm

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"request": request})

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("user", "confirm")
        return ("user", "requested_by", "via", "created_at", "counts")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.get_fields(request, obj)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        erasure = user_erase(
            user=form.cleaned_data["user"],
            now=timezone.now(),
            by=request.user,
            via=Erasure.Via.ADMIN,
            allow_staff=True,
        )
        obj.pk = erasure.pk
        obj.requested_by = erasure.requested_by
        obj.via = erasure.via
        obj.created_at = erasure.created_at
        obj.counts = erasure.counts


@admin.register(TicketView)
class TicketViewAdmin(ReadOnlyAdmin):
    list_display = ("viewed_at", "user", "ticket", "page", "channel")
    list_filter = ("page", "channel")
    raw_id_fields = ("user", "ticket")
    list_select_related = ("user", "ticket")
    date_hierarchy = "viewed_at"
