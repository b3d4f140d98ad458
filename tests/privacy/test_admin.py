"""Managers erase any account from the admin (Erasures → Add), never their own."""

from helpdesk.models import User
from tests.factories import UserFactory
from tickets.models import Erasure

ADD = "/admin/tickets/erasure/add/"


def test_a_manager_erases_an_agents_account_from_the_admin(world, client):
    manager = UserFactory(username="max", role="manager", is_staff=True)
    client.force_login(manager)

    assert client.get(ADD).status_code == 200
    response = client.post(ADD, {"user": world.agent.pk, "confirm": "on"})

    assert response.status_code == 302
    erasure = Erasure.objects.get()
    assert (erasure.user_id, erasure.requested_by_id, erasure.via) == (
        world.agent.pk,
        manager.pk,
        "admin",
    )
    agent = User.objects.get(pk=world.agent.pk)
    assert (agent.username, agent.is_active) == (f"deleted-{agent.pk}", False)
    # Read-only afterwards
    assert client.get(f"/admin/tickets/erasure/{erasure.pk}/change/").status_code == 200
    assert client.post(f"/admin/tickets/erasure/{erasure.pk}/delete/").status_code == 403


def test_not_without_the_confirmation_nor_ones_own_nor_twice(world, client):
    manager = UserFactory(username="max", role="manager", is_staff=True)
    client.force_login(manager)

    unconfirmed = client.post(ADD, {"user": world.customer.pk})
    own = client.post(ADD, {"user": manager.pk, "confirm": "on"})
    client.post(ADD, {"user": world.customer.pk, "confirm": "on"})
    twice = client.post(ADD, {"user": world.customer.pk, "confirm": "on"})

    assert unconfirmed.status_code == own.status_code == twice.status_code == 200
    assert "Another manager erases your own account." in own.content.decode()
    assert "This account has been erased already." in twice.content.decode()
    assert Erasure.objects.count() == 1
    assert User.objects.get(pk=manager.pk).is_active
