"""How a shard reads the roster database: its statements for one dialect and access path, the raw-cursor fetch of
the hot page queries, and a connection whose driver errors name the roster_db connection."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, text
from sqlalchemy.exc import DBAPIError

from roster.db import unavailable
from roster.sql import inline_ints, sql_file

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

    from roster.warmup.schema import AccessPath


class Queries:
    """The warmup's SQL (roster/sql/warmup/) for one dialect, reading assignments through ``access_path``."""

    def __init__(self, dialect: str, access_path: AccessPath) -> None:
        def load(name: str, *expanding: str):
            clause = text(sql_file(f"warmup/{name}.sql", dialect))
            return clause.bindparams(*(bindparam(p, expanding=True) for p in expanding)) if expanding else clause

        def by_user_index(name: str) -> str:
            return sql_file(f"warmup/{name}.sql", dialect).replace("{user_index_hint}", access_path.hint(dialect))

        self.access_path = access_path
        self.line_items = load("line_items")
        self.user_ids_by_username = load("user_ids_by_username", "usernames")
        self.user_ids_by_line_item = load("user_ids_by_line_item", "line_item_ids")
        self.shard_sizes = load("shard_sizes")
        # Run raw (see roster.sql.inline_ints): kept as text.
        self.users_page = sql_file("warmup/users_page.sql", dialect)
        self.users_by_id = sql_file("warmup/users_by_id.sql", dialect)
        self.assignments_of_users = by_user_index("assignments_of_users")
        self.assignments_of_user_range = by_user_index("assignments_of_user_range")


def fetch_raw(conn: Connection, sql: str, **params: int | Sequence[int]) -> list[tuple]:
    cursor = conn.connection.cursor()
    try:
        cursor.execute(inline_ints(sql, params))
        return cursor.fetchall()
    finally:
        cursor.close()



class GuardedConnection:
    """A connection whose driver errors become one operator-facing line naming the roster_db connection."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.conn: Connection | None = None

    def __enter__(self) -> Connection:
        try:
            self.conn = self.engine.connect()
        except DBAPIError as exc:
            raise unavailable(self.engine, exc) from exc
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        assert self.conn is not None
        try:
            self.conn.close()
        except DBAPIError:
            pass
        # The hot queries run on the raw DB-API cursor, so the driver's own errors arrive unwrapped too.
        if isinstance(exc, (DBAPIError, self.engine.dialect.loaded_dbapi.Error)):
            raise unavailable(self.engine, exc) from exc
