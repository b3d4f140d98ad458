"""Liveness and readiness for load balancers and orchestrators.

`/healthz`: the process answers (no I/O). `/readyz`: the database answers a query and, when
the worker's broker is Redis, Redis answers a PING; 503 with what failed otherwise. It also
tells how much background work waits in the outbox (`outbox_pending`): information for a
dashboard, not a failure (work waits there by design while the broker is away).
"""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .outbox import outbox_pending_count


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


def _database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not ready"
        return f"database: {type(exc).__name__}"
    return None


def _broker() -> str | None:
    if not settings.REDIS_URL:
        return None  # the ORM broker is the database, checked above
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2).ping()
    except Exception as exc:
        return f"broker: {type(exc).__name__}"
    return None


def _outbox_pending() -> dict[str, int]:
    try:
        return {"outbox_pending": outbox_pending_count()}
    except Exception:  # the database check above says what is wrong
        return {}


@never_cache
@require_GET
def readyz(request):
    database = _database()
    problems = [p for p in (database, _broker()) if p]
    pending = {} if database else _outbox_pending()
    if problems:
        return JsonResponse({"status": "unavailable", "problems": problems, **pending}, status=503)
    return JsonResponse({"status": "ok", **pending})
