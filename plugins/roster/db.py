"""The roster database: a SQLAlchemy engine built through the Airflow provider hook of a connection id.

MySQL/MariaDB (``mysql://``) is the production backend; SQLite (``sqlite://``) is the embedded default.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from roster.connections import _CONN_IDS, _sqlite_pragmas, engine_for  # noqa: F401 - engine_for re-exported
from roster.errors import ServiceUnavailableError
from roster.sql import sql_file, statements  # noqa: F401 - re-exported

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine


def describe(engine: Engine) -> str:
    """``'roster_db' (mysql 127.0.0.1:3306/roster)``: names the connection, never its password."""
    url = engine.url
    conn_id = _CONN_IDS.get(engine, "?")
    where = url.database if url.get_backend_name() == "sqlite" else f"{url.host}:{url.port or 3306}/{url.database}"
    return f"{conn_id!r} ({url.get_backend_name()} {where})"


def is_mysql(engine_or_conn: Engine | Connection) -> bool:
    return engine_or_conn.dialect.name in ("mysql", "mariadb")


def run_script(conn: Connection, name: str) -> None:
    for stmt in statements(sql_file(name, conn.dialect.name)):
        conn.execute(text(stmt))


def unavailable(engine: Engine, exc: Exception) -> ServiceUnavailableError:
    """Wrap a driver error (raw, or wrapped by SQLAlchemy) as an operator-facing message naming the connection
    (never its secrets)."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    reason = (str(orig).splitlines() or [type(orig).__name__])[0]
    return ServiceUnavailableError(f"roster database {describe(engine)} failed: {reason}")
