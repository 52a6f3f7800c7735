"""The charts' minutes on MariaDB and SQLite: a minute that is over is written once per lane with what finished,
failed and waited in it, the last one with the depth; the series puts them on a minute axis ending with the minute
in progress, measured live."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from roster.jobs import JobQueue
from roster.jobs.store import ts
from roster.monitor.minutes import BACKFILL_MINUTES, record_minutes, series
from roster.monitor.overview import utcnow


def test_minutes_are_written_once_and_charted(jobs_engine):
    queue = JobQueue(jobs_engine, max_attempts=1)
    for i in range(6):
        queue.publish("noop", {"i": i}, priority=5 if i < 2 else 50)
    queue.publish("fail_permanently", {}, priority=50)
    queue.publish("noop", {}, priority=50, available_at=utcnow() + timedelta(hours=1))  # stays READY
    queue.process()
    now = utcnow()
    minute_ago = now.replace(second=0, microsecond=0) - timedelta(minutes=1)
    at = {"at": ts(minute_ago + timedelta(seconds=30)), "due": ts(minute_ago + timedelta(seconds=28))}
    with jobs_engine.begin() as conn:  # all of it happened in the minute before this one, due 2 s before starting
        conn.execute(text("UPDATE background_job SET finished_at = :at, last_attempt_at = :at, available_at = :due"
                          " WHERE state <> 1"), at)  # fmt: skip
        conn.execute(text("UPDATE background_job_attempt SET finished_at = :at"), at)

    assert record_minutes(queue.store, "default", now) == BACKFILL_MINUTES
    assert record_minutes(queue.store, "default", now) == 0  # up to date: nothing computed again
    with jobs_engine.connect() as conn:
        rows = conn.execute(text("SELECT lane, finished, failed, ready, latency_p50_ms FROM background_job_minute"
                                 " WHERE minute = :m ORDER BY lane"), {"m": minute_ago.strftime("%Y-%m-%d %H:%M:00")}).fetchall()  # fmt: skip
        older = conn.execute(text("SELECT COUNT(*), COUNT(ready) FROM background_job_minute WHERE minute < :m"),
                             {"m": minute_ago.strftime("%Y-%m-%d %H:%M:00")}).one()  # fmt: skip
    assert [tuple(row) for row in rows] == [("roster_jobs_all", 6, 1, 1, 2000), ("roster_jobs_urgent", 2, 0, 0, 2000)]
    assert tuple(older) == ((BACKFILL_MINUTES - 1) * 2, 0)  # filled in without a depth

    charted = series(queue.store, "default", 60, now)
    assert len(charted["minutes"]) == 60 and charted["minutes"][-2].startswith(minute_ago.isoformat())
    general = charted["lanes"]["roster_jobs_all"]
    assert general["finished"][-2] == 6 and general["failed"][-2] == 1 and general["p95"][-2] == 2000
    assert general["ready"][-1] == 1  # the minute in progress, live
