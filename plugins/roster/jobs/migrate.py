"""Create or upgrade the job table (idempotent, keeps rows).

A new table is made whole from ``roster/sql/background_job.sql``. An older one gets the numbered upgrades of
``roster/sql/jobs/migrations/`` it lacks, in order: each file says on its first line what it adds (``-- adds column
claim_id``), and runs only when the table has no such column or index, so a table made by any earlier version is
brought up to date, and a second run does nothing. A column or index of ``background_job.sql`` still missing after
them (a table altered by hand) is restored as that file defines it. Then the other tables of the file (control,
counters), which are created when missing.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text

from roster.db import run_script
from roster.sql import sql_file, sql_names, statement

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

MIGRATIONS = "jobs/migrations"
_ADDS = re.compile(r"^-- adds (column|index) ([a-z_]+)$", re.M)
_COLUMN = re.compile(r"^\s{4}([a-z_]+)\s+([A-Z].*?),?$")
_INDEX = re.compile(r"^\s{4}(UNIQUE )?KEY ([a-z_]+) \(([^)]*)\)(),?$")
_SQLITE_INDEX = re.compile(r"^CREATE (UNIQUE )?INDEX IF NOT EXISTS ([a-z_]+) ON background_job \(([^)]*)\)( WHERE .*)?;$")


def migrations() -> list[tuple[str, str, str]]:
    """``(file, kind, name)`` of every upgrade, in order: the file adds column or index ``name``."""
    found = []
    for path in sql_names(MIGRATIONS):
        if path.endswith(".sqlite.sql"):
            continue
        kind, name = _ADDS.search(sql_file(path, "mysql")).groups()
        found.append((path, kind, name))
    return sorted(found)


_TABLE = re.compile(r"^CREATE TABLE IF NOT EXISTS ([a-z_]+) \($", re.M)


def pending(engine: Engine) -> list[str] | None:
    """What :func:`update_schema` would add (``column x``, ``index y``, ``table z``), read without changing
    anything; ``None`` when there is no job table at all. The read-only views ask this before reading."""
    with engine.connect() as conn:
        inspector = inspect(conn)
        tables = set(inspector.get_table_names())
        if "background_job" not in tables:
            return None
        present = _present(inspector)
        wanted = _TABLE.findall(sql_file("background_job.sql", conn.dialect.name))
    missing = [f"{kind} {name}" for _, kind, name in migrations() if name not in present]
    return missing + [f"table {name}" for name in wanted if name not in tables]


def _present(inspector) -> set[str]:
    """The job table's columns, indexes and unique constraints, by name."""
    present = {c["name"] for c in inspector.get_columns("background_job")}
    present |= {i["name"] for i in inspector.get_indexes("background_job")}
    return present | {u["name"] for u in inspector.get_unique_constraints("background_job")}


def update_schema(engine: Engine) -> list[str]:
    """Create the table, or run the upgrades an older one lacks. Returns what was added."""
    added: list[str] = []
    with engine.begin() as conn:
        inspector = inspect(conn)
        if not inspector.has_table("background_job"):
            run_script(conn, "background_job.sql")
            return ["table background_job"]
        present = _present(inspector)
        for path, kind, name in migrations():
            if name not in present:
                run_script(conn, path)
                added.append(f"{kind} {name}")
                present.add(name)
        added += _restore(conn, present)
        run_script(conn, "background_job.sql")  # and anything else the file creates (the control and counter tables)
    return added


def _restore(conn, present: set[str]) -> list[str]:
    """Columns, then indexes, of background_job.sql that the table still lacks, made as that file defines them."""
    dialect = conn.dialect.name
    # Only the job table's own lines (the control and counter tables follow it in the file).
    lines = sql_file("background_job.sql", dialect).split("CREATE TABLE IF NOT EXISTS background_job_control")[0]
    restored = []
    for line in lines.splitlines():
        column = _COLUMN.match(line)
        if column and column.group(1) not in present and "PRIMARY KEY" not in line:
            ddl = statement("jobs/restore_column", dialect).replace("{definition}", f"{column[1]} {column[2]}")
            conn.execute(text(ddl))
            restored.append(f"column {column[1]}")
    for line in lines.splitlines():
        index = _INDEX.match(line) or _SQLITE_INDEX.match(line)
        if index and index.group(2) not in present:
            unique, name, columns, where = index.groups()
            ddl = statement("jobs/restore_index", dialect).replace("{unique}", unique or "").replace("{name}", name)
            conn.execute(text(ddl.replace("{columns}", columns).replace("{where}", where or "")))
            restored.append(f"index {name}")
    return restored
