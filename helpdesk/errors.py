"""Error responses that stay useful when the database is gone.

A request that fails because PostgreSQL restarted or is unreachable gets a 503 with a
`Retry-After` and a sentence a person can act on (JSON under /api/, a plain page elsewhere),
rendered without touching the database. Any other failure is the usual 500 page.
"""

import logging
import sys

from django import db
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token
from django.views.defaults import server_error as django_server_error

logger = logging.getLogger("helpdesk.errors")

RETRY_AFTER_SECONDS = 5
MESSAGE = (
    "The helpdesk cannot reach its database for a moment, so this request was not "
    "completed. Please try again in a few seconds."
)


def is_database_unavailable(exc: BaseException | None) -> bool:
    """Connection-level failures (server gone, restarting, refusing, lock timeouts)."""
    return isinstance(exc, db.OperationalError | db.InterfaceError)


def database_unavailable(request: HttpRequest, exc: BaseException) -> HttpResponse:
    logger.warning(
        "database unavailable during %s %s: %s: %s",
        request.method,
        request.path,
        type(exc).__name__,
        str(exc).strip().splitlines()[0] if str(exc).strip() else "",
    )
    # Drop the broken connection now rather than at the end of the request.
    for connection in db.connections.all(initialized_only=True):
        if connection.connection is not None and not connection.is_usable():
            connection.close()
    if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
        response: HttpResponse = JsonResponse(
            {"detail": MESSAGE, "code": "database_unavailable"}, status=503
        )
    else:
        response = HttpResponse(
            loader.render_to_string("503.html", {"message": MESSAGE}), status=503
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: failures outside a view (middleware, sessions) land here with DEBUG off."""
    exc = sys.exc_info()[1]
    if is_database_unavailable(exc):
        return database_unavailable(request, exc)
    return django_server_error(request)
