"""The access path and schema checks of roster.warmup.app_schema, on SQLite databases shaped the application's way."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from roster.errors import SchemaError
from roster.warmup import UserCacheWarmer, WarmupOptions
from roster.warmup.db_check import check
from roster.warmup.app_schema import AccessPath, Schema

from .conftest import expected_documents, load_dataset
from .test_shard import cached_users


def sqlite_app(tmp_path, *changes: str, conn_id: str = "roster_sqlite_app"):
    """A SQLite database with the application's tables as Doctrine makes them (plain indexes), then ``changes``."""
    from roster.connections import engine_for

    from doctrine_schema import create_tables

    create_tables("sqlite", str(tmp_path / "app.db"))
    os.environ[f"AIRFLOW_CONN_{conn_id.upper()}"] = f"sqlite:///{tmp_path / 'app.db'}"
    engine = engine_for(conn_id)
    with engine.begin() as conn:
        for statement in changes:
            conn.execute(text(statement))
    return engine


def test_sqlite_plain_indexes_warm_every_document_through_indexed_by_the_existing_index(tmp_path, redis_client):
    engine = sqlite_app(tmp_path)
    load_dataset(engine)
    users, _ = expected_documents(engine)
    warmer = UserCacheWarmer(engine, redis_client)

    for modulo in (1, 7):  # a range per page, and IN lists of ids
        redis_client.flushdb()
        options = WarmupOptions.from_params({"modulo": modulo, "batch": 29})
        for remainder in options.remainders:
            warmer.warm_shard(options, remainder)
        assert cached_users(redis_client) == users
    assert 'INDEXED BY "IDX_308A50DDA76ED395"' in warmer.sql.user_documents_by_id
    assert not warmer.sql.access_path.covering
    engine.dispose()


def test_without_a_user_id_index_the_error_says_what_to_create(tmp_path, redis_client):
    engine = sqlite_app(tmp_path, "DROP INDEX IDX_308A50DDA76ED395")

    with pytest.raises(SchemaError) as caught:
        UserCacheWarmer(engine, redis_client).warm_shard(WarmupOptions.from_params({"modulo": 1}), 0)
    message = str(caught.value)
    assert message.startswith("roster database 'roster_sqlite_app' (sqlite ")
    assert "assignments has no index starting with user_id" in message and "roster db check --apply" in message
    report = check(engine)
    assert not report.ok
    assert report.missing[0].ddl == (
        "CREATE INDEX idx_assignments_user ON assignments (user_id, id, state, attempts_count, updated_at, line_item_id)"
    )
    engine.dispose()


def test_missing_columns_and_unusable_types_are_each_named(tmp_path):
    engine = sqlite_app(
        tmp_path,
        "ALTER TABLE assignments DROP COLUMN attempts_count",
        "ALTER TABLE users RENAME COLUMN roles TO role_list",
        "ALTER TABLE line_items ADD COLUMN max_attempts_new BLOB",
        "ALTER TABLE line_items DROP COLUMN max_attempts",
        "ALTER TABLE line_items RENAME COLUMN max_attempts_new TO max_attempts",
    )

    report = check(engine)

    assert report.problems == [
        "column users.roles is missing",
        "column line_items.max_attempts has type 'BLOB'; the warmup accepts integer",
        "column assignments.attempts_count is missing",
    ]
    with pytest.raises(SchemaError, match="column users.roles is missing; column line_items.max_attempts"):
        UserCacheWarmer(engine, None).plan(WarmupOptions.from_params({}))
    engine.dispose()


def schema(**indexes: tuple[str, ...]) -> Schema:
    from roster.warmup.app_schema import DOCUMENT_COLUMNS

    columns = {table: {column: "int" if kind == "integer" else "datetime" if kind == "datetime" else "varchar"
                       for column, kind in wanted.items()} for table, wanted in DOCUMENT_COLUMNS.items()}  # fmt: skip
    return Schema("mysql", columns, indexes)


def test_the_covering_index_is_preferred_whatever_its_name_or_column_order():
    path = schema(
        IDX_USER=("user_id",),
        IDX_USER_STATE=("user_id", "state"),
        app_cover=("user_id", "line_item_id", "state", "attempts_count", "updated_at"),  # id: implicit
    ).access_path()
    assert path == AccessPath("app_cover", ("user_id", "line_item_id", "state", "attempts_count", "updated_at"), True)

    plain = schema(IDX_USER_STATE=("user_id", "state"), IDX_USER=("user_id",), by_line=("line_item_id", "user_id"))
    assert plain.access_path() == AccessPath("IDX_USER", ("user_id",), False)


def test_index_hints_quote_the_applications_names():
    assert AccessPath("we`ird", ("user_id",), False).hint("mysql") == "FORCE INDEX (`we``ird`)"
    assert AccessPath('we"ird', ("user_id",), False).hint("sqlite") == 'INDEXED BY "we""ird"'


def test_a_recommended_name_already_taken_gets_another(tmp_path):
    engine = sqlite_app(tmp_path, "CREATE INDEX idx_assignments_user ON assignments (state)")

    ddl = [advice.ddl for advice in check(engine).missing]

    assert ddl[0].startswith("CREATE INDEX idx_assignments_user_roster ON assignments (user_id, id,")
    engine.dispose()


def test_db_check_names_the_column_the_type_found_and_the_types_accepted(tmp_path):
    engine = sqlite_app(tmp_path, "ALTER TABLE users DROP COLUMN group_id", "ALTER TABLE users ADD COLUMN group_id BLOB")

    from conftest import run_roster as run

    result = run("--db-conn-id", "roster_sqlite_app", "db", "check")

    assert result.returncode == 2
    assert "  column users.group_id: BLOB, NOT accepted (the warmup accepts integer or text)" in result.stdout
    assert "  column users.username: VARCHAR(255), accepted" in result.stdout
    error = result.stderr.strip()
    assert "\n" not in error
    assert "column users.group_id has type 'BLOB'; the warmup accepts integer or text" in error
    engine.dispose()
