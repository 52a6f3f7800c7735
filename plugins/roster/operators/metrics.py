"""roster's metrics, sent through Airflow's ``Stats`` (StatsD or OpenTelemetry, as the deployment configures
``[metrics]``). Every name starts with ``roster.``; docs/operations.md lists them with their tags.

The operators call these with what the domain returns (a consumer run's summary, a warmup summary, the queue
overview); per-job latency comes from a listener the queue calls before each job (``JobQueue.listen``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from airflow.sdk.observability.stats import Stats

if TYPE_CHECKING:
    from roster.jobs import Job, JobQueue
    from roster.monitor.overview import QueueOverview

log = logging.getLogger("roster.operators")

# Consumer summary key -> counter (tag lane).
JOB_COUNTERS = {
    "finished": "roster.jobs.finished",
    "permanently_failed": "roster.jobs.failed",
    "temporarily_failed": "roster.jobs.retried",
    "superseded": "roster.jobs.superseded",
}


def job_counts(summary: dict[str, Any], lane: str) -> None:
    """Counters of one consumer run: finished, failed for good, failed and to be retried, outcomes superseded."""
    for key, name in JOB_COUNTERS.items():
        if key in summary:  # zero too: a counter that exists shows a flat line, not a gap
            Stats.incr(name, count=int(summary[key]), tags={"lane": lane})


def rescued(counts: dict[str, int], queue: str) -> None:
    """The rescuer's counts: jobs whose lease expired, back to READY (rescued) or failed for good."""
    if counts.get("rescued"):
        Stats.incr("roster.jobs.rescued", count=int(counts["rescued"]), tags={"queue": queue})
    if counts.get("failed"):
        Stats.incr("roster.jobs.failed", count=int(counts["failed"]), tags={"lane": "rescuer"})


def queue_gauges(overview: QueueOverview) -> dict[str, Any]:
    """Depth per lane and state, and each lane's oldest ready job age; returns what it sent."""
    sent: dict[str, Any] = {}
    for name, lane in overview.lanes().items():
        for state, count in lane.counts.items():
            Stats.gauge("roster.jobs.depth", count, tags={"lane": name, "state": state})
        age = lane.oldest_ready_age_seconds or 0.0
        Stats.gauge("roster.jobs.oldest_ready_age_seconds", age, tags={"lane": name})
        sent[name] = {**lane.counts, "oldest_ready_age_seconds": age}
    return sent


def warmup_summary(summary: dict[str, Any]) -> None:
    """A warmup run's totals: users warmed and failed (counters), users/s (gauge), duration (timer)."""
    Stats.incr("roster.warmup.users_warmed", count=int(summary.get("users_warmed", 0)))
    Stats.incr("roster.warmup.users_failed", count=int(summary.get("users_failed", 0)))
    Stats.gauge("roster.warmup.users_per_second", float(summary.get("users_per_second", 0.0)))
    Stats.timing("roster.warmup.duration", timedelta(seconds=float(summary.get("seconds", 0.0))))


class StartLatency:
    """Publish -> start latency of the jobs a consumer runs: the wall-clock start of each job is noted by a
    ``before`` listener; after the run one primary-key read per 500 jobs gives when each became
    due, and a timer ``roster.jobs.start_latency`` is sent per job."""

    def __init__(self, lane: str) -> None:
        self.lane = lane
        self.started: dict[int, float] = {}

    def attach(self, queue: JobQueue) -> None:
        queue.listen(before=self.note)

    def note(self, job: Job) -> None:
        self.started[job.id] = time.time()

    def send(self, overview: QueueOverview) -> int:
        due = overview.due_times(list(self.started))
        for job_id, available_at in due.items():
            started = datetime.fromtimestamp(self.started[job_id], timezone.utc).replace(tzinfo=None)
            Stats.timing("roster.jobs.start_latency", max(started - available_at, timedelta(0)), tags={"lane": self.lane})
        return len(due)


@contextmanager
def measured(queue: JobQueue, lane: str) -> Iterator[dict[str, Any]]:
    """Around one or more consumer runs on ``queue``: put the run's summary in the yielded dict (key
    ``summary``); then its counters and each job's start latency go to Stats under the lane's name."""
    from roster.monitor.overview import QueueOverview

    latency = StartLatency(lane)
    latency.attach(queue)
    result: dict[str, Any] = {}
    yield result
    job_counts(result.get("summary") or {}, lane)
    try:
        latency.send(QueueOverview(queue.engine, queue=queue.queue))
    except Exception as exc:  # a metric is not worth failing a run that did its work
        log.warning("start latency of %d job(s) not sent: %s", len(latency.started), exc)
