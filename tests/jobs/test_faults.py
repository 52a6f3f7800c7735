"""Faults on a private MariaDB of this test (never the shared one): consumers ride through a database restart."""

from __future__ import annotations

import collections
import os
import time

import pytest
from sqlalchemy import create_engine, text

from roster.jobs import JobQueue, State

from .test_concurrency import _consumers, _wait

pytestmark = pytest.mark.slow


@pytest.fixture
def private_mariadb(tmp_path_factory):
    from tests.mariadb_server import PrivateMariaDB

    server = PrivateMariaDB(tmp_path_factory.mktemp("mariadb")).install()
    server.start()
    yield server
    server.remove()


def _lines(path) -> list[list[str]]:
    return [line.split() for line in path.read_text().splitlines()] if path.exists() else []


def _wait_for_runs(path, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len(_lines(path)) < count and time.monotonic() < deadline:
        time.sleep(0.05)


def test_consumers_ride_through_a_database_restart(private_mariadb, tmp_path, monkeypatch):
    runs_file = tmp_path / "runs.txt"
    monkeypatch.setenv("ROSTER_TEST_RUNS_FILE", str(runs_file))
    engine = create_engine(private_mariadb.url)
    queue = JobQueue(engine)
    with queue.bulk():
        for i in range(2000):
            queue.publish("record_file", {"key": f"k{i}", "sleep": 0.004})
    consumers = _consumers(engine, 4, lease=5)
    _wait_for_runs(runs_file, 400)

    private_mariadb.stop()
    down_at = time.monotonic()
    time.sleep(1.0)
    private_mariadb.start()
    back_at, done_at_restart = time.monotonic(), len(_lines(runs_file))
    _wait_for_runs(runs_file, done_at_restart + 40)
    print(f"\ndatabase down {back_at - down_at:.2f} s; consumers back at work {time.monotonic() - back_at:.2f} s "
          f"after it answered")  # fmt: skip

    summaries = _wait(consumers)  # each exited 0: none died with the database
    engine.dispose()
    final = _states(engine)
    if State.PROCESSING in final.values():  # a claim committed as the server went down: rescued after its lease
        time.sleep(6)
        queue.rescue_expired()
        queue.process()
        final = _states(engine)
    per_key = collections.Counter(line[0] for line in _lines(runs_file))
    assert set(final.values()) == {State.FINISHED} and len(final) == 2000
    assert len(per_key) == 2000  # none lost
    assert sum(n - 1 for n in per_key.values()) <= 4, per_key.most_common(5)  # re-runs: at most a job per consumer
    assert sum(s["finished"] for s in summaries) >= 1990, summaries


def _states(engine) -> dict[int, int]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT id, state FROM background_job")).fetchall())


@pytest.mark.parametrize("sleep", [0.0, 0.003, 0.03])
def test_a_killed_consumer_re_runs_at_most_its_last_100_ms_or_5_jobs(maria, tmp_path, monkeypatch, sleep):
    """SIGKILL a consumer mid-drain: the jobs that ran but are not recorded FINISHED (they run again once their lease
    expires) are at most the job in hand plus those finished in the last 100 ms before the kill, or 5 (the test
    allows 150 ms: the recorder thread shares two cores with the whole suite)."""
    import signal

    runs_file = tmp_path / "runs.txt"
    monkeypatch.setenv("ROSTER_TEST_RUNS_FILE", str(runs_file))
    queue = JobQueue(maria)
    with queue.bulk() as ids:
        for i in range(3000):
            queue.publish("record_file", {"key": str(i), "sleep": sleep})
    (victim,) = _consumers(maria, 1)
    _wait_for_runs(runs_file, 150 if sleep < 0.01 else 40)
    os.kill(victim.pid, signal.SIGKILL)
    killed_at = time.time()
    victim.wait(timeout=10)

    ran = {ids[int(line[0])]: float(line[3]) for line in _lines(runs_file)}
    final = _states(maria)
    unrecorded = [job_id for job_id in ran if final[job_id] == State.PROCESSING]
    recent = sum(1 for finished in ran.values() if finished >= killed_at - 0.15)
    print(f"\njobs of {sleep * 1000:.0f} ms: {len(ran)} ran, {len(unrecorded)} ran but unrecorded (would run again), "
          f"{recent} finished in the last 150 ms, "
          f"{sum(1 for finished in ran.values() if finished >= killed_at - 0.1)} in the last 100 ms")  # fmt: skip
    assert len(unrecorded) <= 1 + max(5, recent), (len(unrecorded), recent)
    assert all(final[job_id] == State.FINISHED for job_id in ran if job_id not in unrecorded)
