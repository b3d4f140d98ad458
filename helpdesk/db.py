"""PostgreSQL connections load timestamps with psycopg's C loader.

Django registers its own `timestamptz` loader on every connection: a subclass of psycopg's
pure-Python loader that sets the connection's zone (UTC) on each value. With psycopg's C
implementation installed (psycopg[binary] or psycopg[c]) that Python loader costs about 7 µs
a value against 0.8, and a page of 25 tickets with their clocks holds some 280 of them. When
Django wants UTC (USE_TZ, no per-database TIME_ZONE) and the session zone is UTC, which
Django sets on connecting, the C loader returns exactly what Django's would,
`datetime.timezone.utc` included, so it is registered in its place.
"""

from datetime import UTC

from django.db.backends.signals import connection_created
from psycopg import adapt, postgres, pq
from psycopg.types.datetime import TimestamptzLoader as PythonTimestamptzLoader

C_LOADER = postgres.adapters.get_loader(postgres.types["timestamptz"].oid, pq.Format.TEXT)


class CTimestamptzLoader(adapt.Loader):
    """Django's `create_cursor` reads the loader class's `timezone`, and psycopg's C loader
    cannot be subclassed: each instance lends out a C loader's `load`."""

    timezone = UTC

    def __init__(self, oid, context=None):
        super().__init__(oid, context)
        self.load = C_LOADER(oid, context).load

    def load(self, data):  # replaced on each instance by the C loader's
        raise NotImplementedError


def use_c_timestamptz_loader(sender, connection, **kwargs) -> None:
    if connection.vendor != "postgresql" or C_LOADER is PythonTimestamptzLoader:
        return
    if connection.timezone is not UTC:
        return
    if connection.connection.info.parameter_status("TimeZone") != "UTC":
        return
    connection.connection.adapters.register_loader("timestamptz", CTimestamptzLoader)


def connect_signals() -> None:
    connection_created.connect(use_c_timestamptz_loader, dispatch_uid="c_timestamptz_loader")
