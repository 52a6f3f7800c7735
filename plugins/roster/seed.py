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

from roster.db import is_mysql, run_script
from roster.errors import InvalidOptionError

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
    if users < 0 or line_items < 1 or not 0 <= assignments_per_user <= line_items:
        raise InvalidOptionError(
            "seed needs users >= 0, line items >= 1 and 0 <= assignments per user <= line items "
            f"(got users={users}, assignments per user={assignments_per_user}, line items={line_items})"
        )
    started = time.monotonic()
    create_schema(engine)
    rng = random.Random(seed_value)
    mysql = is_mysql(engine)
    with engine.begin() as conn:
        group = int if integer_group_ids(conn) else "group-{}".format
        existing = conn.execute(text("SELECT COUNT(*) FROM users")).scalar_one()
        if existing and not reset:
            raise InvalidOptionError(
                f"the roster database already holds {existing} users; pass --reset to replace them with demo data"
            )
        if mysql:
            # Checks off for this session only: the data is generated consistent, and the load is several
            # times faster without them.
            conn.execute(text("SET SESSION foreign_key_checks = 0, unique_checks = 0"))
        for table in ("assignments", "users", "line_items"):
            conn.execute(text(f"TRUNCATE TABLE {table}" if mysql else f"DELETE FROM {table}"))
        if not mysql:
            conn.execute(text("DELETE FROM sqlite_sequence WHERE name IN ('assignments', 'users', 'line_items')"))
        raw = conn.connection.dbapi_connection
        cursor = raw.cursor()
        mark = "%s" if mysql else "?"

        def insert(table: str, columns: str, rows) -> None:
            sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join([mark] * columns.count(',') + [mark])})"
            # mysqlclient's executemany rewrites this into one multi-row INSERT per ~1 MB because every VALUES
            # item is a placeholder; sqlite3 runs it as one prepared statement.
            for start in range(0, len(rows), CHUNK_ROWS):
                cursor.executemany(sql, rows[start : start + CHUNK_ROWS])

        insert(
            "line_items",
            "id, label, uri, slug, is_active, start_at, end_at, max_attempts, updated_at",
            [_line_item(i, rng) for i in range(1, line_items + 1)],
        )
        line_item_ids = range(1, line_items + 1)
        for first in range(1, users + 1, CHUNK_ROWS):
            last = min(first + CHUNK_ROWS, users + 1)
            user_rows = [
                (
                    i,
                    f"{NAME_STEMS[i % len(NAME_STEMS)]}_{i}",
                    PASSWORD,
                    ROLES[i % len(ROLES)],
                    None if i % 7 == 0 else group(1 + i % 50),
                )
                for i in range(first, last)
            ]
            cursor.executemany(
                f"INSERT INTO users (id, username, password, roles, group_id) VALUES ({mark}, {mark}, {mark}, {mark}, {mark})",
                user_rows,
            )
            assignment_rows = []
            for user_id in range(first, last):
                # Every 11th user has no assignment at all: such users are cached too, and counted apart.
                count = 0 if user_id % 11 == 0 else assignments_per_user
                for line_item_id in sorted(rng.sample(line_item_ids, count)):
                    assignment_rows.append(
                        (
                            user_id,
                            line_item_id,
                            STATES[rng.randrange(4)],
                            rng.randrange(3),
                            (EPOCH + timedelta(seconds=rng.randrange(30_000_000))).strftime("%Y-%m-%d %H:%M:%S"),
                        )
                    )
            insert("assignments", "user_id, line_item_id, state, attempts_count, updated_at", assignment_rows)
        cursor.close()
    analyse(engine)
    seconds = time.monotonic() - started
    with engine.connect() as conn:
        assignments = conn.execute(text("SELECT COUNT(*) FROM assignments")).scalar_one()
    log.info("seeded %d users, %d assignments, %d line items in %.1f s", users, assignments, line_items, seconds)
    return {"users": users, "assignments": assignments, "line_items": line_items, "seconds": round(seconds, 2)}


def analyse(engine: Engine) -> None:
    """Refresh the optimizer's statistics: after a bulk load, stale ones make MariaDB choose slow join orders."""
    with engine.begin() as conn:
        if is_mysql(engine):
            conn.execute(text("ANALYZE TABLE users, line_items, assignments")).fetchall()
        else:
            conn.execute(text("ANALYZE"))


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
