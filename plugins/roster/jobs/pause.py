"""Pausing a lane: its consumers claim nothing while it is paused, and its jobs keep their place.

A pause is a row of the control table, ``pause:<lane>``, holding since when. A consumer reads the control table once
per claim cycle (with the stop-consumers request, cached for ``CONTROL_EVERY_SECONDS``), so a pause takes effect
within one cycle; a paused consumer ends its run as if its lane were empty (``stopped_by: paused``), so the job DAGs
stay green. A consumer belongs to a lane when its priority range is the lane's (pools.json); lanes may overlap, so
pausing ``roster_jobs_urgent`` stops that lane's consumers while ``roster_jobs_all`` still takes priorities 0-9.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from roster.errors import InvalidOptionError
from roster.jobs.lanes import lanes
from roster.jobs.store import Store, ts, utcnow

PREFIX = "pause:"


def check_lane(lane: Any) -> str:
    """``lane`` if it names a lane of pools.json, else a one-line error naming the field and the lanes there are."""
    if not isinstance(lane, str) or lane not in lanes():
        raise InvalidOptionError(f"lane {lane!r:.80}: no such lane (lanes: {', '.join(lanes())})")
    return lane


def lane_of(low: int, high: int) -> list[str]:
    """The lanes whose priority range is exactly ``(low, high)``: what a consumer of that range belongs to."""
    return [name for name, bounds in lanes().items() if bounds == (low, high)]


def paused_in(controls: Iterable[tuple[str, Any]]) -> dict[str, datetime]:
    """``{lane: since}`` from the control table's ``(name, value)`` rows."""
    found = {}
    for name, value in controls:
        if name.startswith(PREFIX):
            found[name[len(PREFIX) :]] = datetime.fromisoformat(value) if isinstance(value, str) else value
    return found


def paused_lanes(store: Store) -> dict[str, datetime]:
    """Every paused lane and since when (never creates the job tables: the page reads this on a new database)."""
    with store.reading() as tx:
        return paused_in(tx.rows("control_all"))


def pause(store: Store, lane: str) -> dict[str, Any]:
    """Pause ``lane`` (again: keeps its first since-when)."""
    check_lane(lane)
    with store.transaction() as tx:
        tx.run("control_add", name=PREFIX + lane, value=ts(utcnow()))
        since = paused_in(tx.rows("control_all"))[lane]
    return {"lane": lane, "paused": True, "since": since.isoformat(timespec="seconds") + "+00:00"}


def resume(store: Store, lane: str) -> dict[str, Any]:
    """Resume ``lane``: its consumers claim again from their next cycle (a lane not paused: nothing changes)."""
    check_lane(lane)
    with store.transaction() as tx:
        was_paused = tx.run("control_delete", name=PREFIX + lane) > 0
    return {"lane": lane, "paused": False, "was_paused": was_paused}
