"""Airflow connections to the services roster talks to, resolved in one place through the providers' hooks.

``engine_for`` (the roster database: MySQL/MariaDB or SQLite), ``redis_for`` (the cache) and ``sqs_client`` (SQS).
Connections resolve the Airflow way (``AIRFLOW_CONN_<ID>`` or the metadata DB / secrets backend), for the DAGs and
the CLI alike. Errors name the connection id, never its secrets.
"""

from __future__ import annotations

import json
import os
import sys
import weakref
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote, urlsplit

from sqlalchemy import event

from roster.errors import InvalidOptionError, ServiceUnavailableError
from roster.masking import ShortSecretNotice, masked
from roster.settings import DB_CONN_ID, REDIS_CONN_ID, SQS_CONN_ID

if TYPE_CHECKING:
    from redis import Redis
    from redis.cluster import RedisCluster
    from sqlalchemy.engine import Engine

# Which Airflow connection an engine was made from, so errors can name it.
_CONN_IDS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _env_uri(conn_id: str) -> str | None:
    """The connection's ``AIRFLOW_CONN_<ID>`` when it is a URI (not JSON) and Airflow is not loaded, else ``None``.

    Once Airflow is loaded (a task, the scheduler) the hook costs nothing more, and it registers the connection's
    secrets with Airflow's log masker: connections always go through it there.
    """
    if "airflow" in sys.modules:
        return None
    raw = os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}", "").strip()
    return raw if raw and not raw.startswith("{") else None


def _url_from_env(conn_id: str) -> str | None:
    """The SQLAlchemy URL the provider hook would build from an ``AIRFLOW_CONN_<ID>`` URI, without importing Airflow.

    Importing Airflow costs about a second, most of a short CLI command such as ``roster jobs publish``. Only the
    plain forms are read here: ``mysql://`` without a ``client`` extra (the hook's URL is then the URI itself) and
    ``sqlite://`` without a query (the hook adds one slash); anything else goes through the hook.
    ``tests/test_connections.py`` checks that both ways give the same URL.
    """
    uri = _env_uri(conn_id)
    if uri is None:
        return None
    scheme, _, rest = uri.partition("://")
    if scheme == "mysql" and "client=" not in rest:
        return uri
    if scheme == "sqlite" and "?" not in rest:
        return "sqlite:///" + unquote(rest)
    return None


def engine_for(conn_id: str = DB_CONN_ID) -> Engine:
    """A SQLAlchemy engine for the Airflow connection ``conn_id`` (MySQL/MariaDB or SQLite)."""
    url = _url_from_env(conn_id)
    engine = _engine(url) if url is not None else _engine_through_hook(conn_id)
    _CONN_IDS[engine] = conn_id
    return engine


def _engine(url: str) -> Engine:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, **_mysql_engine_kwargs("charset=" in url))


def _mysql_engine_kwargs(has_charset: bool) -> dict:
    # utf8mb4 so unicode usernames round-trip; the hook passes no charset unless the connection extra has one.
    return {"connect_args": {} if has_charset else {"charset": "utf8mb4"}, "pool_pre_ping": True, "pool_recycle": 3600}


def _engine_through_hook(conn_id: str) -> Engine:
    conn = _connection(conn_id)
    if conn.conn_type == "sqlite":
        engine = conn.get_hook().get_sqlalchemy_engine()
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if conn.conn_type == "mysql":
        hook = masked(conn.get_hook(), conn.password)
        return hook.get_sqlalchemy_engine(_mysql_engine_kwargs("charset" in conn.extra_dejson))
    raise ServiceUnavailableError(
        f"connection {conn_id!r} has type {conn.conn_type!r}; roster supports 'mysql' (MySQL/MariaDB) and 'sqlite'"
    )


def _connection(conn_id: str):
    from airflow.sdk.bases.hook import BaseHook

    ShortSecretNotice.install()
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
    plain = _plain_redis_from_env(conn_id)
    if plain is not None:
        import redis

        client = redis.Redis(**plain)
        if not _serves_cluster(client, conn_id):
            return client
        client.close()  # a cluster: the hook builds its client
    import attrs

    conn = _redis_connection(_connection(conn_id))
    client = _redis_client(conn)
    if conn.extra_dejson.get("cluster") or not _serves_cluster(client, conn_id):
        return client
    client.close()
    return _redis_client(attrs.evolve(conn, extra=json.dumps({**conn.extra_dejson, "cluster": True})))


def _plain_redis_from_env(conn_id: str) -> dict | None:
    """The redis-py arguments the provider's hook would pass for a plain ``redis://[user:password@]host:port[/N]``
    in ``AIRFLOW_CONN_<ID>``, without importing Airflow (about a second of a CLI command or a shard's start-up);
    TLS, a query (``?db=``, ``?cluster=``) or anything else goes through the hook."""
    uri = _env_uri(conn_id)
    if uri is None or not uri.startswith("redis://"):
        return None
    parts = urlsplit(uri)
    db = parts.path.lstrip("/")
    if parts.query or parts.fragment or not parts.hostname or not (db == "" or db.isdigit()):
        return None
    password = unquote(parts.password) if parts.password is not None else None
    return {
        "host": parts.hostname,
        "port": parts.port or 6379,
        "username": unquote(parts.username) if parts.username else None,
        "password": None if str(password).lower() in ("none", "false", "") else password,
        "db": int(db) if db else None,
    }


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
    import attrs

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
    """A boto3 SQS client for the Airflow connection ``conn_id``, through the amazon provider's hook.

    An ``AIRFLOW_CONN_<ID>`` URI holding only keys, a region and an endpoint is read without importing Airflow
    (see :func:`_url_from_env`); roles, profiles and the rest go through the hook.
    """
    plain = _plain_aws_from_env(conn_id)
    if plain is not None:
        import boto3

        return boto3.client("sqs", **plain)
    from airflow.providers.amazon.aws.hooks.sqs import SqsHook

    ShortSecretNotice.install()
    return SqsHook(aws_conn_id=conn_id).get_conn()


def _plain_aws_from_env(conn_id: str) -> dict | None:
    uri = _env_uri(conn_id)
    if uri is None or not uri.startswith("aws://"):
        return None
    parts = urlsplit(uri)
    extra = dict(parse_qsl(parts.query))
    if set(extra) - {"region_name", "endpoint_url"} or parts.hostname or parts.path not in ("", "/"):
        return None
    client = {"region_name": extra.get("region_name"), "endpoint_url": extra.get("endpoint_url")}
    if parts.username:  # else boto3's own chain (environment, instance role), as the hook does
        client.update(aws_access_key_id=unquote(parts.username), aws_secret_access_key=unquote(parts.password or ""))
    return client
