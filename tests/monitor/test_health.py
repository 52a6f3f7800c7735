"""Each alert of roster_health fires when its condition holds and stays quiet when it does not; the message says
exactly what is wrong. On MariaDB and SQLite."""

from __future__ import annotations

import pytest

from roster.errors import InvalidOptionError
from roster.jobs import State
from roster.monitor.health import (
    Thresholds,
    check_depth,
    check_failure_rate,
    check_oldest_ready,
    check_unconsumed,
    check_warmup,
)
from roster.monitor.overview import QueueOverview
from tests.monitor.conftest import put

URGENT, GENERAL = 5, 50  # priorities: the urgent lane (0-9) and, like every job, the general lane (0-)


def test_depth_fires_above_the_threshold(jobs_engine):
    put(jobs_engine, priority=GENERAL, state=State.READY, count=6)
    assert check_depth(QueueOverview(jobs_engine), Thresholds(depth=5)) == [
        "lane roster_jobs_all: 6 jobs ready, above the threshold of 5 (ROSTER_ALERT_DEPTH)"
    ]


def test_depth_is_quiet_at_the_threshold(jobs_engine):
    put(jobs_engine, priority=GENERAL, state=State.READY, count=5)
    put(jobs_engine, priority=GENERAL, state=State.WAITING, count=5)  # not ready: not depth
    assert check_depth(QueueOverview(jobs_engine), Thresholds(depth=5)) == []


def test_failure_rate_fires_above_the_threshold(jobs_engine):
    put(jobs_engine, priority=GENERAL, state=State.FINISHED, count=18, claimed_minutes_ago=2, finished=True)
    put(jobs_engine, priority=GENERAL, state=State.TEMPORARILY_FAILED, count=1, claimed_minutes_ago=2)
    put(jobs_engine, priority=GENERAL, state=State.PERMANENTLY_FAILED, count=1, claimed_minutes_ago=2)
    limits = Thresholds(failure_rate=0.1, failure_min_jobs=10)
    assert check_failure_rate(QueueOverview(jobs_engine), limits) == []  # 2 of 20: at the threshold
    put(jobs_engine, priority=GENERAL, state=State.PERMANENTLY_FAILED, count=1, claimed_minutes_ago=3)
    assert check_failure_rate(QueueOverview(jobs_engine), limits) == [
        "queue default: 3 of 21 jobs attempted in the last 15 minutes failed (14%), above 10% (ROSTER_ALERT_FAILURE_RATE)"
    ]


def test_failure_rate_is_quiet_outside_the_window_and_below_the_minimum(jobs_engine):
    put(jobs_engine, priority=GENERAL, state=State.PERMANENTLY_FAILED, count=30, claimed_minutes_ago=20)
    put(jobs_engine, priority=GENERAL, state=State.PERMANENTLY_FAILED, count=3, claimed_minutes_ago=1)
    assert check_failure_rate(QueueOverview(jobs_engine), Thresholds(failure_window_minutes=15, failure_min_jobs=5)) == []


def test_no_consumer_fires_when_ready_jobs_wait_and_nobody_claims(jobs_engine):
    put(jobs_engine, priority=URGENT, state=State.READY, count=2, due_minutes_ago=7)
    put(jobs_engine, priority=GENERAL, state=State.FINISHED, claimed_minutes_ago=1, finished=True)
    # The general lane has a recent claim (a consumer runs); the urgent lane never had one.
    assert check_unconsumed(QueueOverview(jobs_engine), Thresholds(no_consumer_minutes=5)) == [
        "lane roster_jobs_urgent: 2 jobs ready but no consumer: last claim none in the last 30 minutes, threshold 5 "
        "minutes "
        "(ROSTER_ALERT_NO_CONSUMER_MINUTES); is roster_job_queue paused?"
    ]
    from roster.jobs import JobQueue, pause

    pause.pause(JobQueue(jobs_engine).store, "roster_jobs_urgent")  # paused on purpose: not a worker down
    assert check_unconsumed(QueueOverview(jobs_engine), Thresholds(no_consumer_minutes=5)) == []


def test_no_consumer_is_quiet_while_a_consumer_works_or_jobs_are_fresh(jobs_engine):
    put(jobs_engine, priority=URGENT, state=State.READY, count=2, due_minutes_ago=1)  # due for 1 minute only
    put(jobs_engine, priority=GENERAL, state=State.READY, count=2, due_minutes_ago=9)
    put(jobs_engine, priority=GENERAL, state=State.PROCESSING, claimed_minutes_ago=8)  # someone is on the lane
    assert check_unconsumed(QueueOverview(jobs_engine), Thresholds(no_consumer_minutes=5)) == []


def test_oldest_ready_fires_past_its_age(jobs_engine):
    put(jobs_engine, priority=GENERAL, state=State.READY, due_minutes_ago=21)
    problems = check_oldest_ready(QueueOverview(jobs_engine), Thresholds(oldest_ready_minutes=20))
    assert len(problems) == 1 and problems[0].startswith("lane roster_jobs_all: the oldest ready job has waited 21.")
    assert problems[0].endswith("minutes, above 20 minutes (ROSTER_ALERT_OLDEST_READY_MINUTES)")


def test_oldest_ready_is_quiet_for_young_or_delayed_jobs(jobs_engine):
    put(jobs_engine, priority=GENERAL, state=State.READY, due_minutes_ago=19)
    put(jobs_engine, priority=GENERAL, state=State.READY, due_minutes_ago=-60)  # published with a delay
    put(jobs_engine, priority=GENERAL, state=State.WAITING, due_minutes_ago=90)
    assert check_oldest_ready(QueueOverview(jobs_engine), Thresholds(oldest_ready_minutes=20)) == []


def test_warmup_fires_for_a_failed_or_empty_run_and_is_quiet_otherwise():
    assert check_warmup({"run_id": "r1", "failed": True, "error": "shard(s) [2] failed"}) == [
        "roster_user_cache_warmup run r1 failed: shard(s) [2] failed"
    ]
    assert check_warmup({"run_id": "r2", "failed": False, "users_warmed": 0}) == [
        "roster_user_cache_warmup run r2 warmed nothing (0 users warmed, 0 published)"
    ]
    assert check_warmup(None) == ["roster_user_cache_warmup has not recorded a finished run yet"]
    assert check_warmup({"run_id": "r3", "failed": False, "users_warmed": 10}) == []
    assert check_warmup({"run_id": "r4", "failed": False, "users_warmed": 0, "users_published": 10}) == []


def test_thresholds_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("ROSTER_ALERT_DEPTH", "50")
    monkeypatch.setenv("ROSTER_ALERT_FAILURE_RATE", "0.25")
    assert Thresholds.from_env() == Thresholds(depth=50, failure_rate=0.25)
    monkeypatch.setenv("ROSTER_ALERT_FAILURE_RATE", "lots")
    with pytest.raises(InvalidOptionError, match="ROSTER_ALERT_FAILURE_RATE='lots' must be a number"):
        Thresholds.from_env()


def test_memory_fires_for_a_job_run_in_a_process_above_the_threshold(jobs_engine):
    from sqlalchemy import text

    from roster.monitor.health import check_memory

    small, big = put(jobs_engine, priority=GENERAL, state=State.FINISHED, count=2, claimed_minutes_ago=2, finished=True)
    put(jobs_engine, priority=GENERAL, state=State.FINISHED, claimed_minutes_ago=60, finished=True)  # out of the window
    with jobs_engine.begin() as conn:
        for job, kb in ((small, 200 * 1024), (big, 700 * 1024)):
            conn.execute(text("UPDATE background_job SET memory = :m WHERE id = :id"),
                         {"m": f'{{"peak_rss_kb_before": 1, "peak_rss_kb": {kb}}}', "id": job})  # fmt: skip
        conn.execute(text("UPDATE background_job SET memory = '{\"peak_rss_kb\": 9999999}' WHERE memory IS NULL"))
    assert check_memory(QueueOverview(jobs_engine), Thresholds()) == [
        f"queue default: 1 job(s) attempted in the last 15 minutes ran in a consumer above 512 MB resident, the most "
        f"700 MB (job {big}) (ROSTER_ALERT_MEMORY_MB)"
    ]
    assert check_memory(QueueOverview(jobs_engine), Thresholds(memory_mb=1024)) == []


def test_the_pages_alerts_say_since_when_they_fire(jobs_engine):
    from datetime import datetime

    from roster.jobs import JobQueue
    from roster.monitor.alerts import alerts, record

    put(jobs_engine, priority=GENERAL, state=State.READY, count=6)
    store = JobQueue(jobs_engine).store
    first = alerts(QueueOverview(jobs_engine), Thresholds(depth=5))
    assert [(a["check"], a["firing"], a["seen_by_health_check"]) for a in first] == [
        ("no_consumer", False, False), ("depth", True, False), ("failure_rate", False, False), ("memory", False, False)]
    since = record(store, "depth", first[1]["problems"], datetime(2026, 12, 7, 6, 0))
    assert record(store, "depth", first[1]["problems"]) == since  # still firing: the first since-when stays
    again = alerts(QueueOverview(jobs_engine), Thresholds(depth=5))[1]
    assert again["since"] == "2026-12-07T06:00:00+00:00" and again["seen_by_health_check"] is True
    assert record(store, "depth", []) is None
    assert alerts(QueueOverview(jobs_engine), Thresholds(depth=5))[1]["seen_by_health_check"] is False
