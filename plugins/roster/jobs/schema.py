"""Create or upgrade the ``background_job`` table from roster/sql/background_job.sql (idempotent, keeps rows)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text

from roster.db import run_script, sql_file

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

_COLUMN = re.compile(r"^\s{4}([a-z_]+)\s+([A-Z].*?),?$")
_INDEX = re.compile(r"^\s{4}(UNIQUE )?KEY ([a-z_]+) \(([^)]*)\),?$")
_SQLITE_INDEX = re.compile(r"^CREATE (UNIQUE )?INDEX IF NOT EXISTS ([a-z_]+) ON background_job \(([^)]*)\);$")



def update_schema(engine: Engine) -> list[str]:
    """Add what an older table lacks: every column and index of the DDL file. Returns what was added."""
    dialect = "sqlite" if engine.dialect.name == "sqlite" else "mysql"
    # Only the job table's own lines (the control table follows it in the file).
    script = sql_file("background_job.sql", dialect).split("CREATE TABLE IF NOT EXISTS background_job_control")[0]
    added: list[str] = []
    with engine.begin() as conn:
        inspector = inspect(conn)
        if not inspector.has_table("background_job"):
            run_script(conn, "background_job.sql")
            return ["table background_job"]
        columns = {c["name"] for c in inspector.get_columns("background_job")}
        indexes = {i["name"] for i in inspector.get_indexes("background_job")}
        indexes |= {u["name"] for u in inspector.get_unique_constraints("background_job")}
        for line in script.splitlines():
            column = _COLUMN.match(line)
            if column and column.group(1) not in columns and "PRIMARY KEY" not in line:
                conn.execute(text(f"ALTER TABLE background_job ADD COLUMN {column.group(1)} {column.group(2)}"))
                added.append(f"column {column.group(1)}")
        for line in script.splitlines():
            index = _INDEX.match(line) or _SQLITE_INDEX.match(line)
            if index and index.group(2) not in indexes:
                unique, name, cols = index.groups()
                conn.execute(text(f"CREATE {unique or ''}INDEX {name} ON background_job ({cols})"))
                added.append(f"index {name}")
        run_script(conn, "background_job.sql")  # and anything else the file creates (the control table)
    return added
