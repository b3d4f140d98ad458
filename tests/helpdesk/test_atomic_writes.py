"""A write request is one transaction: a server error after the services wrote rolls it all
back (the caller was told it failed), a client error keeps what was recorded."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from helpdesk.middleware import AtomicWritesMiddleware
from tickets.models import Queue


def handler(status: int):
    def view(request):
        Queue.objects.create(slug=f"q-{request.method.lower()}-{status}", name="Written")
        return HttpResponse(status=status)

    return AtomicWritesMiddleware(view)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(
    ("method", "status", "kept"),
    [
        ("post", 201, True),
        ("patch", 200, True),
        ("post", 400, True),
        ("post", 429, True),
        ("post", 500, False),
        ("delete", 503, False),
        ("get", 500, True),  # reads run outside a transaction: nothing to roll back
    ],
)
def test_a_server_error_rolls_the_whole_write_back(method, status, kept):
    request = getattr(RequestFactory(), method)("/anything/")

    response = handler(status)(request)

    assert response.status_code == status
    assert Queue.objects.filter(slug=f"q-{method}-{status}").exists() is kept


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_on_commit_work_runs_once_the_request_has_succeeded():
    from django.db import transaction

    ran = []

    def view(request):
        transaction.on_commit(lambda: ran.append("sent"))
        assert ran == []  # not before the response is ready
        return HttpResponse(status=201)

    AtomicWritesMiddleware(view)(RequestFactory().post("/anything/"))

    assert ran == ["sent"]
