"""The roster database: a SQLAlchemy engine built through the Airflow provider hook of a connection id.

MySQL/MariaDB (``mysql://``) is the production backend; SQLite (``sqlite://``) is the embedded default.
"""

from __future__ import annotations

import functools
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError

from roster.errors import ServiceUnavailableError
from roster.settings import DB_CONN_ID

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

SQL_DIR = Path(__file__).resolve().parents[2] / "include" / "sql"

# Which Airflow connection an engine was made from, so errors can name it.
_CONN_IDS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def engine_for(conn_id: str = DB_CONN_ID) -> Engine:
    """A SQLAlchemy engine for the Airflow connection ``conn_id`` (MySQL/MariaDB or SQLite)."""
    from airflow.sdk.bases.hook import BaseHook

    try:
        conn = BaseHook.get_connection(conn_id)
    except Exception as exc:
        raise ServiceUnavailableError(
            f"connection {conn_id!r} is not defined: set AIRFLOW_CONN_{conn_id.upper()} or create it in Airflow"
        ) from exc
    if conn.conn_type == "sqlite":
        engine = conn.get_hook().get_sqlalchemy_engine()
        event.listen(engine, "connect", _sqlite_pragmas)
    elif conn.conn_type == "mysql":
        # utf8mb4 so unicode usernames round-trip; the hook passes no charset unless the connection extra has one.
        connect_args = {} if "charset" in conn.extra_dejson else {"charset": "utf8mb4"}
        engine = conn.get_hook().get_sqlalchemy_engine(
            {"connect_args": connect_args, "pool_pre_ping": True, "pool_recycle": 3600}
        )
    else:
        raise ServiceUnavailableError(
            f"connection {conn_id!r} has type {conn.conn_type!r}; roster supports 'mysql' (MySQL/MariaDB) and 'sqlite'"
        )
    _CONN_IDS[engine] = conn_id
    return engine


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # WAL lets readers run beside one writer; busy_timeout makes concurrent writers wait instead of failing.
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def describe(engine: Engine) -> str:
    """``'roster_db' (mysql 127.0.0.1:3306/roster)``: names the connection, never its password."""
    url = engine.url
    conn_id = _CONN_IDS.get(engine, "?")
    where = url.database if url.get_backend_name() == "sqlite" else f"{url.host}:{url.port or 3306}/{url.database}"
    return f"{conn_id!r} ({url.get_backend_name()} {where})"


def is_mysql(engine_or_conn: Engine | Connection) -> bool:
    return engine_or_conn.dialect.name in ("mysql", "mariadb")


@functools.cache
def _read_sql(name: str) -> str:
    return (SQL_DIR / name).read_text(encoding="utf-8")


def sql_file(name: str, dialect: str) -> str:
    """The text of ``include/sql/<name>``, or of its SQLite variant ``<stem>.sqlite.sql`` when there is one."""
    if dialect == "sqlite":
        variant = name.removesuffix(".sql") + ".sqlite.sql"
        if (SQL_DIR / variant).exists():
            return _read_sql(variant)
    return _read_sql(name)


def statements(script: str) -> list[str]:
    """Split a DDL script on ``;`` at line ends (the scripts hold no procedures or string literals with ``;``)."""
    parts = []
    for chunk in script.split(";\n"):
        lines = [line for line in chunk.splitlines() if not line.strip().startswith("--")]
        stmt = "\n".join(lines).strip().rstrip(";")
        if stmt:
            parts.append(stmt)
    return parts


def run_script(conn: Connection, name: str) -> None:
    for stmt in statements(sql_file(name, conn.dialect.name)):
        conn.execute(text(stmt))


def unavailable(engine: Engine, exc: Exception) -> ServiceUnavailableError:
    """Wrap a driver error (raw, or wrapped by SQLAlchemy) as an operator-facing message naming the connection
    (never its secrets)."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    reason = (str(orig).splitlines() or [type(orig).__name__])[0]
    return ServiceUnavailableError(f"roster database {describe(engine)} failed: {reason}")
