"""The Roster page's reads on a large job table (used by ``bench/monitor_queries.py --page``): each API call the page
makes, timed through the same functions the routes call (the Airflow metadata parts, pool slots and warmup runs, do
not touch the job table and are left out), each statement with MariaDB's EXPLAIN; then a bulk retry of every
permanently failed job by filter."""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

from sqlalchemy import text

from roster.jobs import JobQueue, bulk
from roster.jobs.job_filter import JobFilter
from roster.jobs.pause import paused_lanes
from roster.jobs.states import State
from roster.monitor.alerts import alerts
from roster.monitor.job_story import job_story
from roster.monitor.minutes import record_minutes, series
from roster.monitor.overview import QueueOverview, utcnow
from roster.sql import bind, statement

QUEUE = "default"
ATTEMPTS = """
INSERT INTO background_job_attempt (job_id, attempt, claim_id, state, started_at, finished_at, execution_time_ms,
                                    memory, error_message, traceback, pid, hostname, worker)
SELECT id, 1, 1, 5, last_attempt_at, last_attempt_at, 12, '{"peak_rss_kb": 200000}', 'PermanentError: no',
       'Traceback (most recent call last):\n  ...\nPermanentError: no', 1, 'bench', NULL
FROM background_job WHERE state = 5
"""
MINUTES = """
INSERT INTO background_job_minute (queue, minute, lane, finished, failed, ready, waiting, processing,
                                   latency_p50_ms, latency_p95_ms)
SELECT 'default', DATE_FORMAT(UTC_TIMESTAMP() - INTERVAL seq MINUTE, '%Y-%m-%d %H:%i:00'), lane, 50, 5, 10, 3, 2, 40, 900
FROM seq_1_to_2880 JOIN (SELECT 'roster_jobs_urgent' AS lane UNION ALL SELECT 'roster_jobs_all') AS lanes
"""


def prepare(engine) -> None:
    """The side tables a busy deployment has: an attempt per failed job, two days of chart minutes."""
    with engine.begin() as conn:
        conn.execute(text(ATTEMPTS))
        conn.execute(text(MINUTES))
        conn.execute(text("ANALYZE TABLE background_job_attempt, background_job_minute"))


def calls(engine) -> dict:
    """Per API route: (what the route runs, [(statement, params) it executes])."""
    overview, store = QueueOverview(engine, queue=QUEUE), JobQueue(engine).store
    now, hour_ago = utcnow(), utcnow() - timedelta(minutes=59)
    failed = JobFilter(state=State.PERMANENTLY_FAILED)
    some_failed = failed.ids(store, QUEUE, limit=1)[0]
    minute = {"queue": QUEUE, "start": (now - timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:00"),
              "end": now.strftime("%Y-%m-%d %H:%M:00")}  # fmt: skip
    search, everything = failed.params(QUEUE), JobFilter()
    return {
        "lanes": (lambda: (overview.lanes(), overview.finished_per_minute(60), paused_lanes(store)),
                  [("monitor/lane_states", {"queue": QUEUE}),
                   ("monitor/lane_oldest_due", {"queue": QUEUE, "now": now, "low": 0, "high": 9}),
                   ("monitor/lane_last_claims", {"queue": QUEUE, "since": now - timedelta(minutes=30)}),
                   ("monitor/finished_per_minute", {"queue": QUEUE, "since": hour_ago})]),
        "consumers": (overview.consumers, [("monitor/consumers", {"queue": QUEUE})]),
        "waiting": (lambda: overview.waiting(50), [("monitor/waiting_jobs", {"queue": QUEUE, "limit": 50})]),
        "failed (newest 100)": (lambda: JobQueue(engine).failed(failed.ids(store, QUEUE, limit=100)),
                                [(failed.sql("filter_ids", "mysql"), {**search, "before": 2**63 - 1, "limit": 100})]),
        "search state=permanently_failed (page + count to 100,000)": (
            lambda: (overview.jobs_by_id(failed.ids(store, QUEUE, limit=51)), failed.count(store, QUEUE, cap=100_001)),
            [(failed.sql("filter_ids", "mysql"), {**search, "before": 2**63 - 1, "limit": 51}),
             (failed.sql("filter_count", "mysql"), {**search, "cap": 100_001})]),
        "search, no filter": (
            lambda: (overview.jobs_by_id(everything.ids(store, QUEUE, limit=51)), everything.count(store, QUEUE, cap=100_001)),
            [(everything.sql("filter_ids", "mysql"), {**everything.params(QUEUE), "before": 2**63 - 1, "limit": 51}),
             (everything.sql("filter_count", "mysql"), {**everything.params(QUEUE), "cap": 100_001})]),
        "story": (lambda: job_story(store, some_failed), [("monitor/job_row", {"id": some_failed}),
                                                           ("monitor/job_attempts", {"id": some_failed})]),
        "charts hour (minutes up to date)": (lambda: (record_minutes(store, QUEUE), series(store, QUEUE, 60)),
                                             [("monitor/minute_series", {"queue": QUEUE, "since": hour_ago}),
                                              ("monitor/minute_started", minute), ("monitor/minute_finished", minute),
                                              ("monitor/minute_failed", minute), ("monitor/minute_depth", {"queue": QUEUE})]),
        "charts day": (lambda: series(store, QUEUE, 1440), [("monitor/minute_series", {"queue": QUEUE, "since": now - timedelta(days=1)})]),
        "alerts": (lambda: alerts(overview), [("monitor/outcomes_since", {"queue": QUEUE, "since": now - timedelta(minutes=15)}),
                                              ("monitor/memory_since", {"queue": QUEUE, "since": now - timedelta(minutes=15)})]),
    }  # fmt: skip


def explain(engine, name: str, params: dict) -> list[str]:
    from roster.jobs.store import ts

    bound = {key: ts(value) if hasattr(value, "isoformat") else value for key, value in params.items()}
    sql, args = bind("EXPLAIN " + (name if " " in name else statement(name, "mysql")), bound, "mysql")
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(sql, args)
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row)) for row in cursor.fetchall()]
    finally:
        raw.close()
    return [f"{row['table']}: type {row['type']}, key {row['key']}, rows {row['rows']}, {row['Extra']}" for row in rows]


def report(engine, runs: int) -> None:
    prepare(engine)
    for route, (call, statements) in calls(engine).items():
        seconds = []
        for _ in range(runs):
            started = time.perf_counter()
            call()
            seconds.append(time.perf_counter() - started)
        median = statistics.median(seconds) * 1000
        print(f"  {route}: median {median:.1f} ms, slowest {max(seconds) * 1000:.1f} ms ({runs} runs)"
              f"{'' if median < 300 else '  <-- over 300 ms'}")  # fmt: skip
        for name, params in statements:
            for line in explain(engine, name, params):
                print(f"    {name if ' ' not in name else ' '.join(name.split())[:90] + '…'}: {line}")


def bulk_retry(engine) -> None:
    store = JobQueue(engine).store
    failed = JobFilter.parse(state="permanently_failed")
    matching = len(failed.ids(store, QUEUE, limit=10_000_000))
    started = time.perf_counter()
    step, changed, steps = {"next_before": 2**63 - 1}, 0, 0
    while step["next_before"] is not None and steps < 10_000:
        step = bulk.bulk_step(store, QUEUE, failed, "retry", before=step["next_before"])
        changed, steps = changed + step["changed"], steps + 1
    seconds = time.perf_counter() - started
    print(f"bulk retry by filter state=permanently_failed: {changed} of {matching} jobs back to READY in "
          f"{seconds:.2f} s ({steps} calls of about 2 s, batches of {bulk.BATCH})")  # fmt: skip
