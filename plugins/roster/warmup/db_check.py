"""``roster db check``: does the roster database fit the warmup, and which recommended indexes would speed it up.

The same report is logged by the warmup DAG's plan task. ``apply`` creates the missing recommended indexes online,
and refuses politely (nothing changed, the DDL to hand to someone who may run it) when the user lacks the privilege.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from roster.db import describe, sql_file, unavailable
from roster.errors import PrivilegeError, SchemaError
from roster.warmup.app_schema import (
    RECOMMENDED_INDEXES,
    AccessPath,
    RecommendedIndex,
    Schema,
    orphan_assignments,
    read_schema,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

# MySQL/MariaDB error numbers meaning "this user may not": table/command denied, database denied, missing
# privilege (SUPER and the like), and a read-only server.
_DENIED = {1142, 1044, 1227, 1290, 1370}


@dataclass(frozen=True)
class IndexAdvice:
    """One recommended index: the index that already does its job, or the DDL that would create it."""

    recommended: RecommendedIndex
    present_as: str | None
    ddl: str | None


@dataclass(frozen=True)
class DbCheck:
    """The result of a check: what the schema lacks, how the warmup will read, which indexes are missing."""

    database: str
    schema: Schema
    problems: list[str]
    access_path: AccessPath | None
    access_error: str | None
    indexes: list[IndexAdvice]
    orphans: int = 0

    @property
    def ok(self) -> bool:
        """Whether the warmup can run on this database (missing recommended indexes only make it slower)."""
        return self.access_path is not None

    def error(self) -> SchemaError:
        return SchemaError(f"roster database {self.database}: {self.access_error}")

    def lines(self) -> list[str]:
        lines = [f"roster database {self.database}"]
        if self.problems:
            lines += [f"tables: PROBLEM: {problem}" for problem in self.problems]
        else:
            lines.append("tables: users, line_items and assignments have every column the warmup reads")
        lines += [f"  column {column.describe()}" for column in self.schema.document_columns()]
        if self.orphans:
            lines.append(f"assignments without a user (user_id NULL): {self.orphans}, skipped by the warmup")
        if self.access_path is not None:
            lines.append(f"access path: {self.access_path.describe()}")
        elif not self.problems:
            lines.append(f"access path: PROBLEM: {self.access_error}")
        for advice in self.indexes:
            index = advice.recommended
            head = f"recommended index {index.name} ({', '.join(index.columns)}):"
            if advice.present_as is not None:
                lines.append(f"{head} present as {advice.present_as}")
            else:
                lines += [f"{head} missing", f"  buys: {index.buys}", f"  online DDL: {advice.ddl}"]
        return lines

    @property
    def missing(self) -> list[IndexAdvice]:
        return [advice for advice in self.indexes if advice.present_as is None]


def check(engine: Engine) -> DbCheck:
    """Read the schema (two small queries, SELECT privilege only) and report on it."""
    try:
        with engine.connect() as conn:
            schema = read_schema(conn)
            orphans = orphan_assignments(conn) if not schema.problems() else 0
    except DBAPIError as exc:
        raise unavailable(engine, exc) from exc
    try:
        access_path, access_error = schema.access_path(), None
    except SchemaError as exc:
        access_path, access_error = None, str(exc)
    dialect = engine.dialect.name
    indexes = []
    for recommended in RECOMMENDED_INDEXES:
        present_as = schema.index_for(recommended)
        ddl = None if present_as is not None else index_ddl(recommended, dialect, taken=set(schema.indexes))
        indexes.append(IndexAdvice(recommended, present_as, ddl))
    return DbCheck(describe(engine), schema, schema.problems(), access_path, access_error, indexes, orphans)


def index_ddl(recommended: RecommendedIndex, dialect: str, *, taken: set[str]) -> str:
    """The DDL creating ``recommended``, under another name if the application already uses its name."""
    name = recommended.name if recommended.name not in taken else f"{recommended.name}_roster"
    template = sql_file("warmup/add_index.sql", dialect)
    statement = "\n".join(line for line in template.splitlines() if not line.startswith("--")).strip()
    return statement.replace("{name}", name).replace("{columns}", ", ".join(recommended.columns))


def apply(engine: Engine, report: DbCheck) -> list[str]:
    """Run the DDL of every missing recommended index; return the statements run.

    A user without the privilege gets a :class:`PrivilegeError` before anything changed.
    """
    done = []
    for advice in report.missing:
        assert advice.ddl is not None
        try:
            with engine.begin() as conn:
                conn.execute(text(advice.ddl))
        except DBAPIError as exc:
            if _is_denied(exc):
                raise PrivilegeError(
                    f"roster database {report.database}: the user may not create indexes "
                    f"({_first_line(exc)}); nothing was changed. Have a user with the ALTER and INDEX privileges "
                    f"on assignments run: {'; '.join(a.ddl for a in report.missing if a.ddl)}"
                ) from None
            raise unavailable(engine, exc) from exc
        done.append(advice.ddl)
    return done


def _is_denied(exc: DBAPIError) -> bool:
    args = getattr(exc.orig, "args", ())
    if args and isinstance(args[0], int):
        return args[0] in _DENIED
    return "readonly" in str(exc.orig) or "read-only" in str(exc.orig)


def _first_line(exc: DBAPIError) -> str:
    args = getattr(exc.orig, "args", ())
    if len(args) == 2 and isinstance(args[0], int):  # mysqlclient: (error number, message)
        return f"{args[1]}: error {args[0]}"
    return (str(exc.orig).splitlines() or [type(exc.orig).__name__])[0]
