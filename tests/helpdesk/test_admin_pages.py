import pytest
from django.apps import apps
from django.contrib import admin

OUR_APPS = ("helpdesk", "tickets", "sla", "escalation")
# Band keys are an index table of fingerprints, not something a person edits.
NOT_IN_ADMIN = {"sla.ReplyBand"}


def our_models():
    return [
        m
        for m in apps.get_models()
        if m._meta.app_label in OUR_APPS and m._meta.label not in NOT_IN_ADMIN
    ]


def test_every_model_of_the_helpdesk_has_an_admin():
    missing = [m._meta.label for m in our_models() if m not in admin.site._registry]
    assert missing == []


@pytest.mark.django_db
@pytest.mark.parametrize("model", our_models(), ids=lambda m: m._meta.label)
def test_each_admin_list_opens(admin_client, model):
    url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"

    assert admin_client.get(url).status_code == 200
