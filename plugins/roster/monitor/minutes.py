"""The charts' data: one row per queue, minute and lane in ``background_job_minute``.

Why a table of minutes and not the job table read on each look: the charts cover a day, and a day of a busy queue
is millions of job rows (read through an index or not, too many for a page that refreshes), while it is 1,440 rows a
lane here; and the depth over time (ready, waiting, processing) is not in the job table at all: jobs move on. So
the consumer tasks of roster_job_queue, which start every minute anyway, write each minute once it is over
(:func:`record_minutes`): its finished and failed counts and its due -> start latency from that minute's job
timestamps (one-minute index ranges), and the depth as it is when written. Minutes no consumer was there to write
(a paused DAG) are filled in later without a depth. The minute in progress is measured live for the page
(:func:`live_minute`), so the charts end now.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from roster.jobs.lanes import lanes
from roster.jobs.states import State
from roster.jobs.store import Store, Tx
from roster.monitor.overview import as_datetime, utcnow

log = logging.getLogger("roster.monitor")
BACKFILL_MINUTES = 60  # minutes a writer looks back for ones nobody wrote
KEEP = timedelta(days=2)
_DEPTH = {State.READY: "ready", State.PROCESSING: "processing", State.TEMPORARILY_FAILED: "waiting",
          State.WAITING: "waiting"}  # fmt: skip


def _text(minute: datetime) -> str:
    return minute.strftime("%Y-%m-%d %H:%M:00")


def _floor(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _percentile(values: list[float], share: float) -> int | None:
    if not values:
        return None
    ordered = sorted(values)
    return int(ordered[min(len(ordered) - 1, int(share * len(ordered)))])


def _by_lane(rows: list[tuple]) -> dict[str, int]:
    """``(priority, count)`` rows added up per lane (a job counts in every lane whose range holds it)."""
    out = dict.fromkeys(lanes(), 0)
    for priority, count in rows:
        for name, (low, high) in lanes().items():
            out[name] += int(count) if low <= int(priority) <= high else 0
    return out


def measure(tx: Tx, queue: str, minute: datetime, *, depth: bool) -> dict[str, dict[str, Any]]:
    """Per lane, what happened in ``minute`` (and the depth now when ``depth``)."""
    span = {"queue": queue, "start": _text(minute), "end": _text(minute + timedelta(minutes=1))}
    finished = _by_lane(tx.rows("monitor/minute_finished", **span))
    failed = _by_lane(tx.rows("monitor/minute_failed", **span))
    waits: dict[str, list[float]] = {name: [] for name in lanes()}
    for priority, due, started in tx.rows("monitor/minute_started", **span):
        waited = max(0.0, (as_datetime(started) - as_datetime(due)).total_seconds() * 1000)
        for name, (low, high) in lanes().items():
            if low <= int(priority) <= high:
                waits[name].append(waited)
    out = {}
    for name in lanes():
        out[name] = {"finished": finished[name], "failed": failed[name], "ready": None, "waiting": None,
                     "processing": None, "p50": _percentile(waits[name], 0.5), "p95": _percentile(waits[name], 0.95)}  # fmt: skip
    if depth:
        for row in out.values():
            row.update(ready=0, waiting=0, processing=0)
        for state, priority, count in tx.rows("monitor/minute_depth", queue=queue):
            for name, (low, high) in lanes().items():
                if low <= int(priority) <= high:
                    out[name][_DEPTH[State(int(state))]] += int(count)
    return out


def record_minutes(store: Store, queue: str, now: datetime | None = None) -> int:
    """Write the minutes of the last hour that are over and not written yet (the last one with its depth); return
    how many. Cheap when up to date: one read of the primary key."""
    last = _floor(now or utcnow()) - timedelta(minutes=1)
    since = last - timedelta(minutes=BACKFILL_MINUTES - 1)
    written = 0
    with store.transaction() as tx:
        done = {as_datetime(row[0]) for row in tx.rows("monitor/minute_recorded", queue=queue, since=_text(since))}
        for offset in range(BACKFILL_MINUTES):
            minute = since + timedelta(minutes=offset)
            if minute in done:
                continue
            for lane, row in measure(tx, queue, minute, depth=minute == last).items():
                tx.run("monitor/minute_insert", queue=queue, minute=_text(minute), lane=lane, **row)
            written += 1
        tx.run("monitor/minute_trim", queue=queue, before=_text(last - KEEP))
    return written


def record_minutes_quietly(store: Store, queue: str) -> None:
    """:func:`record_minutes` for a consumer task: a chart row is never worth failing the consumer."""
    try:
        record_minutes(store, queue)
    except Exception as exc:  # noqa: BLE001 - logged, and the consumer goes on
        log.warning("the charts' minutes were not written (%s): the consumer goes on", str(exc).splitlines()[0][:300])


def series(store: Store, queue: str, minutes: int, now: datetime | None = None) -> dict[str, Any]:
    """The charts' data for the last ``minutes``: per lane, one point a minute (oldest first), the current minute
    measured live; minutes nobody wrote are null."""
    current = _floor(now or utcnow())
    since = current - timedelta(minutes=minutes - 1)
    axis = [since + timedelta(minutes=i) for i in range(minutes)]
    with store.reading() as tx:
        rows = tx.rows("monitor/minute_series", queue=queue, since=_text(since))
        live = measure(tx, queue, current, depth=True)
    keys = ("finished", "failed", "ready", "waiting", "processing", "p50", "p95")
    found = {(as_datetime(minute), lane): dict(zip(keys, values)) for minute, lane, *values in rows}
    for lane, row in live.items():
        found[(current, lane)] = row
    out = {}
    for lane in lanes():
        points = [found.get((minute, lane)) for minute in axis]
        out[lane] = {key: [point[key] if point else None for point in points] for key in keys}
    return {"minutes": [minute.isoformat() + "+00:00" for minute in axis], "lanes": out}
