"""The health checks behind roster's alerts (seed 004's list). Each returns the problems it found, one sentence
each, saying exactly what is wrong; an empty list means healthy. The roster_health DAG fails a task per check
that found something, so Airflow's notifiers deliver the sentence.

Thresholds come from the environment (:meth:`Thresholds.from_env`), read when a check runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from roster.monitor.overview import LAST_CLAIM_WINDOW, QueueOverview, utcnow
from roster.settings import number_env


@dataclass(frozen=True)
class Thresholds:
    """When an alert fires (environment variable, default)."""

    depth: int = 500  # ROSTER_ALERT_DEPTH: jobs READY in a lane
    failure_rate: float = 0.10  # ROSTER_ALERT_FAILURE_RATE: failed / attempted over the window
    failure_window_minutes: float = 15  # ROSTER_ALERT_FAILURE_WINDOW_MINUTES
    failure_min_jobs: int = 20  # ROSTER_ALERT_FAILURE_MIN_JOBS: fewer attempts say nothing about a rate
    no_consumer_minutes: float = 5  # ROSTER_ALERT_NO_CONSUMER_MINUTES
    oldest_ready_minutes: float = 15  # ROSTER_ALERT_OLDEST_READY_MINUTES
    memory_mb: float = 512  # ROSTER_ALERT_MEMORY_MB: a job's consumer process peaked above this (resident)

    @classmethod
    def from_env(cls) -> Thresholds:
        return cls(
            depth=int(number_env("ROSTER_ALERT_DEPTH", cls.depth, low=1)),
            failure_rate=number_env("ROSTER_ALERT_FAILURE_RATE", cls.failure_rate, high=1.0),
            failure_window_minutes=number_env("ROSTER_ALERT_FAILURE_WINDOW_MINUTES", cls.failure_window_minutes, low=1),
            failure_min_jobs=int(number_env("ROSTER_ALERT_FAILURE_MIN_JOBS", cls.failure_min_jobs, low=1)),
            no_consumer_minutes=number_env("ROSTER_ALERT_NO_CONSUMER_MINUTES", cls.no_consumer_minutes, low=0),
            oldest_ready_minutes=number_env("ROSTER_ALERT_OLDEST_READY_MINUTES", cls.oldest_ready_minutes, low=0),
            memory_mb=number_env("ROSTER_ALERT_MEMORY_MB", cls.memory_mb, low=1),
        )


def check_depth(overview: QueueOverview, limits: Thresholds) -> list[str]:
    return [
        f"lane {name}: {lane.counts['ready']} jobs ready, above the threshold of {limits.depth} (ROSTER_ALERT_DEPTH)"
        for name, lane in overview.lanes().items()
        if lane.counts["ready"] > limits.depth
    ]


def check_failure_rate(overview: QueueOverview, limits: Thresholds, now: datetime | None = None) -> list[str]:
    now = now or utcnow()
    outcomes = overview.outcomes_since(now - timedelta(minutes=limits.failure_window_minutes))
    failed = outcomes["temporarily_failed"] + outcomes["permanently_failed"]
    attempted = failed + outcomes["finished"]
    if attempted < limits.failure_min_jobs or failed / attempted <= limits.failure_rate:
        return []
    return [
        f"queue {overview.queue}: {failed} of {attempted} jobs attempted in the last "
        f"{limits.failure_window_minutes:g} minutes failed ({failed / attempted:.0%}), above "
        f"{limits.failure_rate:.0%} (ROSTER_ALERT_FAILURE_RATE)"
    ]


def check_unconsumed(overview: QueueOverview, limits: Thresholds, now: datetime | None = None) -> list[str]:
    """Lanes with jobs due for longer than the limit that nobody has claimed from for that long; a paused lane is
    not claimed from on purpose (roster jobs pause), so it is not reported."""
    from roster.jobs.pause import paused_lanes

    now = now or utcnow()
    limit = timedelta(minutes=limits.no_consumer_minutes)
    problems = []
    paused = paused_lanes(overview.store)
    for name, lane in overview.lanes(now).items():
        waited = lane.oldest_ready_age_seconds
        if not waited or waited < limit.total_seconds() or lane.counts["processing"] or name in paused:
            continue
        if lane.last_claim_at is not None and now - lane.last_claim_at < limit:
            continue
        since = (f"none in the last {LAST_CLAIM_WINDOW.total_seconds() / 60:.0f} minutes" if lane.last_claim_at is None
                 else f"{(now - lane.last_claim_at).total_seconds() / 60:.0f} minutes ago")  # fmt: skip
        problems.append(
            f"lane {name}: {lane.counts['ready']} jobs ready but no consumer: last claim {since}, threshold "
            f"{limits.no_consumer_minutes:g} minutes (ROSTER_ALERT_NO_CONSUMER_MINUTES); is roster_job_queue paused?"
        )
    return problems


def check_oldest_ready(overview: QueueOverview, limits: Thresholds) -> list[str]:
    return [
        f"lane {name}: the oldest ready job has waited {lane.oldest_ready_age_seconds / 60:.1f} minutes, above "
        f"{limits.oldest_ready_minutes:g} minutes (ROSTER_ALERT_OLDEST_READY_MINUTES)"
        for name, lane in overview.lanes().items()
        if lane.oldest_ready_age_seconds is not None and lane.oldest_ready_age_seconds > limits.oldest_ready_minutes * 60
    ]


def check_memory(overview: QueueOverview, limits: Thresholds, now: datetime | None = None) -> list[str]:
    """Jobs attempted in the failure window whose consumer process peaked above the memory threshold."""
    now = now or utcnow()
    peaks = overview.memory_peaks(now - timedelta(minutes=limits.failure_window_minutes))
    over = {job: kb for job, kb in peaks.items() if kb > limits.memory_mb * 1024}
    if not over:
        return []
    worst = max(over, key=over.get)
    return [
        f"queue {overview.queue}: {len(over)} job(s) attempted in the last {limits.failure_window_minutes:g} minutes "
        f"ran in a consumer above {limits.memory_mb:g} MB resident, the most {over[worst] / 1024:.0f} MB (job {worst})"
        " (ROSTER_ALERT_MEMORY_MB)"
    ]


def check_warmup(last_run: dict[str, Any] | None) -> list[str]:
    """The last roster_user_cache_warmup run as its summary recorded it (see roster.warmup.record)."""
    if last_run is None:
        return ["roster_user_cache_warmup has not recorded a finished run yet"]
    where = f"roster_user_cache_warmup run {last_run.get('run_id')}"
    if last_run.get("failed"):
        return [f"{where} failed: {last_run.get('error') or 'see its summary task log'}"]
    if not last_run.get("users_warmed") and not last_run.get("users_published"):
        return [f"{where} warmed nothing (0 users warmed, 0 published)"]
    return []


QUEUE_CHECKS = {
    "depth": check_depth,
    "failure_rate": check_failure_rate,
    "no_consumer": check_unconsumed,
    "oldest_ready": check_oldest_ready,
    "memory": check_memory,
}
