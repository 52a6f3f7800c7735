"""The job store: the only code that executes job SQL, the named statements of roster/sql/jobs/.

The queue runs on the raw DB-API cursor (one round trip per statement, no ORM in the hot path): a :class:`Tx` is
one transaction on one cursor, and runs statements by name with ``:name`` parameters (see :func:`roster.sql.bind`).
Times are UTC text from the publishing or consuming process (keep hosts on NTP): the same statements then run on
MySQL/MariaDB and SQLite.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from roster.db import is_mysql, unavailable
from roster.sql import bind, statement

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def ts(value: datetime) -> str:
    """A datetime as the text both databases store and compare."""
    return value.isoformat(" ", "microseconds")


# MariaDB/MySQL server errors after which the transaction runs again on a new connection (beside the client's own,
# 2000-2999: server gone, connection lost, cannot connect): too many connections, shutdown in progress, lock wait
# timeout and deadlock (InnoDB rolled back), connection killed, idle connection closed by the server.
TRANSIENT_SERVER_ERRORS = frozenset({1040, 1053, 1205, 1213, 1927, 4031})


class Tx:
    """One transaction's cursor: runs named statements of roster/sql/ (the job queue's, the monitor's)."""

    def __init__(self, cursor, dialect: str) -> None:
        self.cursor = cursor
        self.dialect = dialect

    def run(self, name: str, /, **params: Any) -> int:
        """Execute statement ``name`` (of roster/sql/jobs/, or a path such as ``monitor/consumers``); return how many
        rows it changed."""
        sql, args = bind(statement(name if "/" in name else f"jobs/{name}", self.dialect), params, self.dialect)
        self.cursor.execute(sql, args)
        return self.cursor.rowcount

    def rows(self, name: str, /, **params: Any) -> list[tuple]:
        self.run(name, **params)
        return list(self.cursor.fetchall())

    def rows_of(self, sql: str, /, **params: Any) -> list[tuple]:
        """Rows of a statement made from a named one (an operator's filter: roster.jobs.job_filter)."""
        text, args = bind(sql, params, self.dialect)
        self.cursor.execute(text, args)
        return list(self.cursor.fetchall())

    @property
    def lastrowid(self) -> int:
        return int(self.cursor.lastrowid)

    def rollback(self) -> None:
        """End the transaction so far (a failed unique insert's lock must go before the next try)."""
        self.cursor.connection.rollback()


class Store:
    """The ``background_job`` table of one database (MySQL/MariaDB or SQLite)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = "mysql" if is_mysql(engine) else "sqlite"
        self.dbapi = engine.dialect.loaded_dbapi
        self.schema_checked = False

    def update_schema(self) -> list[str]:
        """Create the table, or add the columns and indexes an older one lacks; return what was added."""
        from roster.jobs.migrate import update_schema

        added = update_schema(self.engine)
        self.schema_checked = True
        return added

    def unreadable(self) -> str | None:
        """Why the read-only views cannot read the job table yet: it does not exist, or it predates this roster
        (an upgrade it lacks); ``None`` when it can be read. Asking never creates nor upgrades it."""
        if self.schema_checked:
            return None
        from sqlalchemy.exc import DBAPIError

        from roster.errors import NoJobTableError
        from roster.jobs.migrate import pending

        try:
            missing = pending(self.engine)
        except DBAPIError as exc:
            raise unavailable(self.engine, exc) from exc
        if missing is None:
            return NoJobTableError.MESSAGE
        if missing:
            return NoJobTableError.OUTDATED.format(missing=", ".join(missing))
        self.schema_checked = True  # nothing to upgrade: as after update_schema
        return None

    def ensure_schema(self) -> None:
        """Create the table, or upgrade an older one (a column the statements need, such as ``claim_id``)."""
        if not self.schema_checked:
            self.update_schema()

    def connect(self):
        """A pooled DB-API connection; on MySQL in READ COMMITTED, as claims read candidates without locks and
        must see others' latest commits, not a snapshot. ``close()`` returns it to the pool."""
        self.ensure_schema()
        try:
            raw = self.engine.raw_connection()
            if self.dialect == "mysql" and not raw.info.get("roster_read_committed"):
                cursor = raw.cursor()
                cursor.execute(statement("jobs/read_committed", "mysql"))
                cursor.close()
                raw.info["roster_read_committed"] = True
        except self.dbapi.Error as exc:
            raise unavailable(self.engine, exc) from exc
        return raw

    def is_connection_error(self, exc: BaseException) -> bool:
        """The server or the connection failed, not the statement: the transaction can run again on a new
        connection. The driver raises OperationalError for statement errors too (an unknown column, 1054; SQLite's
        "no such column"): those fail at once, naming the statement's error, instead of being waited out."""
        if isinstance(exc, self.dbapi.InterfaceError):
            return True
        if not isinstance(exc, self.dbapi.OperationalError):
            return False
        if self.dialect == "sqlite":
            return not str(exc).startswith(("no such ", "table ", "near "))
        code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
        return code is None or 2000 <= code < 3000 or code in TRANSIENT_SERVER_ERRORS

    @contextlib.contextmanager
    def transaction(self, raw=None, *, read_only: bool = False) -> Iterator[Tx]:
        """A transaction that commits on success: on ``raw`` (a connection a consumer holds) or on a pooled one.
        ``read_only``: rolled back at the end, and the job table is never created for it (see :meth:`reading`)."""
        connection = raw or (self._pooled() if read_only else self.connect())
        cursor = connection.cursor()
        lost = False
        try:
            yield Tx(cursor, self.dialect)
            (connection.rollback if read_only else connection.commit)()
        except BaseException as exc:
            lost = self.is_connection_error(exc)
            with contextlib.suppress(Exception):
                connection.rollback()
            if lost:
                raise unavailable(self.engine, exc) from exc
            raise
        finally:
            with contextlib.suppress(Exception):
                cursor.close()
            if raw is None:
                # A lost connection is thrown away, not handed back to the pool (whose reset would fail loudly).
                (connection.invalidate if lost else connection.close)()

    def reading(self) -> contextlib.AbstractContextManager[Tx]:
        """A look at the tables on a pooled connection, rolled back at the end: never creates the job table (the
        Roster page on a new database), and a lost server is a :class:`ServiceUnavailableError` naming it."""
        return self.transaction(read_only=True)

    def _pooled(self):
        try:
            return self.engine.raw_connection()
        except self.dbapi.Error as exc:
            raise unavailable(self.engine, exc) from exc

    @contextlib.contextmanager
    def joined(self, conn: Connection) -> Iterator[Tx]:
        """Statements inside the caller's SQLAlchemy transaction (it commits or rolls back, not this)."""
        self.ensure_schema()
        cursor = conn.connection.cursor()
        try:
            yield Tx(cursor, self.dialect)
        finally:
            cursor.close()
