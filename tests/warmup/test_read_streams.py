"""A MySQL/MariaDB shard reads its pages on ROSTER_WARMUP_READ_CONNECTIONS connections at once, each over its part
of the id range: every user is read once, users added past the last id during the read are still warmed, every
connection goes back to the pool (after a failure too), and SQLite reads on its one connection."""

from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import event, text

from roster.errors import InvalidOptionError, ServiceUnavailableError
from roster.warmup import UserCacheWarmer, WarmupOptions
from roster.warmup.reads import NO_END, split_ids

from .test_shard import cached_users


@contextlib.contextmanager
def checkouts(engine):
    """The most connections ``engine``'s pool had out at once meanwhile, and the server ids of those out now."""
    seen = {"out": 0, "most": 0, "ids": []}

    def out(dbapi_connection, *_):
        seen["out"] += 1
        seen["most"] = max(seen["most"], seen["out"])
        if hasattr(dbapi_connection, "thread_id"):  # mysqlclient: the server's CONNECTION_ID()
            seen["ids"].append(dbapi_connection.thread_id())

    def back(dbapi_connection, *_):
        seen["out"] -= 1
        if hasattr(dbapi_connection, "thread_id") and dbapi_connection.thread_id() in seen["ids"]:
            seen["ids"].remove(dbapi_connection.thread_id())

    event.listen(engine, "checkout", out)
    event.listen(engine, "checkin", back)
    try:
        yield seen
    finally:
        event.remove(engine, "checkout", out)
        event.remove(engine, "checkin", back)


@pytest.mark.parametrize("connections", [1, 2, 3, 5])
def test_each_user_is_read_once_whatever_the_read_connections(dataset, redis_client, monkeypatch, connections):
    monkeypatch.setenv("ROSTER_WARMUP_READ_CONNECTIONS", str(connections))
    warmer = UserCacheWarmer(dataset.engine, redis_client)
    assert warmer.sql  # the schema, read once per warmer on a connection of its own
    with checkouts(dataset.engine) as seen:
        result = warmer.warm_shard(WarmupOptions(modulo=1, batch=20), 0)
    assert cached_users(redis_client) == dataset.users
    assert result.users_warmed == result.users_total == len(dataset.users)
    mysql = dataset.engine.dialect.name == "mysql"
    assert seen["most"] == (connections if mysql else 1)
    assert seen["out"] == 0  # every connection went back


def test_a_user_added_past_the_last_id_during_the_read_is_warmed(dataset, redis_client, monkeypatch):
    monkeypatch.setenv("ROSTER_WARMUP_READ_CONNECTIONS", "3")
    warmer = UserCacheWarmer(dataset.engine, redis_client)
    name = "added_mid_read"

    def add_user_once(result):
        if not getattr(add_user_once, "done", False):
            add_user_once.done = True
            with dataset.engine.begin() as conn:
                conn.execute(text("INSERT INTO users (username, password, roles, group_id) "
                                  "VALUES (:u, 'x', '[]', NULL)"), {"u": name})  # fmt: skip

    try:
        result = warmer.warm_shard(WarmupOptions(modulo=1, batch=20), 0, on_page=add_user_once)
        assert add_user_once.done
        cached = cached_users(redis_client)
        assert cached[name]["assignments"] == [] and set(cached) == set(dataset.users) | {name}
        assert result.users_warmed == len(dataset.users) + 1
    finally:
        with dataset.engine.begin() as conn:
            conn.execute(text("DELETE FROM users WHERE username = :u"), {"u": name})


def test_a_killed_read_connection_fails_the_shard_and_returns_every_connection(mariadb_engine, redis_client, monkeypatch):
    from .conftest import load_dataset

    load_dataset(mariadb_engine)
    monkeypatch.setenv("ROSTER_WARMUP_READ_CONNECTIONS", "3")
    warmer = UserCacheWarmer(mariadb_engine, redis_client)
    killed = []
    assert warmer.sql  # the schema, read before: every connection out during the shard is one of its reads

    def kill_a_read_connection(result):
        if not killed:
            killed.append(seen["ids"][-1])  # the last read connection opened (the shard's own is the first)
            assert len(seen["ids"]) == 3
            with mariadb_engine.connect() as admin:
                admin.execute(text(f"KILL CONNECTION {int(killed[0])}"))

    with checkouts(mariadb_engine) as seen:
        with pytest.raises(ServiceUnavailableError, match="'roster_db'"):
            warmer.warm_shard(WarmupOptions(modulo=1, batch=10), 0, on_page=kill_a_read_connection)
        assert killed and seen["out"] == 0
        again = warmer.warm_shard(WarmupOptions(modulo=1, batch=10), 0)  # the pool hands out only good ones
    assert again.users_warmed == again.users_total > 300


@pytest.mark.parametrize(("low", "high", "parts"), [(1, 1000, 2), (7, 7, 3), (1, 10, 4), (500, 100_000, 5)])
def test_split_ids_covers_the_table_without_overlap(low, high, parts):
    ranges = split_ids(low, high, parts)
    assert len(ranges) == parts and ranges[0][0] == 0 and ranges[-1][1] == NO_END
    assert all(previous[1] == following[0] for previous, following in zip(ranges, ranges[1:]))
    assert all(after <= until for after, until in ranges)
    widths = [until - after for after, until in ranges[1:-1]]
    assert not widths or max(widths) - min(widths) <= 1  # equal parts of the id range


@pytest.mark.parametrize("raw", ["0", "two", "-1", "9"])
def test_a_bad_read_connections_setting_is_refused_naming_it(dataset, redis_client, monkeypatch, raw):
    monkeypatch.setenv("ROSTER_WARMUP_READ_CONNECTIONS", raw)
    warmer = UserCacheWarmer(dataset.engine, redis_client)
    with pytest.raises(InvalidOptionError, match="ROSTER_WARMUP_READ_CONNECTIONS"):
        warmer.warm_shard(WarmupOptions(modulo=1, batch=20), 0)
