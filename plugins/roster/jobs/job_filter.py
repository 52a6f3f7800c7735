"""An operator's filter of the job table (lane, state, callback, identifier, serial group, publish time): checked
once, for the Roster page's list and its bulk actions alike; every bad value is refused in one line naming its
field. Matches are read newest first in pages of ids (``jobs/filter_ids.sql``, keyset on the id), so a filter
matching 100,000 jobs is listed, counted up to a cap and acted on a batch at a time, never all at once."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from roster.errors import InvalidOptionError
from roster.jobs.lanes import HIGHEST, LOWEST, lanes
from roster.jobs.pause import check_lane
from roster.jobs.states import State
from roster.jobs.store import Store, ts
from roster.sql import statement

TEXT_MAX = 191  # characters of callback_name, identifier and serial_group
# The filter's fields as SQL, one line each, put where jobs/filter_*.sql say {conditions}: only the fields given.
CONDITIONS = {
    "lane": "priority BETWEEN :low AND :high",
    "state": "state = :state",
    "callback": "callback_name = :callback",
    "identifier": "identifier = :identifier",
    "serial_group": "serial_group = :serial_group",
    "since": "created_at >= :since",
    "until": "created_at < :until",
}
NO_CURSOR = 2**63 - 1  # "before every id": the first page (BIGINT and SQLite INTEGER hold it)
STATES = {state.name.lower(): state for state in State}


def _text(field: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > TEXT_MAX:
        raise InvalidOptionError(f"param {field} must be a string of at most {TEXT_MAX} characters, got {value!r:.60}")
    return value


def _time(field: str, value: Any) -> datetime | None:
    """ISO 8601; a time without a zone is UTC. Returned naive UTC, as the job table stores it."""
    if value is None or value == "":
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise InvalidOptionError(
            f"param {field} must be an ISO 8601 time (2026-12-07T10:00:00Z), got {value!r:.60}"
        ) from None
    return parsed.astimezone(timezone.utc).replace(tzinfo=None) if parsed.tzinfo else parsed


def _state(value: Any) -> State | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or value.lower() not in STATES:
        raise InvalidOptionError(f"param state must be one of {', '.join(STATES)}, got {value!r:.60}")
    return STATES[value.lower()]


def cursor(value: Any) -> int:
    """The ``before`` of a page: a job id (the previous page's last), or none for the first page."""
    if value is None or value == "":
        return NO_CURSOR
    if isinstance(value, bool) or not str(value).isascii() or not str(value).isdigit() or not 0 < int(value) <= NO_CURSOR:
        raise InvalidOptionError(f"param before must be a job id (a positive whole number), got {value!r:.60}")
    return int(value)


@dataclass(frozen=True)
class JobFilter:
    """What to match; ``None`` matches everything. ``since``/``until`` bound the publish time (``created_at``)."""

    lane: str | None = None
    state: State | None = None
    callback: str | None = None
    identifier: str | None = None
    serial_group: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    @classmethod
    def parse(cls, lane: Any = None, state: Any = None, callback: Any = None, identifier: Any = None,
              serial_group: Any = None, since: Any = None, until: Any = None) -> JobFilter:  # fmt: skip
        """From an operator's input (query string, JSON, CLI), each value checked by name."""
        found = cls(None if lane in (None, "") else check_lane(lane), _state(state), _text("callback", callback),
                    _text("identifier", identifier), _text("serial_group", serial_group), _time("since", since),
                    _time("until", until))  # fmt: skip
        if found.since and found.until and found.since >= found.until:
            raise InvalidOptionError(f"param until ({found.until}) must be later than param since ({found.since})")
        return found

    def to_dict(self) -> dict[str, Any]:
        shown = {"lane": self.lane, "state": self.state.name.lower() if self.state is not None else None,
                 "callback": self.callback, "identifier": self.identifier, "serial_group": self.serial_group,
                 "since": self.since.isoformat() if self.since else None,
                 "until": self.until.isoformat() if self.until else None}  # fmt: skip
        return {key: value for key, value in shown.items() if value is not None}

    def params(self, queue: str) -> dict[str, Any]:
        low, high = lanes()[self.lane] if self.lane else (LOWEST, HIGHEST)
        return {"queue": queue, "low": low, "high": high, "state": None if self.state is None else int(self.state),
                "callback": self.callback, "identifier": self.identifier, "serial_group": self.serial_group,
                "since": ts(self.since) if self.since else None, "until": ts(self.until) if self.until else None}  # fmt: skip

    def sql(self, name: str, dialect: str) -> str:
        """Statement ``jobs/<name>`` with the conditions of the fields given."""
        return _with_conditions(name, dialect, tuple(field for field in CONDITIONS if getattr(self, field) is not None))

    def count(self, store: Store, queue: str, *, cap: int) -> int:
        """How many jobs match, counting no further than ``cap``."""
        with store.reading() as tx:
            return int(tx.rows_of(self.sql("filter_count", tx.dialect), **self.params(queue), cap=int(cap))[0][0])

    def ids(self, store: Store, queue: str, *, before: int = NO_CURSOR, limit: int = 50) -> list[int]:
        """The ids of up to ``limit`` matches below ``before``, newest first."""
        with store.reading() as tx:
            sql = self.sql("filter_ids", tx.dialect)
            return [int(row[0]) for row in tx.rows_of(sql, **self.params(queue), before=before, limit=int(limit))]


@functools.cache
def _with_conditions(name: str, dialect: str, given: tuple[str, ...]) -> str:
    return statement(f"jobs/{name}", dialect).replace("{conditions}", "".join(f"\n  AND {CONDITIONS[f]}" for f in given))
