"""The warmup's documents, scopes and shards, checked against an independent read of the database."""

from __future__ import annotations

import orjson
import pytest
from sqlalchemy import text

from roster.errors import InvalidOptionError, ServiceUnavailableError
from roster.warmup import UserCacheWarmer, WarmupOptions

from .conftest import SEEDED_USERS, SPECIAL_USERS


def cached_users(redis_client, prefix: str = "") -> dict[str, dict]:
    keys = list(redis_client.scan_iter(match=f"{prefix}user.*", count=1000))
    values = redis_client.mget(keys) if keys else []
    return {key.decode()[len(prefix) + 5 :]: orjson.loads(value) for key, value in zip(keys, values)}


def warm(dataset, redis_client, *, prefix: str = "", **params):
    warmer = UserCacheWarmer(dataset.engine, redis_client, prefix=prefix)
    options = WarmupOptions.from_params(params)
    return [warmer.warm_shard(options, remainder) for remainder in options.remainders]


def test_every_document_is_exactly_right(dataset, redis_client):
    results = warm(dataset, redis_client, modulo=1, batch=37)

    assert cached_users(redis_client) == dataset.users
    assert len(dataset.users) == SEEDED_USERS + len(SPECIAL_USERS)
    assert sum(r.users_warmed for r in results) == len(dataset.users)
    without = sum(1 for doc in dataset.users.values() if not doc["assignments"])
    assert results[0].users_without_assignments == without > 1
    assert results[0].users_failed == 0


def test_documents_are_byte_for_byte_what_orjson_writes(dataset, redis_client):
    """The server writes part of each document (roster/sql/warmup/assignments_packed.sql): the bytes must still
    be orjson's, for the awkward strings, roles JSON written another way, NULL dates and counters, no assignments."""
    results = warm(dataset, redis_client, modulo=2, batch=7)
    results += warm(dataset, redis_client, prefix="scoped:", usernames=list(dataset.users), batch=5)
    assert [error for r in results for error in r.errors] == []

    for prefix in ("", "scoped:"):
        cached = {username: redis_client.get(f"{prefix}user.{username}") for username in dataset.users}
        assert cached == {username: orjson.dumps(document) for username, document in dataset.users.items()}
    tricky = dataset.users["tricky %(s41)s\ttab"]
    assert tricky["roles"] == ["ROLE_\u00e9/x", 1.5, 1000.0, -0.0, {"k": None, "\u00e9": '"\n'}]
    assert [(a["state"], a["attemptsCount"], a["updatedAt"]) for a in tricky["assignments"]] == [
        ('st"a\\te %(7)s %(s41)s \u00fc\n\x01', 0, None), ("ready", 3, "2026-06-07T08:09:10+00:00")]
    assert tricky["assignments"][0]["lineItem"]["maxAttempts"] == 0


def test_awkward_users_and_line_items(dataset, redis_client):
    warm(dataset, redis_client, modulo=1)
    docs = cached_users(redis_client)

    assert docs["no_assignments"]["assignments"] == []
    zoe = docs["zoë_ünïcødé"]
    assert zoe["groupId"] is None
    dated = zoe["assignments"][0]["lineItem"]
    assert dated["isActive"] is False
    assert dated["startDateTime"] == "2026-01-01T08:00:00+00:00"
    assert dated["endDateTime"] == "2026-12-31T18:30:00+00:00"
    assert zoe["assignments"][0]["updatedAt"] == "2026-03-04T05:06:07+00:00"
    assert [a["id"] for a in docs["用户_名"]["assignments"]] == sorted(a["id"] for a in docs["用户_名"]["assignments"])
    assert docs["用户_名"]["roles"] == ["ROLE_USER", "ROLE_ADMIN"]
    assert 'quote"and\\slash' in docs
    # The raw bytes are UTF-8 JSON, not ASCII escapes.
    assert "zoë".encode() in redis_client.get("user.zoë_ünïcødé")


def test_line_item_documents_and_ttls(dataset, redis_client, monkeypatch):
    monkeypatch.setenv("CACHE_TTL_GET_USER_WITH_ASSIGNMENTS", "1234")
    monkeypatch.setenv("CACHE_TTL_LINE_ITEM", "567")
    results = warm(dataset, redis_client, modulo=1)

    assert results[0].line_items_warmed == len(dataset.line_items)
    for line_item_id, expected in dataset.line_items.items():
        assert orjson.loads(redis_client.get(f"lineItem.{line_item_id}")) == expected
        assert 560 <= redis_client.ttl(f"lineItem.{line_item_id}") <= 567
    for username in ("user_5", "zoë_ünïcødé", "no_assignments"):
        assert 1200 <= redis_client.ttl(f"user.{username}") <= 1234


@pytest.mark.parametrize("modulo", [1, 3, 4, 7])
def test_shards_cover_every_user_exactly_once(dataset, redis_client, modulo):
    warmer = UserCacheWarmer(dataset.engine, redis_client)
    options = WarmupOptions.from_params({"modulo": modulo, "batch": 50})
    plan = warmer.plan(options)
    seen: dict[str, int] = {}
    for shard in plan:
        redis_client.flushdb()
        result = warmer.warm_shard(options, shard["remainder"], users_total=shard["users"])
        docs = cached_users(redis_client)
        assert result.users_warmed == shard["users"] == len(docs)
        for username, doc in docs.items():
            assert doc == dataset.users[username]
            assert doc["id"] % modulo == shard["remainder"]
            seen[username] = seen.get(username, 0) + 1
    assert seen == {username: 1 for username in dataset.users}


def test_single_remainder_warms_only_that_shard(dataset, redis_client):
    results = warm(dataset, redis_client, modulo=5, remainder=2)

    docs = cached_users(redis_client)
    expected = {name: doc for name, doc in dataset.users.items() if doc["id"] % 5 == 2}
    assert docs == expected
    assert len(results) == 1 and results[0].users_warmed == len(expected)


def test_scope_by_usernames(dataset, redis_client):
    results = warm(dataset, redis_client, usernames="user_10, zoë_ünïcødé,no_assignments", modulo=2)

    assert cached_users(redis_client) == {n: dataset.users[n] for n in ("user_10", "zoë_ünïcødé", "no_assignments")}
    assert sum(r.users_warmed for r in results) == 3


def test_scope_by_line_item_slugs(dataset, redis_client):
    warm(dataset, redis_client, line_item_slugs=["dated-inactive", "line-item-2"], modulo=3)

    expected = {
        name: doc
        for name, doc in dataset.users.items()
        if any(a["lineItem"]["slug"] in ("dated-inactive", "line-item-2") for a in doc["assignments"])
    }
    assert len(expected) > 3
    # The whole user document is cached, not only the matching assignments.
    assert cached_users(redis_client) == expected


def test_scope_by_usernames_and_slugs_needs_both(dataset, redis_client):
    warm(dataset, redis_client, usernames=["zoë_ünïcødé", "用户_名", "no_assignments"], line_item_slugs="line-item-1")

    assert set(cached_users(redis_client)) == {"用户_名"}


def test_unknown_slug_is_refused_before_any_write(dataset, redis_client):
    with pytest.raises(InvalidOptionError, match="no-such-slug"):
        warm(dataset, redis_client, line_item_slugs="line-item-1,no-such-slug")
    assert redis_client.dbsize() == 0


def test_rerun_overwrites_changed_documents(dataset, redis_client):
    warm(dataset, redis_client, usernames="no_assignments")
    assert cached_users(redis_client)["no_assignments"]["groupId"] == "group-3"
    with dataset.engine.begin() as conn:
        conn.execute(text("UPDATE users SET group_id = 'group-9' WHERE username = 'no_assignments'"))
    try:
        warm(dataset, redis_client, usernames="no_assignments")
        assert cached_users(redis_client)["no_assignments"]["groupId"] == "group-9"
    finally:
        with dataset.engine.begin() as conn:
            conn.execute(text("UPDATE users SET group_id = 'group-3' WHERE username = 'no_assignments'"))


def test_key_prefix(dataset, redis_client):
    warm(dataset, redis_client, prefix="app1:", usernames="user_5")

    assert [key.decode() for key in redis_client.scan_iter("app1:user.*")] == ["app1:user.user_5"]
    assert redis_client.exists("user.user_5") == 0


def test_one_bad_user_never_stops_the_shard(mariadb_engine, redis_client):
    from .conftest import load_dataset

    load_dataset(mariadb_engine)
    with mariadb_engine.begin() as conn:
        # MariaDB's JSON column is a checked LONGTEXT: switch the check off to store what a legacy row may hold.
        conn.execute(text("SET SESSION check_constraint_checks = 0"))
        conn.execute(text("UPDATE users SET roles = '[not json' WHERE username = 'user_4'"))
    try:
        result = UserCacheWarmer(mariadb_engine, redis_client).warm_shard(WarmupOptions(modulo=1), 0)
    finally:
        load_dataset(mariadb_engine)
    assert result.users_failed == 1
    assert "user_4" in result.errors[0]
    assert result.users_warmed == SEEDED_USERS + len(SPECIAL_USERS) - 1
    assert redis_client.exists("user.user_4") == 0 and redis_client.exists("user.user_5") == 1


def test_a_line_item_created_mid_shard_is_loaded_and_embedded(dataset, redis_client):
    """The next page's query is in flight while a page is built: the line items are reloaded on a connection of
    their own, and the shard goes on."""
    engine = dataset.engine
    last = max(doc["id"] for doc in dataset.users.values())

    def create_line_item_once(result) -> None:
        if getattr(create_line_item_once, "done", False):
            return
        create_line_item_once.done = True
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO line_items (label, uri, slug, is_active, max_attempts) "
                "VALUES ('Late', 'https://roster.example/li/late', 'late', 1, 2)"
            ))  # fmt: skip
            late = conn.execute(text("SELECT id FROM line_items WHERE slug = 'late'")).scalar_one()
            conn.execute(
                text("INSERT INTO assignments (user_id, line_item_id, state, attempts_count) VALUES (:u, :li, 'ready', 0)"),
                {"u": last, "li": late},
            )

    try:
        result = UserCacheWarmer(engine, redis_client).warm_shard(
            WarmupOptions(modulo=1, batch=20), 0, on_page=create_line_item_once
        )
        cached = cached_users(redis_client)
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM assignments WHERE line_item_id IN (SELECT id FROM line_items WHERE slug = 'late')"))
            conn.execute(text("DELETE FROM line_items WHERE slug = 'late'"))
    assert result.users_failed == 0 and result.users_warmed == len(dataset.users)
    (user,) = [doc for doc in cached.values() if doc["id"] == last]
    assert user["assignments"][-1]["lineItem"]["slug"] == "late"
    assert user["assignments"][-1]["lineItem"]["maxAttempts"] == 2


def test_redis_unreachable_fails_naming_the_connection(mariadb_engine, monkeypatch):
    from conftest import free_port

    from roster.warmup import redis_for

    monkeypatch.setenv("AIRFLOW_CONN_ROSTER_REDIS", f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(ServiceUnavailableError, match="'roster_redis'"):
        UserCacheWarmer(mariadb_engine, redis_for("roster_redis")).warm_shard(WarmupOptions(modulo=1), 0)


def test_database_unreachable_fails_naming_the_connection(redis_client, monkeypatch):
    from conftest import free_port

    from roster.db import engine_for

    monkeypatch.setenv("AIRFLOW_CONN_ROSTER_DB", f"mysql://root:s3cret@127.0.0.1:{free_port()}/roster")
    engine = engine_for("roster_db")
    with pytest.raises(ServiceUnavailableError, match="'roster_db'") as excinfo:
        UserCacheWarmer(engine, redis_client).warm_shard(WarmupOptions(modulo=1), 0)
    assert "s3cret" not in str(excinfo.value)
    assert redis_client.dbsize() == 0


def test_database_lost_mid_shard_fails_and_leaves_only_whole_documents(mariadb_engine, redis_client):
    from .conftest import expected_documents, load_dataset

    load_dataset(mariadb_engine)
    users, _ = expected_documents(mariadb_engine)
    warmer = UserCacheWarmer(mariadb_engine, redis_client)

    def kill_connection_after_first_page(result):
        if result.users_warmed and not getattr(kill_connection_after_first_page, "done", False):
            kill_connection_after_first_page.done = True
            with mariadb_engine.connect() as admin:
                for (pid,) in admin.execute(
                    text("SELECT id FROM information_schema.processlist WHERE db = DATABASE() AND id <> CONNECTION_ID()")
                ):
                    admin.execute(text(f"KILL {int(pid)}"))

    with pytest.raises(ServiceUnavailableError, match="'roster_db'"):
        warmer.warm_shard(WarmupOptions(modulo=1, batch=50), 0, on_page=kill_connection_after_first_page)
    docs = cached_users(redis_client)
    assert 0 < len(docs) < len(users)
    for username, doc in docs.items():
        assert doc == users[username]


def test_async_mode_pages_the_usernames_of_a_scoped_shard(dataset):
    """What `mode: async` publishes for a scope of usernames: the stored names, a page at a time."""
    warmer = UserCacheWarmer(dataset.engine, None)
    options = WarmupOptions.from_params({"usernames": "user_10,zoë_ünïcødé,nobody_here", "modulo": 1, "batch": 1})

    pages = list(warmer.shard_usernames(options, 0))

    assert sorted(name for page in pages for name in page) == ["user_10", "zoë_ünïcødé"]
    assert all(len(page) == 1 for page in pages)
