"""Flow control under many consumers (separate processes, MariaDB and SQLite): concurrency per key and rate limits
hold at every moment, and no job waiting for its limit fails or uses an attempt."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from roster.jobs import JobQueue, State

from tests.dags.test_standalone import max_overlap

from .conftest import runs, states
from .test_concurrency import _url, _wait

pytestmark = pytest.mark.slow


def _consumers(engine, count: int, idle_wait: float) -> list[subprocess.Popen]:
    """Consumer processes of every lane that watch an empty lane ``idle_wait`` s (jobs waiting for a limit)."""
    args = [_url(engine), "30", "-", str(idle_wait)]
    return [subprocess.Popen([sys.executable, "-m", "tests.jobs.consumer", *args], stdout=subprocess.PIPE, text=True)
            for _ in range(count)]  # fmt: skip


def _sample_processing(engine, stop: threading.Event, seen: list[Counter]) -> None:
    """Every 50 ms (bounded by ``stop`` and 300 s): PROCESSING jobs per concurrency key."""
    deadline = time.monotonic() + 300
    with engine.connect() as conn:
        while not stop.is_set() and time.monotonic() < deadline:
            rows = conn.execute(text("SELECT concurrency_key, COUNT(*) FROM background_job WHERE state = 2 "
                                     "GROUP BY concurrency_key")).all()  # fmt: skip
            conn.commit()  # a fresh snapshot next time (MariaDB's REPEATABLE READ)
            seen.append(Counter(dict(rows)))
            stop.wait(0.05)


@pytest.mark.parametrize("jobs, keys", [(2000, 20)])
def test_concurrency_three_per_key_across_four_consumers(engine, jobs, keys):
    queue = JobQueue(engine)
    with queue.bulk():
        for i in range(jobs):
            queue.publish("limited", {"key": f"k{i % keys}-{i}", "sleep": 0.002}, concurrency_key=f"tenant-{i % keys}")
    stop, seen = threading.Event(), []
    sampler = threading.Thread(target=_sample_processing, args=(engine, stop, seen))
    sampler.start()
    try:
        summaries = _wait(_consumers(engine, 4, 1.0))
    finally:
        stop.set()
        sampler.join(10)

    assert len(seen) > 20, "the sampler ran through the run"
    peak = max(max(sample.values(), default=0) for sample in seen)
    assert peak <= 3, [sample for sample in seen if max(sample.values(), default=0) > 3][:3]
    assert peak == 3, "the limit was reached, so it was what held them back"
    per_key: dict[str, list[tuple[float, float]]] = {}
    for run_key, _, started, finished in runs(engine):
        per_key.setdefault(run_key.split("-")[0], []).append((started, finished))
    assert max(max_overlap(intervals) for intervals in per_key.values()) <= 3  # the callbacks' own clocks agree
    keys_run = [r[0] for r in runs(engine)]
    assert len(keys_run) == jobs and len(set(keys_run)) == jobs  # every job ran, once
    assert set(states(engine).values()) == {State.FINISHED}
    assert sum(s["finished"] for s in summaries) == jobs
    with engine.connect() as conn:
        assert conn.execute(text("SELECT MAX(number_of_attempts) FROM background_job")).scalar_one() == 1


def test_rate_limit_holds_in_every_window_across_four_consumers(engine):
    """``rate="20/2s"``: no 2 s window holds more than 20 starts (claims), the statement of "100/min" scaled down;
    jobs over the limit wait, none fails or uses an attempt for it."""
    queue = JobQueue(engine)
    with queue.bulk():
        for i in range(90):
            queue.publish("rated", {"key": f"r{i}"})
    started = time.monotonic()
    summaries = _wait(_consumers(engine, 4, 3.0))
    elapsed = time.monotonic() - started

    with engine.connect() as conn:
        rows = conn.execute(text("SELECT last_attempt_at, number_of_attempts, state FROM background_job")).all()
    starts = sorted(datetime.fromisoformat(r[0]) if isinstance(r[0], str) else r[0] for r in rows)
    worst = max(sum(1 for t in starts if s <= t < s + timedelta(seconds=2)) for s in starts)
    assert worst <= 20, worst
    assert worst == 20, "windows were full: the limit, not the consumers' speed, set the pace"
    assert {r[2] for r in rows} == {State.FINISHED} and {r[1] for r in rows} == {1}
    assert sum(s["finished"] for s in summaries) == 90
    assert elapsed >= 7.5  # 90 starts at 20 per 2 s need at least 4 full windows after the first
    assert len({r[0] for r in runs(engine)}) == 90


def test_a_limited_job_waits_ready_and_another_key_passes_it(engine):
    """In one consumer: a key at its limit holds its jobs back (READY, no attempt), the next key's run meanwhile."""
    queue = JobQueue(engine)
    held = [queue.publish("limited", {"key": f"a{i}"}, concurrency_key="a", concurrency=1, priority=1)
            for i in range(3)]  # fmt: skip
    other = queue.publish("limited", {"key": "b0"}, concurrency_key="b", priority=5)

    claimed = queue.claim(batch=10)

    assert [job.id for job in claimed] == [held[0], other]
    assert {job_id: state for job_id, state in states(engine).items() if job_id in held[1:]} == {
        held[1]: State.READY, held[2]: State.READY}
    assert queue.claim(batch=10) == []  # nothing to claim while a0 runs
    assert queue.ready_count() == 2  # counted as ready by the sensor's read; see waiting_for_limit for the split


def test_a_claim_spends_a_rate_window_only_on_the_jobs_it_takes(engine):
    queue = JobQueue(engine)
    for i in range(25):
        queue.publish("rated", {"key": f"w{i}"})  # 20 per 2 s

    assert len(queue.claim(batch=5)) == 5
    assert queue.ready_count() == 20  # none deferred: the window has 15 more starts, for the next claims
    assert len(queue.claim(batch=30)) == 15
    assert queue.ready_count() == 0  # the last 5 wait for the window, deferred
    assert sorted(states(engine).values()).count(State.READY) == 5
