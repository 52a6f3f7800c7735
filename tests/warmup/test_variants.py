"""Every deployment SPEC's data model names, made by Doctrine's SchemaTool and read through a SELECT-only user:
`roster warm` caches every user's document exactly as the test builds it from the rows itself.

The application's own schema (string group_id, roles as LONGTEXT, nullable counters and assignments.user_id,
utf8mb4_unicode_ci) and the ways deployments differ: BIGINT or unsigned ids, a native JSON roles column, an integer
group_id or only NULLs, the other collations, and roster's recommended indexes added.
"""

from __future__ import annotations

import os

import orjson
import pytest
from sqlalchemy import text

from roster.connections import engine_for
from roster.warmup.db_check import apply, check

from app_database import create_app_schema, drop_app_schema, drop_user, select_only_user
from conftest import TEST_DATABASE
from conftest import run_roster as run
from tests.warmup.conftest import expected_documents, load_dataset
from tests.warmup.test_shard import cached_users

VARIANTS = {
    # name: (Doctrine platform, mapping variants, what to change in the rows or indexes afterwards)
    "application": ("mariadb", (), None),
    "bigint-ids": ("mariadb", ("ids=bigint",), None),
    "unsigned-ids": ("mariadb", ("ids=unsigned",), None),
    "json-roles": ("mysql80", (), None),
    "integer-group-id": ("mariadb", ("group_id=integer",), None),
    "null-group-ids": ("mariadb", (), "UPDATE users SET group_id = NULL"),
    "general-ci": ("mariadb", ("collation=utf8mb4_general_ci",), None),
    "bin": ("mariadb", ("collation=utf8mb4_bin",), None),
    "recommended-indexes": ("mariadb", (), "apply"),
    "sqlite": ("sqlite", (), None),
}
# What the application allows and roster must read: NULL counters (cached as 0), assignments of nobody (skipped).
NULLS = (
    "UPDATE assignments SET attempts_count = NULL WHERE id % 5 = 0",
    "UPDATE line_items SET max_attempts = NULL WHERE id % 4 = 0",
    "INSERT INTO assignments (user_id, line_item_id, state, attempts_count, updated_at) "
    "VALUES (NULL, 1, 'ready', 0, '2026-02-02 02:02:02'), (NULL, 2, 'started', NULL, NULL)",
)


def _variant_database(name: str, tmp_path):
    """The variant's database loaded with the dataset: (admin engine, connection id the warmup reads through)."""
    platform, variants, change = VARIANTS[name]
    if platform == "sqlite":
        from doctrine_schema import create_tables

        create_tables("sqlite", str(tmp_path / "app.db"))
        os.environ["AIRFLOW_CONN_ROSTER_VARIANT"] = f"sqlite:///{tmp_path / 'app.db'}"
        engine = engine_for("roster_variant")
        load_dataset(engine)
        return engine, "roster_variant"
    database = f"{TEST_DATABASE}_variant"
    engine = create_app_schema(database, "roster_variant_admin", *variants, platform=platform)
    reader_url, _ = select_only_user(f"{TEST_DATABASE}_variant_reader"[:80], database)
    os.environ["AIRFLOW_CONN_ROSTER_VARIANT"] = reader_url
    if change == "apply":
        apply(engine, check(engine))
    elif change:
        with engine.begin() as conn:
            conn.execute(text(change))
    return engine, "roster_variant"


@pytest.fixture(params=list(VARIANTS))
def variant(request, tmp_path):
    engine, conn_id = _variant_database(request.param, tmp_path)
    with engine.begin() as conn:
        for statement in NULLS:
            conn.execute(text(statement))
    yield request.param, engine, conn_id
    engine.dispose()
    if VARIANTS[request.param][0] != "sqlite":
        drop_user(f"{TEST_DATABASE}_variant_reader"[:80])
        drop_app_schema(f"{TEST_DATABASE}_variant")


def test_every_variant_warms_every_document_as_built_from_the_rows(variant, redis_client):
    name, engine, conn_id = variant
    users, line_items = expected_documents(engine)

    result = run("--db-conn-id", conn_id, "warm", "--modulo", "3", "--batch", "41")

    assert result.returncode == 0, result.stderr
    assert cached_users(redis_client) == users
    # Byte for byte: the documents are what orjson writes (key order, escapes, numbers), whatever the column types.
    assert {name: redis_client.get(f"user.{name}") for name in users} == {
        name: orjson.dumps(document) for name, document in users.items()
    }
    summary = orjson.loads(result.stdout)
    assert summary["users_warmed"] == len(users) and summary["users_failed"] == 0
    for line_item_id, document in line_items.items():
        assert orjson.loads(redis_client.get(f"lineItem.{line_item_id}")) == document
    assert any(doc["maxAttempts"] == 0 for doc in line_items.values())
    assert any(a["attemptsCount"] == 0 for doc in users.values() for a in doc["assignments"])
    groups = {type(doc["groupId"]) for doc in users.values()}
    expected_groups = {"integer-group-id": {int, type(None)}, "null-group-ids": {type(None)}}
    assert groups == expected_groups.get(name, {str, type(None)})
    report = run("--db-conn-id", conn_id, "db", "check")
    assert "assignments without a user (user_id NULL): 2, skipped by the warmup" in report.stdout
    assert ("recommended index idx_assignments_user" in report.stdout) and report.returncode == 0


@pytest.mark.parametrize(
    ("collation", "found"),
    [("utf8mb4_unicode_ci", True), ("utf8mb4_general_ci", True), ("utf8mb4_bin", False)],
)
def test_a_username_scope_matches_as_the_database_compares(collation, found, redis_client):
    database = f"{TEST_DATABASE}_collation"
    engine = create_app_schema(database, "roster_collation", f"collation={collation}")
    try:
        result = run("--db-conn-id", "roster_collation", "warm", "--usernames", "USER_10,user_15")

        assert result.returncode == 0, result.stderr
        summary = orjson.loads(result.stdout)
        assert set(cached_users(redis_client)) == ({"user_10", "user_15"} if found else {"user_15"})
        assert summary["users_warmed"] == (2 if found else 1)
        assert ("USER_10" in result.stderr) is not found  # an unknown name is listed; a matched one is not
    finally:
        engine.dispose()
        drop_app_schema(database)
