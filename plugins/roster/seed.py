"""Realistic demo data for the roster tables, made fast: multi-row INSERTs in large chunks, then fresh statistics.

Deterministic for a given size (a seeded RNG), so benchmarks and demos compare like with like.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Integer, inspect, text

from roster.db import run_script
from roster.errors import InvalidOptionError
from roster.sql import positional, statement

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

log = logging.getLogger("roster.seed")

CHUNK_ROWS = 5000
STATES = ("ready", "started", "completed", "cancelled")
ROLES = ('["ROLE_USER"]', '["ROLE_USER"]', '["ROLE_USER"]', '["ROLE_USER", "ROLE_ADMIN"]')
# A few non-ASCII names so unicode keys and JSON escaping are exercised by every demo and benchmark.
NAME_STEMS = ("user", "élève", "学生", "učitel", "user")
PASSWORD = "$2y$13$demoDemoDemoDemoDemoDeOe2v8H1q1e0QJf5cN7h8m9s5Xj6xW"
EPOCH = datetime(2026, 1, 1)


def create_schema(engine: Engine) -> None:
    """The application's tables as its Doctrine mapping makes them (roster/sql/roster_schema.sql, the recorded
    SchemaTool output), unless they exist: the database is the application's, roster only fills it for a demo."""
    with engine.begin() as conn:
        if not inspect(conn).has_table("users"):
            run_script(conn, "roster_schema.sql")


def integer_group_ids(conn) -> bool:
    """Whether users.group_id is an integer column here (the application's is a string: "group-7")."""
    column = next(column for column in inspect(conn).get_columns("users") if column["name"] == "group_id")
    return isinstance(column["type"], Integer)


def seed(
    engine: Engine,
    *,
    users: int,
    assignments_per_user: int,
    line_items: int,
    reset: bool = False,
    seed_value: int = 42,
) -> dict[str, float]:
    """Fill the roster tables with ``users`` users, ``assignments_per_user`` assignments each and ``line_items``.

    Refuses to touch a database that already holds users unless ``reset`` is set (then the tables are emptied).
    """
    _check_sizes(users, assignments_per_user, line_items)
    started = time.monotonic()
    create_schema(engine)
    rng = random.Random(seed_value)
    with engine.begin() as conn:
        group = int if integer_group_ids(conn) else "group-{}".format
        _empty(conn, reset)
        load = _Loader(conn)
        load("seed/insert_line_items", [_line_item(i, rng) for i in range(1, line_items + 1)])
        for first in range(1, users + 1, CHUNK_ROWS):
            ids = range(first, min(first + CHUNK_ROWS, users + 1))
            load("seed/insert_users", [_user(i, group) for i in ids])
            load("seed/insert_assignments", _assignments(ids, line_items, assignments_per_user, rng))
        load.close()
    analyse(engine)
    seconds = time.monotonic() - started
    with engine.connect() as conn:
        assignments = conn.execute(text(statement("seed/count_assignments", conn.dialect.name))).scalar_one()
    log.info("seeded %d users, %d assignments, %d line items in %.1f s", users, assignments, line_items, seconds)
    return {"users": users, "assignments": assignments, "line_items": line_items, "seconds": round(seconds, 2)}


def _check_sizes(users: int, assignments_per_user: int, line_items: int) -> None:
    if users < 0 or line_items < 1 or not 0 <= assignments_per_user <= line_items:
        raise InvalidOptionError(
            "seed needs users >= 0, line items >= 1 and 0 <= assignments per user <= line items "
            f"(got users={users}, assignments per user={assignments_per_user}, line items={line_items})"
        )


def _empty(conn, reset: bool) -> None:
    """Refuse a database that holds users unless ``reset``; then empty the tables (ids from 1 again)."""
    existing = conn.execute(text(statement("seed/count_users", conn.dialect.name))).scalar_one()
    if existing and not reset:
        raise InvalidOptionError(
            f"the roster database already holds {existing} users; pass --reset to replace them with demo data"
        )
    run_script(conn, "seed/empty.sql")


class _Loader:
    """Rows into a table through the driver's ``executemany``, CHUNK_ROWS at a time: mysqlclient rewrites each
    chunk into multi-row INSERTs of about 1 MB because every VALUES item is a placeholder; sqlite3 runs it as one
    prepared statement."""

    def __init__(self, conn) -> None:
        self.dialect = conn.dialect.name
        self.cursor = conn.connection.dbapi_connection.cursor()

    def __call__(self, name: str, rows: list[tuple]) -> None:
        sql, _ = positional(name, self.dialect)
        for start in range(0, len(rows), CHUNK_ROWS):
            self.cursor.executemany(sql, rows[start : start + CHUNK_ROWS])

    def close(self) -> None:
        self.cursor.close()


def analyse(engine: Engine) -> None:
    """Refresh the optimizer's statistics: after a bulk load, stale ones make MariaDB choose slow join orders."""
    with engine.begin() as conn:
        result = conn.execute(text(statement("seed/analyse", conn.dialect.name)))
        if result.returns_rows:  # MySQL's ANALYZE TABLE answers with a row per table
            result.fetchall()


def _user(i: int, group) -> tuple:
    """(id, username, password, roles, group_id): a few non-ASCII names; every 7th user in no group."""
    return (i, f"{NAME_STEMS[i % len(NAME_STEMS)]}_{i}", PASSWORD, ROLES[i % len(ROLES)],
            None if i % 7 == 0 else group(1 + i % 50))  # fmt: skip


def _assignments(user_ids: range, line_items: int, per_user: int, rng: random.Random) -> list[tuple]:
    """(user_id, line_item_id, state, attempts_count, updated_at); every 11th user has none at all (such users are
    cached too, and counted apart)."""
    rows = []
    for user_id in user_ids:
        count = 0 if user_id % 11 == 0 else per_user
        for line_item_id in sorted(rng.sample(range(1, line_items + 1), count)):
            state, attempts = STATES[rng.randrange(4)], rng.randrange(3)  # drawn in this order: same data as ever
            updated = EPOCH + timedelta(seconds=rng.randrange(30_000_000))
            rows.append((user_id, line_item_id, state, attempts, updated.strftime("%Y-%m-%d %H:%M:%S")))
    return rows


def _line_item(i: int, rng: random.Random) -> tuple:
    dated = i % 3 == 0
    start = EPOCH + timedelta(days=rng.randrange(300)) if dated else None
    return (
        i,
        f"Line item {i}",
        f"https://roster.example/line-items/{i}",
        f"line-item-{i}",
        0 if i % 10 == 0 else 1,
        start.strftime("%Y-%m-%d %H:%M:%S") if start else None,
        (start + timedelta(days=30)).strftime("%Y-%m-%d %H:%M:%S") if start else None,
        i % 4,
        EPOCH.strftime("%Y-%m-%d %H:%M:%S"),
    )
