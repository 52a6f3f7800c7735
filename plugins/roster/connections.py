"""Airflow connections to the services roster talks to, resolved in one place through the providers' hooks.

``engine_for`` (the roster database: MySQL/MariaDB or SQLite), ``redis_for`` (the cache) and ``sqs_client`` (SQS).
Connections resolve the Airflow way (``AIRFLOW_CONN_<ID>`` or the metadata DB / secrets backend), for the DAGs and
the CLI alike. Errors name the connection id, never its secrets.
"""

from __future__ import annotations

import json
import weakref
from urllib.parse import quote, quote_plus
from typing import TYPE_CHECKING

import attrs
from sqlalchemy import event

from roster.errors import InvalidOptionError, ServiceUnavailableError
from roster.settings import DB_CONN_ID, REDIS_CONN_ID, SQS_CONN_ID

if TYPE_CHECKING:
    from redis import Redis
    from redis.cluster import RedisCluster
    from sqlalchemy.engine import Engine

# Which Airflow connection an engine was made from, so errors can name it.
_CONN_IDS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def engine_for(conn_id: str = DB_CONN_ID) -> Engine:
    """A SQLAlchemy engine for the Airflow connection ``conn_id`` (MySQL/MariaDB or SQLite)."""
    conn = _connection(conn_id)
    if conn.conn_type == "sqlite":
        engine = conn.get_hook().get_sqlalchemy_engine()
        event.listen(engine, "connect", _sqlite_pragmas)
    elif conn.conn_type == "mysql":
        # utf8mb4 so unicode usernames round-trip; the hook passes no charset unless the connection extra has one.
        connect_args = {} if "charset" in conn.extra_dejson else {"charset": "utf8mb4"}
        engine = _masked(conn.get_hook(), conn.password).get_sqlalchemy_engine(
            {"connect_args": connect_args, "pool_pre_ping": True, "pool_recycle": 3600}
        )
    else:
        raise ServiceUnavailableError(
            f"connection {conn_id!r} has type {conn.conn_type!r}; roster supports 'mysql' (MySQL/MariaDB) and 'sqlite'"
        )
    _CONN_IDS[engine] = conn_id
    return engine


def _masked(hook, password: str | None):
    """``hook`` with the connection's password masked in what it logs: the SQL provider logs the engine URL, with
    the password, at DEBUG (``roster -vv``, task logs)."""
    if password:
        hook._log = _MaskedLog(hook.log, password)
    return hook


class _MaskedLog:
    """A logger proxy that writes ``***`` for a secret (as given or URL-quoted) in the message and its arguments."""

    _METHODS = frozenset(("debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log"))

    def __init__(self, log, secret: str) -> None:
        self._inner = log
        self._secrets = sorted({secret, quote(secret, safe=""), quote_plus(secret)}, key=len, reverse=True)

    def __getattr__(self, name: str):
        method = getattr(self._inner, name)
        if name not in self._METHODS:
            return method
        return lambda *args, **kwargs: method(*map(self._mask, args), **{k: self._mask(v) for k, v in kwargs.items()})

    def _mask(self, value):
        text = value if isinstance(value, str) else str(value)
        if not any(secret in text for secret in self._secrets):
            return value
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def _connection(conn_id: str):
    from airflow.sdk.bases.hook import BaseHook

    try:
        return BaseHook.get_connection(conn_id)
    except Exception as exc:
        raise ServiceUnavailableError(
            f"connection {conn_id!r} is not defined: set AIRFLOW_CONN_{conn_id.upper()} or create it in Airflow"
        ) from exc


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # WAL lets readers run beside one writer; busy_timeout makes concurrent writers wait instead of failing.
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def redis_for(conn_id: str = REDIS_CONN_ID) -> Redis | RedisCluster:
    """The cache Redis of the Airflow connection ``conn_id``, built by the redis provider's hook.

    The URL means what it says: ``redis://[user:password@]host:port/N`` is database N, and so is ``?db=N`` (the
    provider's extra); both given and different is an error. ``rediss://`` is TLS (``?ssl_ca_certs=...`` and the
    provider's other ssl extras apply). A Redis Cluster is used as a cluster: said by ``?cluster=true`` (the
    provider's extra), or found by asking the server once (``INFO cluster``).
    """
    conn = _redis_connection(_connection(conn_id))
    client = _redis_client(conn)
    if conn.extra_dejson.get("cluster") or not _serves_cluster(client, conn_id):
        return client
    client.close()
    return _redis_client(attrs.evolve(conn, extra=json.dumps({**conn.extra_dejson, "cluster": True})))


def describe_redis(client: Redis | RedisCluster) -> str:
    """``host:port/db``, or ``cluster via host:port``: where a Redis client points, without its credentials."""
    from redis.cluster import RedisCluster

    if isinstance(client, RedisCluster):
        node = client.get_default_node()
        return f"cluster via {node.host}:{node.port}" if node else "cluster"
    kwargs = client.connection_pool.connection_kwargs
    return f"{kwargs.get('host', '?')}:{kwargs.get('port', '?')}/{kwargs.get('db', 0)}"


def redis_unavailable(client: Redis | RedisCluster, conn_id: str, exc: Exception) -> ServiceUnavailableError:
    return ServiceUnavailableError(
        f"cache Redis {conn_id!r} ({describe_redis(client)}) failed: {type(exc).__name__}: {exc}"
    )


# The extras a URL's query can only give as text, and which the provider passes on as they are ("false" is true).
_FLAG_EXTRAS = ("cluster", "ssl", "ssl_check_hostname")


def _redis_connection(conn):
    """The connection as the provider's hook should see it: one ``db`` in the extra, flags as booleans, TLS for
    ``rediss://``."""
    extra = dict(conn.extra_dejson)
    path_db = _db_number(conn.conn_id, "the URL path /", conn.schema) if conn.schema else None
    extra_db = _db_number(conn.conn_id, "?db=", extra["db"]) if extra.get("db") not in (None, "") else None
    if path_db is not None and extra_db is not None and path_db != extra_db:
        raise InvalidOptionError(
            f"connection {conn.conn_id!r}: the URL path says db {path_db} but ?db= says db {extra_db}; give one"
        )
    extra["db"] = path_db if path_db is not None else extra_db
    for flag in _FLAG_EXTRAS:
        if isinstance(extra.get(flag), str):
            extra[flag] = extra[flag].strip().lower() in ("1", "true", "yes", "on")
    if conn.conn_type == "rediss":
        extra.setdefault("ssl", True)
    return attrs.evolve(conn, conn_type="redis", schema=None, extra=json.dumps(extra))


def _db_number(conn_id: str, where: str, value) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        number = -1
    if number < 0:
        raise InvalidOptionError(f"connection {conn_id!r}: {where}{value} is not a Redis database number")
    return number


def _serves_cluster(client: Redis, conn_id: str) -> bool:
    """Ask the server whether it runs in cluster mode (one round trip per client)."""
    import redis

    try:
        return bool(client.info("cluster").get("cluster_enabled"))
    except redis.exceptions.NoPermissionError:  # an ACL user without INFO: a cluster would need ?cluster=true
        return False
    except redis.ResponseError as exc:
        if "cluster" in str(exc).lower():  # SELECT N refused: the server is a cluster, which has db 0 only
            raise InvalidOptionError(
                f"connection {conn_id!r}: the server is a Redis Cluster, which has only db 0; "
                "remove the database from the URL"
            ) from None
        raise redis_unavailable(client, conn_id, exc) from exc
    except redis.RedisError as exc:
        raise redis_unavailable(client, conn_id, exc) from exc


def _redis_client(conn) -> Redis | RedisCluster:
    """The provider's hook builds the client (TLS, ACL user, cluster start-up nodes) from the resolved connection."""
    from airflow.providers.redis.hooks.redis import RedisHook

    hook = RedisHook(redis_conn_id=conn.conn_id)
    hook.get_connection = lambda _conn_id: conn  # type: ignore[method-assign] - already resolved, see _redis_connection
    try:
        return hook.get_conn()
    except Exception as exc:  # a cluster client connects at once; redis-py's messages carry no credentials
        raise ServiceUnavailableError(
            f"cache Redis connection {conn.conn_id!r} is not usable: {type(exc).__name__}: {exc}"
        ) from exc


def sqs_client(conn_id: str = SQS_CONN_ID):
    """A boto3 SQS client for the Airflow connection ``conn_id``, through the amazon provider's hook."""
    from airflow.providers.amazon.aws.hooks.sqs import SqsHook

    return SqsHook(aws_conn_id=conn_id).get_conn()
