"""Airflow connections to the services roster talks to, resolved in one place through the providers' hooks.

``engine_for`` (the roster database: MySQL/MariaDB or SQLite), ``redis_for`` (the cache) and ``sqs_client`` (SQS).
Connections resolve the Airflow way (``AIRFLOW_CONN_<ID>`` or the metadata DB / secrets backend), for the DAGs and
the CLI alike. Errors name the connection id, never its secrets.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

from sqlalchemy import event

from roster.errors import ServiceUnavailableError
from roster.settings import DB_CONN_ID, REDIS_CONN_ID, SQS_CONN_ID

if TYPE_CHECKING:
    from redis import Redis
    from sqlalchemy.engine import Engine

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


def redis_for(conn_id: str = REDIS_CONN_ID) -> Redis:
    """The cache Redis of the Airflow connection ``conn_id``, through the redis provider's hook."""
    from airflow.providers.redis.hooks.redis import RedisHook

    try:
        return RedisHook(redis_conn_id=conn_id).get_conn()
    except Exception as exc:
        raise ServiceUnavailableError(
            f"cache Redis connection {conn_id!r} is not usable ({type(exc).__name__}): "
            f"set AIRFLOW_CONN_{conn_id.upper()} or create it in Airflow"
        ) from exc


def sqs_client(conn_id: str = SQS_CONN_ID):
    """A boto3 SQS client for the Airflow connection ``conn_id``, through the amazon provider's hook."""
    from airflow.providers.amazon.aws.hooks.sqs import SqsHook

    return SqsHook(aws_conn_id=conn_id).get_conn()
