"""How a shard reads the roster database: its statements for one dialect and access path, the pages of user rows
(pipelined on MySQL/MariaDB), and a connection whose driver errors name the roster_db connection."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, text
from sqlalchemy.exc import DBAPIError

from roster.db import unavailable
from roster.sql import inline_ints, sql_file

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

    from roster.warmup.app_schema import AccessPath


class Queries:
    """The warmup's SQL (roster/sql/warmup/) for one dialect, reading assignments through ``access_path``."""

    def __init__(self, dialect: str, access_path: AccessPath) -> None:
        def load(name: str, *expanding: str):
            clause = text(sql_file(f"warmup/{name}.sql", dialect))
            return clause.bindparams(*(bindparam(p, expanding=True) for p in expanding)) if expanding else clause

        def with_assignments(name: str) -> str:
            packed = sql_file("warmup/assignments_packed.sql", dialect)
            packed = packed.replace("{user_index_hint}", access_path.hint(dialect))
            packed = packed.replace("{assignment_order}", access_path.assignment_order())
            packed = "\n".join(line for line in packed.splitlines() if not line.startswith("--"))
            return sql_file(f"warmup/{name}.sql", dialect).replace("{assignments_packed}", packed)

        self.access_path = access_path
        self.line_items = load("line_items")
        self.user_ids_by_username = load("user_ids_by_username", "usernames")
        self.user_ids_by_line_item = load("user_ids_by_line_item", "line_item_ids")
        self.shard_sizes = load("shard_sizes")
        self.user_id_range = load("user_id_range")
        # Run raw (see roster.sql.inline_ints): kept as text.
        self.users_page = sql_file("warmup/users_page.sql", dialect)
        self.users_by_id = sql_file("warmup/users_by_id.sql", dialect)  # async mode's scoped usernames
        self.user_documents_page = with_assignments("user_documents_page")
        self.user_documents_by_id = with_assignments("user_documents_by_id")


def fetch_pages(conn: Connection, first: str, following: Callable[[list[tuple]], str | None]) -> Iterator[list[tuple]]:
    """The rows of ``first``, then of ``following(rows)`` while it gives a statement (SQL with its ints inlined: roster.sql.inline_ints).

    On MySQL/MariaDB the next statement is sent before a page is handed on, so the server works on page n+1 while
    Python builds page n (the time of the larger, not of both); each runs in autocommit, its own consistent snapshot
    without a long transaction holding back the purge. SQLite reads in-process: page by page.
    """
    if conn.dialect.name == "sqlite":
        yield from _pages_one_by_one(conn, first, following)
        return
    driver = conn.connection.dbapi_connection
    driver.autocommit(True)
    sent = False
    try:
        driver.send_query(first.encode())
        sent = True
        while sent:
            sent = False
            driver.read_query_result()
            rows = list(driver.store_result().fetch_row(0))
            sql = following(rows)
            if sql is not None:
                driver.send_query(sql.encode())
                sent = True
            yield rows
    finally:
        with contextlib.suppress(conn.dialect.loaded_dbapi.Error):  # a broken connection: the error is on its way
            if sent:  # the caller stopped early: read the answer in flight, or the connection is out of sync
                driver.read_query_result()
                driver.store_result()
            driver.autocommit(False)


NO_END = 2**63 - 1  # the largest BIGINT: a keyset read to the end of the table


def keyset_pages(conn: Connection, sql: str, params: dict[str, int], after_id: int = 0,
                 until_id: int = NO_END) -> Iterator[list[tuple]]:  # fmt: skip
    """The non-empty pages of ``sql`` (users_page / user_documents_page) by keyset on the primary key, over the ids
    in (``after_id``, ``until_id``]; ``params``: its modulo, remainder and batch."""

    def page_after(after: int) -> str:
        return inline_ints(sql, {**params, "after_id": after, "until_id": until_id})

    def following(users: list[tuple]) -> str | None:
        return page_after(users[-1][0]) if len(users) == params["batch"] else None

    yield from (users for users in fetch_pages(conn, page_after(after_id), following) if users)


def split_ids(low: int, high: int, parts: int) -> list[tuple[int, int]]:
    """``parts`` (after_id, until_id] ranges of equal width over the ids ``low``..``high``: the first starts at the
    beginning of the table, the last runs to its end (users added meanwhile are read as by one stream)."""
    width = high - low + 1
    ends = [low - 1 + width * i // parts for i in range(1, parts)]
    return list(zip([0, *ends], [*ends, NO_END]))


def interleave(streams: list[Iterator[list[tuple]]]) -> Iterator[list[tuple]]:
    """The pages of every stream, one from each in turn. Each stream has its next query in flight on its own
    connection (:func:`fetch_pages`), so the server builds as many pages at once as there are streams while
    Python handles one; a stream that ends drops out. Closing this closes every stream (reading off its answer)."""
    live = list(streams)
    try:
        while live:
            for stream in list(live):
                page = next(stream, None)
                if page is None:
                    live.remove(stream)
                else:
                    yield page
    finally:
        for stream in streams:
            stream.close()


def _pages_one_by_one(conn: Connection, sql: str | None, following) -> Iterator[list[tuple]]:
    while sql is not None:
        cursor = conn.connection.cursor()
        try:
            cursor.execute(sql)
            rows = cursor.fetchall()
        finally:
            cursor.close()
        conn.connection.rollback()  # one short transaction per page, as on MySQL
        yield rows
        sql = following(rows)


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
