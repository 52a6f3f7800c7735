"""The cache Redis URL forms of roster.connections.redis_for, each against a real server: a private redis-server
(plain and TLS ports, an ACL user) or a private three-master Redis Cluster started by the session."""

from __future__ import annotations

import pytest
import redis
from redis.cluster import RedisCluster

from roster.connections import engine_for, redis_for
from roster.errors import InvalidOptionError, ServiceUnavailableError
from roster.warmup import UserCacheWarmer, WarmupOptions


@pytest.fixture
def conn(monkeypatch):
    """Define the Airflow connection ``roster_redis_test`` by URL."""

    def define(url: str) -> str:
        monkeypatch.setenv("AIRFLOW_CONN_ROSTER_REDIS_TEST", url)
        return "roster_redis_test"

    return define


def warm_all(app_database, client) -> int:
    """Warm every user of the application database into ``client``; return how many were warmed."""
    engine = engine_for(app_database.admin_conn_id)
    try:
        result = UserCacheWarmer(engine, client).warm_shard(WarmupOptions.from_params({"modulo": 1, "batch": 50}), 0)
    finally:
        engine.dispose()
    assert result.users_failed == 0
    return result.users_warmed


def keys_per_db(server) -> dict[int, int]:
    plain = redis.Redis(host="127.0.0.1", port=server.port)
    sizes = {int(db[2:]): stats["keys"] for db, stats in plain.info("keyspace").items()}
    plain.close()
    return sizes


@pytest.fixture
def empty_private_redis(private_redis):
    plain = redis.Redis(host="127.0.0.1", port=private_redis.port)
    plain.flushall()  # the session's own server: nobody else's keys
    plain.close()
    return private_redis


@pytest.mark.parametrize("url_tail", ["/7", "/?db=7", "/7?db=7"], ids=["path", "extra", "both-agree"])
def test_the_database_of_the_url_is_the_only_one_written(app_database, empty_private_redis, conn, url_tail):
    client = redis_for(conn(f"redis://127.0.0.1:{empty_private_redis.port}{url_tail}"))
    warmed = warm_all(app_database, client)
    client.close()

    assert keys_per_db(empty_private_redis) == {7: warmed + len(app_database.line_items)}


@pytest.mark.parametrize(
    ("url_tail", "message"),
    [
        ("/7?db=8", "connection 'roster_redis_test': the URL path says db 7 but ?db= says db 8; give one"),
        ("/seven", "connection 'roster_redis_test': the URL path /seven is not a Redis database number"),
        ("/?db=-1", "connection 'roster_redis_test': ?db=-1 is not a Redis database number"),
    ],
)
def test_a_database_given_wrongly_is_a_clear_error(conn, url_tail, message):
    with pytest.raises(InvalidOptionError) as caught:
        redis_for(conn(f"redis://127.0.0.1:6379{url_tail}"))
    assert str(caught.value) == message


def test_rediss_is_tls(app_database, empty_private_redis, conn):
    ca = empty_private_redis.directory / "tls" / "ca.crt"
    url = f"rediss://127.0.0.1:{empty_private_redis.tls_port}/3?ssl_ca_certs={ca}"
    client = redis_for(conn(url))

    assert client.connection_pool.connection_class is redis.SSLConnection
    warmed = warm_all(app_database, client)
    client.close()
    assert keys_per_db(empty_private_redis) == {3: warmed + len(app_database.line_items)}
    # The same port spoken to without TLS does not answer: the documents above went over TLS.
    with pytest.raises(ServiceUnavailableError):
        redis_for(conn(f"redis://127.0.0.1:{empty_private_redis.tls_port}/3"))


def test_acl_user_and_password(app_database, empty_private_redis, conn):
    server = empty_private_redis
    client = redis_for(conn(f"redis://{server.acl_user}:{server.acl_password}@127.0.0.1:{server.port}/2"))
    assert client.acl_whoami() == server.acl_user  # and INFO is refused to this user: cluster detection copes

    warmed = warm_all(app_database, client)
    client.close()
    assert keys_per_db(server) == {2: warmed + len(app_database.line_items)}

    with pytest.raises(ServiceUnavailableError) as caught:
        redis_for(conn(f"redis://{server.acl_user}:wrong-{server.acl_password}@127.0.0.1:{server.port}/2"))
    assert "AuthenticationError" in str(caught.value) and server.acl_password not in str(caught.value)


@pytest.mark.parametrize("query", ["", "?cluster=true"], ids=["detected", "said"])
def test_a_cluster_of_three_masters_receives_every_document(app_database, redis_cluster, conn, query):
    first, *others = redis_cluster.ports
    client = redis_for(conn(f"redis://127.0.0.1:{first}/0{query}"))
    assert isinstance(client, RedisCluster)
    client.flushall()

    warmed = warm_all(app_database, client)

    per_node = [redis.Redis(host="127.0.0.1", port=port).dbsize() for port in redis_cluster.ports]
    assert sum(per_node) == warmed + len(app_database.line_items) and min(per_node) > 0, per_node
    assert {key.decode()[5:] for key in client.scan_iter(match="user.*")} == set(app_database.users)
    assert client.ttl("user.zoë_ünïcødé") > 0
    client.close()


def test_a_cluster_has_db_0_only(redis_cluster, conn):
    with pytest.raises(InvalidOptionError, match="the server is a Redis Cluster, which has only db 0"):
        redis_for(conn(f"redis://127.0.0.1:{redis_cluster.ports[0]}/4"))
