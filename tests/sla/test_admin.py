import pytest

from sla.models import Calendar, Policy


@pytest.fixture
def admin_client_(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.com", "x")
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_admin_refuses_a_calendar_with_overlapping_hours(admin_client_):
    response = admin_client_.post(
        "/admin/sla/calendar/add/",
        {
            "name": "Office",
            "timezone": "Europe/Bucharest",
            "hours": '{"mon": [["09:00", "13:00"], ["12:00", "17:00"]]}',
            "holidays": "[]",
            "country": "RO",
            "subdivision": "",
        },
    )

    assert response.status_code == 200
    assert "hours.mon" in response.content.decode()
    assert Calendar.objects.count() == 0


@pytest.mark.django_db
def test_admin_saves_a_valid_calendar_and_refuses_a_negative_target(admin_client_):
    policies = Policy.objects.count()
    saved = admin_client_.post(
        "/admin/sla/calendar/add/",
        {
            "name": "Office",
            "timezone": "Europe/Bucharest",
            "hours": '{"mon": [["09:00", "17:00"]]}',
            "holidays": '["2026-12-24"]',
            "country": "RO",
            "subdivision": "",
        },
    )
    refused = admin_client_.post(
        "/admin/sla/policy/add/",
        {
            "name": "P",
            "order": 1,
            "kinds": "[]",
            "queues": "[]",
            "priorities": "[]",
            "targets": '{"answer": -1}',
            "warn_percent": 75,
        },
    )

    assert saved.status_code == 302
    assert Calendar.objects.get().hours == {"mon": [["09:00", "17:00"]]}
    assert refused.status_code == 200
    assert "The answer target must be a positive integer." in refused.content.decode()
    assert Policy.objects.count() == policies


@pytest.mark.django_db
def test_a_manager_created_through_the_api_configures_policies_in_the_admin(
    api_client, manager, client
):
    created = api_client(manager).post(
        "/api/v1/users/",
        {
            "username": "mona",
            "password": "correct-horse-battery",
            "email": "mona@example.com",
            "role": "manager",
        },
    )
    assert created.status_code == 201
    from helpdesk.models import User

    mona = User.objects.get(username="mona")
    client.force_login(mona)

    assert client.get("/admin/sla/policy/").status_code == 200
    assert client.get("/admin/auth/group/").status_code == 403
