"""How the database means to read one of roster's statements: MariaDB's EXPLAIN or SQLite's EXPLAIN QUERY PLAN
of ``roster/sql/<name>.sql``, one dict per row of the plan."""

from __future__ import annotations

from typing import Any


def explain(engine, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """The plan of statement ``name`` (e.g. ``jobs/claim_candidates``) with ``params``, on ``engine``'s dialect."""
    from roster.sql import bind, statement

    dialect = "sqlite" if engine.dialect.name == "sqlite" else "mysql"
    verb = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN "
    sql, args = bind(verb + statement(name, dialect), params, dialect)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(sql, args)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]
    finally:
        raw.close()
