"""Many consumers and publishers at once, on MariaDB, in separate processes: nothing runs twice, nothing is lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import orjson
import pytest
from sqlalchemy import create_engine, text

from roster.jobs import JobQueue, State

from .conftest import runs, states

pytestmark = pytest.mark.slow


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _consumers(engine, count: int, lease: int = 30, priorities: str | None = None) -> list[subprocess.Popen]:
    args = [_url(engine), str(lease)] + ([priorities] if priorities else [])
    return [
        subprocess.Popen([sys.executable, "-m", "tests.jobs.consumer", *args], stdout=subprocess.PIPE, text=True)
        for _ in range(count)
    ]


def _wait(procs, timeout: float = 180) -> list[dict]:
    out = []
    for proc in procs:
        stdout, _ = proc.communicate(timeout=timeout)
        assert proc.returncode == 0
        out.append(orjson.loads(stdout.strip().splitlines()[-1]))
    return out


def test_four_consumers_run_every_job_exactly_once(maria):
    queue = JobQueue(maria)
    with queue.bulk() as ids:
        for i in range(5000):
            queue.publish("record", {"key": f"k{i}"}, priority=i % 7)

    summaries = _wait(_consumers(maria, 4))

    assert sum(s["finished"] for s in summaries) == 5000
    assert all(s["claimed"] > 0 for s in summaries), summaries  # the work really was shared
    keys = [r[0] for r in runs(maria)]
    assert len(keys) == 5000 and len(set(keys)) == 5000
    assert set(states(maria).values()) == {State.FINISHED}
    assert len(ids) == 5000


def _publish_unique(url: str) -> int:
    return JobQueue(create_engine(url)).publish("record", {"key": "unique"}, identifier="one-and-only", unique=True)


def test_eight_concurrent_publishers_of_one_unique_job(maria):
    JobQueue(maria).update_schema()
    with ProcessPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(_publish_unique, [_url(maria)] * 8))

    assert len(set(ids)) == 8
    by_state = states(maria)
    assert sorted(by_state[i] for i in ids) == [State.READY] + [State.REDUNDANT] * 7
    _wait(_consumers(maria, 2))
    assert [r[0] for r in runs(maria)] == ["unique"]


def test_serial_groups_never_overlap_and_keep_order_with_parallel_consumers(maria):
    queue = JobQueue(maria)
    expected = {}
    with queue.bulk():
        for group in range(4):
            keys = []
            for step in range(6):
                key = f"g{group}-{step}"
                # Mixed priorities: a group runs its most urgent jobs first, then in id order.
                priority = 10 if step in (3, 4) else 50
                queue.publish("record", {"key": key, "sleep": 0.02}, serial_group=f"group-{group}", priority=priority)
                keys.append((priority, step, key))
            expected[group] = [key for _, _, key in sorted(keys)]
        for i in range(20):
            queue.publish("record", {"key": f"free-{i}", "sleep": 0.01})

    _wait(_consumers(maria, 4))

    recorded = runs(maria)
    assert len(recorded) == 44
    for group, order in expected.items():
        group_runs = [r for r in recorded if r[0].startswith(f"g{group}-")]
        assert [r[0] for r in group_runs] == order
        for before, after in zip(group_runs, group_runs[1:]):
            assert before[3] <= after[2], f"{before[0]} and {after[0]} overlapped"


def test_consumer_killed_mid_job_is_rescued_after_its_lease(maria):
    queue = JobQueue(maria, lease_seconds=2)
    slow = queue.publish("record", {"key": "slow", "sleep": 30})
    (victim,) = _consumers(maria, 1, lease=2)
    deadline = time.monotonic() + 30
    while states(maria)[slow] != State.PROCESSING and time.monotonic() < deadline:
        time.sleep(0.1)
    assert states(maria)[slow] == State.PROCESSING
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=10)

    assert queue.rescue_expired() == {"rescued": 0, "failed": 0}  # the lease has not expired yet
    time.sleep(2.5)
    assert queue.rescue_expired() == {"rescued": 1, "failed": 0}
    with maria.begin() as conn:  # the rerun need not take 30 s
        conn.execute(text("UPDATE background_job SET parameters = '{\"key\": \"slow\"}' WHERE id = :id"), {"id": slow})
    queue.process()

    assert states(maria)[slow] == State.FINISHED
    assert [r[0] for r in runs(maria)] == ["slow"]
    with maria.connect() as conn:
        attempts = conn.execute(text("SELECT number_of_attempts FROM background_job WHERE id = :id"), {"id": slow})
        assert attempts.scalar_one() == 2


def test_lease_is_renewed_while_a_long_job_runs(maria):
    queue = JobQueue(maria, lease_seconds=2)
    job_id = queue.publish("record", {"key": "long", "sleep": 5})
    (consumer,) = _consumers(maria, 1, lease=2)
    time.sleep(4)
    assert queue.rescue_expired() == {"rescued": 0, "failed": 0}  # renewed, though older than the lease
    _wait([consumer])
    assert states(maria)[job_id] == State.FINISHED and len(runs(maria)) == 1


def test_sigterm_stops_after_the_current_job(maria):
    queue = JobQueue(maria)
    ids = [queue.publish("record", {"key": f"t{i}", "sleep": 1}) for i in range(5)]
    (consumer,) = _consumers(maria, 1)
    deadline = time.monotonic() + 30
    while not runs(maria) and time.monotonic() < deadline:
        time.sleep(0.1)
    consumer.send_signal(signal.SIGTERM)
    (summary,) = _wait([consumer])
    assert summary["stopped_by"] == "signal"
    done = [i for i in ids if states(maria)[i] == State.FINISHED]
    assert 1 <= len(done) < 5
    assert all(states(maria)[i] in (State.FINISHED, State.READY) for i in ids)


def test_database_connection_lost_mid_drain_loses_nothing(maria):
    from roster.errors import ServiceUnavailableError

    queue = JobQueue(maria, lease_seconds=2)
    ids = [queue.publish("record", {"key": f"d{i}", "sleep": 0.05}) for i in range(40)]
    killed = []

    def kill_consumer_connections(job):
        if len(killed) == 0 and job.parameters["key"] == "d5":
            with maria.connect() as admin:
                for (pid,) in admin.execute(
                    text("SELECT id FROM information_schema.processlist WHERE db = DATABASE() AND id <> CONNECTION_ID()")
                ):
                    admin.execute(text(f"KILL {int(pid)}"))
                    killed.append(pid)

    queue.on_before_process = kill_consumer_connections
    try:
        queue.process(batch=10)
    except ServiceUnavailableError as exc:
        assert "roster_test" in str(exc)
    queue.on_before_process = None
    time.sleep(2.5)
    queue.rescue_expired()  # jobs claimed by a consumer whose connection died
    with maria.begin() as conn:  # a job whose own database call was cut retries after its backoff: skip the wait
        conn.execute(text("UPDATE background_job SET available_at = '2000-01-01' WHERE state = 4"))
    queue.process()
    assert killed
    assert all(states(maria)[i] == State.FINISHED for i in ids)
    keys = [r[0] for r in runs(maria)]
    assert set(keys) == {f"d{i}" for i in range(40)}  # every job ran; at most the unrecorded ones ran twice
