"""Which usernames of a scoped warmup name nobody: the plan, the summary, the CLI and ``warm_users`` report them.

A run whose usernames all name nobody fails with that message instead of succeeding with nothing warmed; one with
some unknown names warms the others and lists the unknown ones.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, text
from sqlalchemy.exc import DBAPIError

from roster.db import sql_file, unavailable
from roster.errors import InvalidOptionError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

log = logging.getLogger("roster.warmup")

MAX_NAMES_SHOWN = 10
_CHUNK = 1000  # usernames per IN list


def unknown_usernames(conn: Connection, usernames: Sequence[str]) -> list[str]:
    """The ``usernames`` no user has, in the order given, compared as the database compares names: under a
    ``_ci`` collation ``John`` names the user ``john``. A name that is not stored exactly as given is asked about
    on its own (one primary-key-sized look-up on the unique index), so the answer is the collation's."""
    query = text(sql_file("warmup/user_ids_by_username.sql", conn.dialect.name)).bindparams(
        bindparam("usernames", expanding=True)
    )

    def stored(names: list[str]) -> list[str]:
        return [name for _, name in conn.execute(query, {"usernames": names, "modulo": 1, "remainder": 0})]

    found: set[str] = set()
    for start in range(0, len(usernames), _CHUNK):
        found.update(stored(list(usernames[start : start + _CHUNK])))
    return [name for name in usernames if name not in found and not stored([name])]


def names(items: Sequence[str]) -> str:
    """The first few of ``items``, comma separated, with how many more there are."""
    shown = ", ".join(items[:MAX_NAMES_SHOWN])
    return shown + (f" and {len(items) - MAX_NAMES_SHOWN} more" if len(items) > MAX_NAMES_SHOWN else "")


def check_usernames(engine: Engine, usernames: Sequence[str] | None) -> list[str]:
    """The unknown ones among ``usernames`` (logged); :class:`InvalidOptionError` when every one is unknown."""
    if not usernames:
        return []
    try:
        with engine.connect() as conn:
            unknown = unknown_usernames(conn, usernames)
    except DBAPIError as exc:
        raise unavailable(engine, exc) from exc
    if unknown and len(unknown) == len(usernames):
        raise InvalidOptionError(f"param usernames: none of these users exist: {names(unknown)}")
    if unknown:
        log.warning("%d of %d usernames name no user and are skipped: %s", len(unknown), len(usernames), names(unknown))
    return unknown
