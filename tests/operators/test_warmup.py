"""The warmup's operators called as a worker calls them (``execute``), outside a DAG: one shard's documents, and a
shard that fails on a Redis that does not answer lets go of its database connections (``finally``)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from conftest import TEST_DATABASE
from roster.operators.warmup import UserCacheWarmupOperator
from tests.warmup.conftest import expected_documents, load_dataset
from tests.warmup.test_shard import cached_users


@pytest.fixture(scope="module")
def documents(mariadb_engine):
    load_dataset(mariadb_engine)
    users, _line_items = expected_documents(mariadb_engine)
    return users


def connections_to_test_database(engine) -> int:
    with engine.connect() as conn:
        query = "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = :db AND ID <> CONNECTION_ID()"
        return conn.execute(text(query), {"db": TEST_DATABASE}).scalar_one()


def test_a_shard_writes_its_users_documents(documents, redis_client):
    redis_client.flushdb()
    options = {"modulo": 2, "batch": 7}
    result = UserCacheWarmupOperator(task_id="warm", options=options, remainder=1).execute({})
    odd = {name: doc for name, doc in documents.items() if doc["id"] % 2 == 1}
    assert result["users_warmed"] == len(odd) > 0
    assert cached_users(redis_client) == odd
    assert redis_client.ttl(f"user.{next(iter(odd))}") > 0


@pytest.fixture
def redis_that_refuses_writes(redis_client, monkeypatch):
    """A connection to the test Redis as an ACL user that may PING but not SET: the shard fails after it has read
    from the database, in the middle of its work."""
    user, password = "roster_test_no_writes", "no-writes-password"
    redis_client.execute_command("ACL", "SETUSER", user, "on", f">{password}", "~*", "+ping", "+select", "+info", "+client")
    url = redis_client.connection_pool.connection_kwargs
    monkeypatch.setenv("AIRFLOW_CONN_ROSTER_REDIS_NO_WRITES",
                       f"redis://{user}:{password}@{url['host']}:{url['port']}/{url.get('db', 0)}")  # fmt: skip
    yield "roster_redis_no_writes"
    redis_client.execute_command("ACL", "DELUSER", user)


def test_a_failed_shard_releases_its_database_connections(documents, mariadb_engine, redis_that_refuses_writes):
    before = connections_to_test_database(mariadb_engine)
    operator = UserCacheWarmupOperator(task_id="warm", options={"modulo": 1}, remainder=0,
                                       redis_conn_id=redis_that_refuses_writes)  # fmt: skip
    with pytest.raises(Exception, match="(?i)permission|noperm"):
        operator.execute({})
    assert connections_to_test_database(mariadb_engine) <= before
