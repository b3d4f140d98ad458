import pytest

from sla.models import Calendar, Policy
from tests.factories import QueueFactory

OFFICE = {
    "name": "Bucharest office",
    "timezone": "Europe/Bucharest",
    "hours": {"mon": [["09:00", "13:00"], ["14:00", "18:00"]], "fri": [["22:00", "06:00"]]},
    "holidays": ["2026-12-24"],
    "country": "ro",
}


@pytest.mark.django_db
def test_the_default_24_7_policy_ships_with_the_contract_targets(api_client, manager):
    response = api_client(manager).get("/api/v1/sla-policies/")

    assert response.status_code == 200
    defaults = [p for p in response.json()["results"] if p["order"] == 1000]
    assert defaults == [
        {
            "id": Policy.objects.get(order=1000).pk,
            "name": "Default 24/7",
            "order": 1000,
            "kinds": [],
            "queues": [],
            "priorities": [],
            "calendar": None,
            "targets": {
                "first_response": 240,
                "answer": 1440,
                "next_response": 480,
                "resolution": 4320,
                "moderation": 1440,
                "report_decision": 1440,
            },
            "warn_percent": 75,
        }
    ]


@pytest.mark.django_db
def test_manager_creates_a_calendar_a_queue_on_it_and_a_policy(api_client, manager):
    client = api_client(manager)

    calendar = client.post("/api/v1/calendars/", OFFICE, format="json")
    assert calendar.status_code == 201, calendar.json()
    body = calendar.json()
    assert body == {
        "id": body["id"],
        "name": "Bucharest office",
        "timezone": "Europe/Bucharest",
        "hours": OFFICE["hours"],
        "holidays": ["2026-12-24"],
        "country": "RO",
        "subdivision": "",
    }
    queue = client.post(
        "/api/v1/queues/", {"slug": "billing", "name": "Billing", "calendar": body["id"]}
    )
    assert queue.status_code == 201
    assert queue.json() == {
        "slug": "billing",
        "name": "Billing",
        "description": "",
        "calendar": body["id"],
    }
    policy = client.post(
        "/api/v1/sla-policies/",
        {
            "name": "Billing urgent",
            "order": 10,
            "kinds": ["support"],
            "queues": ["billing"],
            "priorities": ["urgent", "high"],
            "calendar": body["id"],
            "targets": {"first_response": 60, "resolution": 480},
            "warn_percent": 80,
        },
    )
    assert policy.status_code == 201, policy.json()
    assert policy.json()["priorities"] == ["high", "urgent"]
    assert Policy.objects.get(name="Billing urgent").calendar_id == body["id"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone", "unknown time zone 'Mars/Olympus'"),
        ({"hours": {"mon": [["09:00", "13:00"], ["12:00", "18:00"]]}}, "hours", "hours.mon"),
        ({"hours": {"mon": [["09:00", "09:00"]]}}, "hours", "hours.mon[0]"),
        ({"hours": {"mon": [["25:00", "26:00"]]}}, "hours", "hours.mon[0]"),
        ({"hours": {"someday": [["09:00", "17:00"]]}}, "hours", "hours.someday"),
        ({"hours": "nine to five"}, "hours", "hours"),
        ({"holidays": ["2026-02-30"]}, "holidays", "Date has wrong format"),
        ({"country": "XX"}, "country", "unknown or unsupported country code"),
        ({"country": "DE", "subdivision": "ZZ"}, "subdivision", "unknown subdivision"),
        ({"colour": "blue"}, "colour", "Unknown field."),
    ],
)
def test_bad_calendars_are_refused_naming_the_field_and_nothing_is_saved(
    api_client, manager, change, field, message
):
    response = api_client(manager).post("/api/v1/calendars/", {**OFFICE, **change}, format="json")

    assert response.status_code == 400
    errors = response.json()[field]
    assert message in str(errors)
    assert Calendar.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"targets": {"first_response": -5}}, "targets"),
        ({"targets": {"first_response": 0}}, "targets"),
        ({"targets": {}}, "targets"),
        ({"targets": {"lunch": 60}}, "targets"),
        ({"targets": None}, "targets"),
        ({"kinds": ["complaint"]}, "kinds"),
        ({"queues": ["nowhere"]}, "queues"),
        ({"priorities": ["asap"]}, "priorities"),
        ({"warn_percent": 150}, "warn_percent"),
        ({"calendar": 999}, "calendar"),
    ],
)
def test_bad_policies_are_refused_naming_the_field(api_client, manager, change, field):
    policy = {"name": "P", "order": 5, "targets": {"first_response": 30}, **change}
    before = Policy.objects.count()

    response = api_client(manager).post("/api/v1/sla-policies/", policy, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert Policy.objects.count() == before


@pytest.mark.django_db
def test_a_policy_without_targets_is_refused(api_client, manager):
    response = api_client(manager).post("/api/v1/sla-policies/", {"name": "P", "order": 5})

    assert response.status_code == 400
    assert response.json()["targets"] == ["This field is required."]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/calendars/", "/api/v1/queues/", "/api/v1/sla-policies/"])
def test_configuration_is_for_managers(api_client, customer, agent, path):
    assert api_client(None).get(path).status_code == 401
    assert api_client(customer).get(path).status_code == 403
    assert api_client(agent).get(path).status_code == 403
    assert api_client(agent).post(path, {}).status_code == 403


@pytest.mark.django_db
def test_a_calendar_in_use_by_a_policy_cannot_be_deleted(api_client, manager):
    calendar = Calendar.objects.create(name="C", timezone="UTC", hours={})
    Policy.objects.create(name="P", order=1, calendar=calendar, targets={"answer": 60})

    response = api_client(manager).delete(f"/api/v1/calendars/{calendar.pk}/")

    assert response.status_code == 409
    assert Calendar.objects.filter(pk=calendar.pk).exists()


@pytest.mark.django_db
def test_queues_are_addressed_by_slug(api_client, manager):
    QueueFactory(slug="support", name="Support")

    response = api_client(manager).patch("/api/v1/queues/support/", {"name": "General"})

    assert response.status_code == 200
    assert response.json()["name"] == "General"
    assert api_client(manager).get("/api/v1/queues/nope/").status_code == 404
    assert api_client(manager).get("/api/v1/calendars/99999999999999999999/").status_code == 404
