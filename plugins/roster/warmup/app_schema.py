"""What the roster database offers the warmup: its tables' columns and the indexes of ``assignments``.

The database is the application's own, made by its migrations: roster never requires an index name. It reads the
schema once per task (information_schema on MySQL/MariaDB, PRAGMA on SQLite), checks that every column a cache
document needs is there with a usable type, and picks the access path to a page's assignments from the indexes
that exist: a covering ``(user_id, ...)`` index when there is one, else any index that starts with ``user_id``
(still one query per page, plus a primary key look-up per row), else a clear error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import text

from roster.db import sql_file
from roster.errors import SchemaError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

# Every column a cache document is built from, by table, with the kind of value the warmup reads from it.
# group_id is a string in the application's mapping and an integer in some deployments: the document keeps the
# column's value and type ("scalar").
DOCUMENT_COLUMNS: dict[str, dict[str, str]] = {
    "users": {"id": "integer", "username": "text", "group_id": "scalar", "roles": "json"},
    "line_items": {
        "id": "integer", "label": "text", "uri": "text", "slug": "text", "is_active": "integer",
        "start_at": "datetime", "end_at": "datetime", "max_attempts": "integer",
    },
    "assignments": {
        "id": "integer", "user_id": "integer", "line_item_id": "integer", "state": "text",
        "attempts_count": "integer", "updated_at": "datetime",
    },
}  # fmt: skip
# Which declared types serve each kind. MariaDB reports JSON as longtext (Doctrine's json type is LONGTEXT there);
# SQLite keeps datetimes as text.
_USABLE = {
    "integer": {"integer"},
    "text": {"text"},
    "scalar": {"integer", "text"},
    "json": {"json", "text"},
    "datetime": {"datetime"},
}
_USABLE_SQLITE_DATETIME = {"datetime", "text"}


def type_family(declared: str) -> str:
    """``integer``, ``text``, ``json``, ``datetime`` or ``other`` for a declared column type of either dialect."""
    base = declared.lower().split("(")[0].strip()
    if "int" in base or base in ("bit", "bool", "boolean"):
        return "integer"
    if base == "json":
        return "json"
    if "date" in base or "time" in base:
        return "datetime"
    if any(word in base for word in ("char", "text", "clob", "enum", "set")):
        return "text"
    return "other"


@dataclass(frozen=True)
class RecommendedIndex:
    """An index roster recommends on ``assignments``; any index with the same leading columns that also holds
    ``covers`` counts as present, whatever its name (the primary key ``id`` is part of every secondary index)."""

    name: str
    columns: tuple[str, ...]
    leading: tuple[str, ...]
    buys: str

    def satisfied_by(self, columns: tuple[str, ...]) -> bool:
        return columns[: len(self.leading)] == self.leading and set(self.columns) - {"id"} <= set(columns)


COVERING_USER_INDEX = RecommendedIndex(
    name="idx_assignments_user",
    columns=("user_id", "id", "state", "attempts_count", "updated_at", "line_item_id"),
    leading=("user_id",),
    buys="a page's assignments come from the index alone, in (user_id, id) order: no primary key look-up per row",
)
LINE_ITEM_INDEX = RecommendedIndex(
    name="idx_assignments_line_item",
    columns=("line_item_id", "user_id"),
    leading=("line_item_id", "user_id"),
    buys="a run scoped by line item slugs finds its users in the index alone, without reading assignment rows",
)
RECOMMENDED_INDEXES = (COVERING_USER_INDEX, LINE_ITEM_INDEX)


@dataclass(frozen=True)
class AccessPath:
    """The index a page's assignments are read through, and whether it covers every column they need."""

    index: str
    columns: tuple[str, ...]
    covering: bool

    def hint(self, dialect: str) -> str:
        """``FORCE INDEX (`name`)`` / ``INDEXED BY "name"``: keeps the plan whatever the statistics say."""
        if dialect == "sqlite":
            return 'INDEXED BY "{}"'.format(self.index.replace('"', '""'))
        return "FORCE INDEX (`{}`)".format(self.index.replace("`", "``"))

    def assignment_order(self) -> str:
        """``ORDER BY a.id`` unless the index returns a user's rows in id order already: InnoDB ends every
        secondary index with the primary key, so ``(user_id)`` and ``(user_id, id, ...)`` are read in id order."""
        in_id_order = self.columns == ("user_id",) or self.columns[:2] == ("user_id", "id")
        return "" if in_id_order else "ORDER BY a.id"

    def describe(self) -> str:
        how = "covering: index only" if self.covering else "not covering: plus a primary key look-up per row"
        return f"index {self.index} ({', '.join(self.columns)}), one query per page, {how}"


@dataclass(frozen=True)
class ColumnFit:
    """One column a document is built from: its declared type (None when missing), and whether the warmup reads it."""

    name: str
    declared: str | None
    accepted: bool
    accepts: str

    def describe(self) -> str:
        if self.declared is None:
            return f"{self.name}: missing (the warmup needs {self.accepts})"
        verdict = "accepted" if self.accepted else f"NOT accepted (the warmup accepts {self.accepts})"
        return f"{self.name}: {self.declared}, {verdict}"


@dataclass(frozen=True)
class Schema:
    """The columns of the roster tables and the indexes of ``assignments``, as the connected user sees them."""

    dialect: str
    columns: dict[str, dict[str, str]]  # table -> column -> declared type
    indexes: dict[str, tuple[str, ...]]  # index name -> its columns in order

    def problems(self) -> list[str]:
        """One line per missing table, missing column or column of an unusable type."""
        found = [f"table {table} is missing (or the user may not SELECT from it)"
                 for table in DOCUMENT_COLUMNS if table not in self.columns]  # fmt: skip
        for column in self.document_columns():
            if column.declared is None:
                found.append(f"column {column.name} is missing")
            elif not column.accepted:
                found.append(
                    f"column {column.name} has type {column.declared!r}; the warmup accepts {column.accepts}"
                )
        return found

    def document_columns(self) -> list[ColumnFit]:
        """Every column a document needs, of the tables found, with its declared type and whether it is usable."""
        fits = []
        for table, wanted in DOCUMENT_COLUMNS.items():
            for column, kind in wanted.items() if table in self.columns else ():
                declared = self.columns[table].get(column)
                usable = self._usable(kind)
                accepted = declared is not None and type_family(declared) in usable
                fits.append(ColumnFit(f"{table}.{column}", declared, accepted, " or ".join(sorted(usable))))
        return fits

    def _usable(self, kind: str) -> set[str]:
        return _USABLE_SQLITE_DATETIME if kind == "datetime" and self.dialect == "sqlite" else _USABLE[kind]

    def index_for(self, recommended: RecommendedIndex) -> str | None:
        """The name of an index that does what ``recommended`` does, if there is one."""
        matching = sorted(name for name, columns in self.indexes.items() if recommended.satisfied_by(columns))
        return matching[0] if matching else None

    def access_path(self) -> AccessPath:
        """The covering index, else the shortest index starting with user_id; :class:`SchemaError` otherwise."""
        problems = self.problems()
        if problems:
            raise SchemaError("the roster tables do not fit the warmup: " + "; ".join(problems))
        covering = self.index_for(COVERING_USER_INDEX)
        if covering is not None:
            return AccessPath(covering, self.indexes[covering], covering=True)
        by_user = sorted((len(cols), name) for name, cols in self.indexes.items() if cols[0] == "user_id")
        if not by_user:
            raise SchemaError(
                "assignments has no index starting with user_id, so every page would scan the whole table: "
                "create one (roster db check lists the DDL; roster db check --apply runs it)"
            )
        name = by_user[0][1]
        return AccessPath(name, self.indexes[name], covering=False)


def read_schema(conn: Connection) -> Schema:
    """Read the roster tables' columns and the indexes of ``assignments`` (two small queries)."""
    dialect = conn.dialect.name
    columns: dict[str, dict[str, str]] = {}
    for table, column, declared in conn.execute(text(sql_file("warmup/schema_columns.sql", dialect))):
        columns.setdefault(table, {})[column] = declared or ""
    indexes: dict[str, list[str]] = {}
    for name, column in conn.execute(text(sql_file("warmup/schema_indexes.sql", dialect))):
        if column is not None:  # SQLite lists expression index columns without a name
            indexes.setdefault(name, []).append(column)
    return Schema(dialect, columns, {name: tuple(cols) for name, cols in indexes.items()})


def orphan_assignments(conn: Connection) -> int:
    """Assignments whose user_id is NULL: they belong to nobody, so no document holds them (read through the
    index on user_id)."""
    return conn.execute(text(sql_file("warmup/orphan_assignments.sql", conn.dialect.name))).scalar_one()
