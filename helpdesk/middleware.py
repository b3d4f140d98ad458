import zoneinfo

from django.db import transaction
from django.utils import timezone

from helpdesk.errors import database_unavailable, is_database_unavailable

TZ_COOKIE = "tz"


def valid_zone(name: str | None) -> zoneinfo.ZoneInfo | None:
    if not name or len(name) > 64:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


class ViewerTimezoneMiddleware:
    """Show times in the viewer's zone: their profile's, else the one their browser reported.

    A small script in the base template stores the browser's IANA zone in the `tz` cookie.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            # The API speaks UTC to programs; only pages follow the viewer.
            timezone.deactivate()
            return self.get_response(request)
        user = getattr(request, "user", None)
        zone = None
        if user is not None and user.is_authenticated:
            zone = valid_zone(user.time_zone)
        zone = zone or valid_zone(request.COOKIES.get(TZ_COOKIE))
        if zone is not None:
            timezone.activate(zone)
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class DatabaseUnavailableMiddleware:
    """A request that loses the database answers 503 with what happened, never a bare 500.

    The connection is marked broken, so Django's health check opens a new one for the next
    request once the server is back: the web processes never need a restart.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_database_unavailable(exception):
            return database_unavailable(request, exception)
        return None


class AtomicWritesMiddleware:
    """Each POST, PUT, PATCH or DELETE is one transaction, response rendering included.

    A write that the services committed, followed by a failure while the response is being
    rendered (the database lost in between), would otherwise have happened while the caller
    was told it did not. Here a 5xx rolls everything back, so a 503 really means "nothing was
    done"; 4xx answers keep what they wrote (a failed log-in attempt is recorded). Reads run
    outside any transaction, as before.
    """

    UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in self.UNSAFE:
            return self.get_response(request)
        with transaction.atomic():
            response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)
        return response
