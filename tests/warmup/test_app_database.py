"""The warmup and ``roster db check`` on the application's own database, through a SELECT-only MariaDB user:
plain single-column indexes with the application's names, no roster DDL run (see tests/app_database.py)."""

from __future__ import annotations

import orjson
import pytest

from roster.connections import engine_for
from roster.warmup import UserCacheWarmer
from roster.warmup.db_check import check

from app_database import create_app_schema, drop_app_schema
from conftest import run_roster as run
from tests.warmup.test_shard import cached_users

COVERING_DDL = (
    "ALTER TABLE assignments ADD INDEX idx_assignments_user "
    "(user_id, id, state, attempts_count, updated_at, line_item_id), ALGORITHM=INPLACE, LOCK=NONE"
)
LINE_ITEM_DDL = (
    "ALTER TABLE assignments ADD INDEX idx_assignments_line_item (line_item_id, user_id), ALGORITHM=INPLACE, LOCK=NONE"
)


def test_db_check_reports_the_plain_schema_and_the_online_ddl(app_database):
    result = run("--db-conn-id", app_database.reader_conn_id, "db", "check")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"roster database 'roster_app' (mysql 127.0.0.1:3306/{app_database.name})"
    assert "tables: users, line_items and assignments have every column the warmup reads" in lines
    assert "  column users.group_id: varchar, accepted" in lines  # Doctrine's string group_id
    assert "  column users.roles: longtext, accepted" in lines
    assert "  column assignments.user_id: int, accepted" in lines
    assert sum(line.startswith("  column ") for line in lines) == 18
    assert (
        "access path: index IDX_308A50DDA76ED395 (user_id), one query per page, "
        "not covering: plus a primary key look-up per row"
    ) in lines
    assert "recommended index idx_assignments_user (user_id, id, state, attempts_count, updated_at, line_item_id): missing" in lines
    assert f"  online DDL: {COVERING_DDL}" in lines
    assert f"  online DDL: {LINE_ITEM_DDL}" in lines
    assert app_database.reader_password not in result.stdout + result.stderr


def test_apply_is_refused_politely_to_a_select_only_user(app_database):
    result = run("--db-conn-id", app_database.reader_conn_id, "db", "check", "--apply")

    assert result.returncode == 2
    error = result.stderr.strip()
    assert error.count("\n") == 0 and "Traceback" not in error
    assert error.startswith(f"roster: error: roster database 'roster_app' (mysql 127.0.0.1:3306/{app_database.name}): ")
    assert "the user may not create indexes (ALTER command denied" in error
    assert "nothing was changed" in error and COVERING_DDL in error
    assert app_database.reader_password not in result.stdout + result.stderr
    admin = engine_for(app_database.admin_conn_id)
    assert [advice.recommended.name for advice in check(admin).missing] == [
        "idx_assignments_user", "idx_assignments_line_item"
    ]  # fmt: skip
    admin.dispose()


@pytest.mark.parametrize(
    ("args", "in_scope"),
    [
        ((), lambda doc: True),
        (("--usernames", "zoë_ünïcødé,user_10,用户_名"), lambda doc: doc["username"] in ("zoë_ünïcødé", "user_10", "用户_名")),
        (
            ("--line-item-slugs", "dated-inactive,line-item-2"),
            lambda doc: any(a["lineItem"]["slug"] in ("dated-inactive", "line-item-2") for a in doc["assignments"]),
        ),
        (("--modulo", "3", "--remainder", "1"), lambda doc: doc["id"] % 3 == 1),
    ],
    ids=["full", "usernames", "slugs", "modulo-remainder"],
)
def test_roster_warm_through_a_select_only_user(app_database, redis_client, args, in_scope):
    result = run("--db-conn-id", app_database.reader_conn_id, "warm", "--batch", "37", *args)

    assert result.returncode == 0, result.stderr
    expected = {name: doc for name, doc in app_database.users.items() if in_scope(doc)}
    assert len(expected) >= 2
    assert cached_users(redis_client) == expected
    assert orjson.loads(result.stdout)["users_warmed"] == len(expected)
    for line_item_id, document in app_database.line_items.items():
        assert orjson.loads(redis_client.get(f"lineItem.{line_item_id}")) == document


def test_the_async_workers_entry_point_through_a_select_only_user(app_database, redis_client):
    engine = engine_for(app_database.reader_conn_id)
    warmer = UserCacheWarmer(engine, redis_client)
    result = warmer.warm_usernames(["no_assignments", 'quote"and\\slash', "user_10"], batch=2)
    engine.dispose()

    assert cached_users(redis_client) == {
        name: app_database.users[name] for name in ("no_assignments", 'quote"and\\slash', "user_10")
    }
    assert result.users_warmed == 3 and result.users_without_assignments == 1
    assert warmer.sql.access_path.index == "IDX_308A50DDA76ED395" and not warmer.sql.access_path.covering


def test_apply_creates_the_recommended_indexes_and_the_warmup_uses_them(redis_client):
    from conftest import TEST_DATABASE

    name = f"{TEST_DATABASE}_app_apply"
    engine = create_app_schema(name, "roster_app_apply", dataset=False)
    try:
        result = run("--db-conn-id", "roster_app_apply", "db", "check", "--apply")
        assert result.returncode == 0, result.stderr
        assert f"created: {COVERING_DDL}" in result.stdout.splitlines()
        assert f"created: {LINE_ITEM_DDL}" in result.stdout.splitlines()

        report = check(engine)
        assert report.missing == []
        assert report.access_path is not None and report.access_path.index == "idx_assignments_user"
        assert report.access_path.covering
        again = run("--db-conn-id", "roster_app_apply", "db", "check", "--apply")
        assert "nothing to create: every recommended index is present" in again.stdout
    finally:
        engine.dispose()
        drop_app_schema(name)
