"""The project's SQL: one statement (or DDL script) per ``.sql`` file of this package (``roster/sql/``, read through
:mod:`importlib.resources`, so it works from an installed wheel as from the checkout), and one way to bind parameters.

Statements use ``:name`` parameters. :func:`bind` turns them into the driver's positional style (``%s`` for
mysqlclient, ``?`` for SQLite) and expands a list parameter (``IN :ids``) into one placeholder per item; the
compiled shape is cached per statement, dialect and list lengths. :func:`inline_ints` is the same renderer writing
integers in as literals, for hot read paths that run without driver parameters (ids and counters only, never text).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

SQL_FILES = resources.files(__name__)
_PARAM = re.compile(r"(?<![\w:]):([a-z_][a-z0-9_]*)\b")
_LISTS = (list, tuple, set, frozenset)


@functools.cache
def _read_sql(name: str) -> str:
    return SQL_FILES.joinpath(name).read_text(encoding="utf-8")


def sql_file(name: str, dialect: str) -> str:
    """The text of ``roster/sql/<name>``, or of its SQLite variant ``<stem>.sqlite.sql`` when there is one."""
    if dialect == "sqlite":
        variant = name.removesuffix(".sql") + ".sqlite.sql"
        if SQL_FILES.joinpath(variant).is_file():
            return _read_sql(variant)
    return _read_sql(name)


def sql_names(folder: str = "") -> list[str]:
    """Every ``.sql`` file of the package under ``folder`` (``"jobs"``; default all), as ``sql_file`` names them
    (``jobs/claim_lock.sql``), sorted."""
    names = []
    pending = [(folder, SQL_FILES.joinpath(folder) if folder else SQL_FILES)]
    while pending:
        prefix, directory = pending.pop()
        for entry in directory.iterdir():
            name = f"{prefix}/{entry.name}" if prefix else entry.name
            if entry.is_dir():
                pending.append((name, entry))
            elif entry.name.endswith(".sql"):
                names.append(name)
    return sorted(names)


def statements(script: str) -> list[str]:
    """Split a script on ``;`` at line ends, without its comment lines (no procedures, no literals with ``;``)."""
    parts = []
    for chunk in script.split(";\n"):
        lines = [line for line in chunk.splitlines() if not line.strip().startswith("--")]
        stmt = "\n".join(lines).strip().rstrip(";")
        if stmt:
            parts.append(stmt)
    return parts


@functools.cache
def statement(name: str, dialect: str) -> str:
    """The one statement of ``roster/sql/<name>.sql`` (its dialect's variant), without its comment lines."""
    (only,) = statements(sql_file(f"{name}.sql", dialect))
    return only


@functools.lru_cache(maxsize=2048)
def _compile(sql: str, mark: str, lengths: tuple[tuple[str, int], ...]) -> tuple[str, tuple[tuple[str, int], ...]]:
    """``sql`` with placeholders ``mark`` and the order of its values: (name, -1) for a scalar, (name, i) for the
    i-th item of a list."""
    sizes = dict(lengths)
    order: list[tuple[str, int]] = []

    def placeholder(match: re.Match[str]) -> str:
        name = match.group(1)
        size = sizes.get(name)
        if size is None:
            order.append((name, -1))
            return mark
        order.extend((name, i) for i in range(size))
        return "(" + ", ".join([mark] * size) + ")"

    text = sql.replace("%", "%%") if mark == "%s" else sql
    return _PARAM.sub(placeholder, text), tuple(order)


def _lengths(params: Mapping[str, Any]) -> tuple[tuple[str, int], ...]:
    lengths = []
    for name, value in params.items():
        if isinstance(value, _LISTS):
            if not value:
                raise ValueError(f"empty list for :{name}")
            lengths.append((name, len(value)))
    return tuple(lengths)


def bind(sql: str, params: Mapping[str, Any], dialect: str) -> tuple[str, list[Any]]:
    """``(sql for the driver, its positional values)``; list values expand (``IN :ids`` -> ``IN (%s, %s)``)."""
    lengths = _lengths(params)
    text, order = _compile(sql, "%s" if dialect != "sqlite" else "?", lengths)
    if not lengths:
        return text, [params[name] for name, _ in order]
    items = {name: list(params[name]) for name, _ in lengths}
    return text, [params[name] if i < 0 else items[name][i] for name, i in order]


def positional(name: str, dialect: str) -> tuple[str, tuple[str, ...]]:
    """The one statement of ``<name>.sql`` with the driver's placeholders, and its parameters' names in order: for
    ``executemany`` over rows given as tuples in that order (a bulk load)."""
    text, order = _compile(statement(name, dialect), "%s" if dialect != "sqlite" else "?", ())
    return text, tuple(param for param, _ in order)


def inline_ints(sql: str, params: Mapping[str, int | Sequence[int]]) -> str:
    """``sql`` with its integer parameters written in (lists as ``(1, 2, 3)``): no driver parameters at all.
    Only ints are accepted (ids and counters, never user text), so inlining is safe."""

    def value(match: re.Match[str]) -> str:
        param = params[match.group(1)]
        if isinstance(param, int):
            return str(int(param))
        return "(" + ",".join(str(int(item)) for item in param) + ")"

    return _PARAM.sub(value, sql)
