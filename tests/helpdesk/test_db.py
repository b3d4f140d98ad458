"""PostgreSQL connections read timestamps with psycopg's C loader (helpdesk/db.py): the same
values, zone included, as Django's own loader gives."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader
from django.utils import timezone
from psycopg import postgres, pq

from helpdesk.db import C_LOADER, CTimestamptzLoader
from tests.factories import TicketFactory
from tickets.models import Ticket

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="psycopg's loaders"),
]

SQL = """
    SELECT t, t::text FROM unnest(%s::timestamptz[]) AS t
    UNION ALL SELECT '1969-07-20 20:17:40.000001+00'::timestamptz, NULL
    UNION ALL SELECT '0001-01-01 00:00:00+00'::timestamptz, NULL
    UNION ALL SELECT '9999-12-31 23:59:59.999999+00'::timestamptz, NULL
    UNION ALL SELECT NULL, NULL
"""


def values_read(loader=None) -> list[datetime | None]:
    stamps = [
        datetime(2026, 3, 29, 1, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
        datetime(2000, 2, 29, 12, tzinfo=UTC) + timedelta(microseconds=5),
    ]
    with connection.cursor() as cursor:
        if loader == "django":
            register_tzloader(connection.timezone, cursor.cursor)
        cursor.execute(SQL, [stamps])
        return [row[0] for row in cursor.fetchall()]


def test_connections_load_timestamps_with_the_c_loader():
    connection.ensure_connection()
    adapters = connection.connection.adapters
    assert adapters.get_loader(postgres.types["timestamptz"].oid, pq.Format.TEXT) is (
        CTimestamptzLoader
    )
    assert C_LOADER.__module__.split(".")[0] in {"psycopg_binary", "psycopg_c"}


def test_the_c_loader_reads_what_djangos_reads_zone_included():
    ours, djangos = values_read(), values_read("django")
    assert ours == djangos
    assert all(value is None or value.tzinfo is UTC for value in ours)
    assert ours[-1] is None and ours[3] == datetime(1969, 7, 20, 20, 17, 40, 1, tzinfo=UTC)
    assert ours[4].year == 1 and ours[5] == datetime(9999, 12, 31, 23, 59, 59, 999999, UTC)


def test_models_round_trip_their_timestamps():
    when = timezone.now().replace(microsecond=123456)
    ticket = TicketFactory(created_at=when)
    assert Ticket.objects.get(pk=ticket.pk).created_at == when
    assert Ticket.objects.values_list("created_at", flat=True).get(pk=ticket.pk).tzinfo is UTC
