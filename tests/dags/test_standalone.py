"""Under a real scheduler (``scripts/standalone.sh``, LocalExecutor), where ``dag.test()`` cannot tell.

1. A lane's pool bounds its consumers. roster_job_queue maps one consumer per slot that roster/pools.json gives the
   general lane (3); the pool in Airflow is then set to 1 slot, so 3 consumers are mapped but only 1 may run at a
   time. If the scheduler ignored the pool, 3 would drain the lane together and the jobs would overlap; the same
   run with 3 slots shows that they do.
2. A consumer task killed with SIGKILL mid-job loses nothing: roster_job_maintenance rescues its job once the lease
   has expired, and the job then finishes, once.

One Airflow serves both (starting one takes most of a minute). roster_job_maintenance stays paused except in the
second test: the lease is short (5 s) for that test's sake, and a consumer of the first test that gets no CPU for 3
seconds on a loaded machine misses its renewals; the rescuer would then hand its jobs to another consumer while it
still runs them, and they would run twice (at-least-once, as designed), which the first test, counting runs, must
not see.
"""

from __future__ import annotations

import os
import signal
import time

import pytest
from sqlalchemy import text

from conftest import MARIADB_URL, ROOT, TEST_DATABASE
from roster.jobs import JobQueue, State
from tests.jobs.conftest import reset, runs, states
from tests.standalone import StandaloneAirflow

pytestmark = pytest.mark.slow

JOBS = 30
SLEEP = 0.5  # 15 s of work in all: room for 3 consumers to overlap when the pool lets them
DAG_ID = "roster_job_queue"
LEASE_SECONDS = 5  # short, so the killed consumer's job is rescued soon; live consumers renew theirs


def max_overlap(intervals: list[tuple[float, float]]) -> int:
    """The most intervals (started, finished) open at the same instant."""
    events = sorted([(s, 1) for s, _ in intervals] + [(f, -1) for _, f in intervals])
    running = peak = 0
    for _, step in events:
        running += step
        peak = max(peak, running)
    return peak


def _wait_for_quiet(airflow: StandaloneAirflow, timeout: float = 120) -> None:
    """No run of the DAG active, and not about to be: the next scheduled run (every minute) is >20 s away."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        active = [r for r in airflow.runs(DAG_ID) if r["state"] in ("queued", "running")]
        if not active and 5 <= time.gmtime().tm_sec <= 35:
            return
        time.sleep(1)
    raise TimeoutError(f"{DAG_ID} still has active runs after {timeout} s")


def _drain_with_pool_slots(airflow: StandaloneAirflow, engine, slots: int) -> tuple[int, set[str]]:
    """Publish JOBS general-lane jobs, trigger a run with the lane's pool at ``slots``; the peak overlap of job
    executions and the workers (consumer task instances, with their run ids) that ran them."""
    _wait_for_quiet(airflow)
    airflow.cli("pools", "set", "roster_jobs_all", str(slots), "general lane (test)")
    reset(engine)
    queue = JobQueue(engine)
    with queue.bulk():
        for i in range(JOBS):
            queue.publish("record", {"key": f"s{slots}-{i}", "sleep": SLEEP}, priority=50)
    airflow.cli("dags", "trigger", DAG_ID)
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline and set(states(engine).values()) != {State.FINISHED}:
        time.sleep(1)
    assert set(states(engine).values()) == {State.FINISHED}, airflow.log_tail()
    done = runs(engine)
    keys = [r[0] for r in done]
    # Each job ran, and ran once (a second attempt means its lease lapsed and something rescued it).
    twice = sorted(key for key in set(keys) if keys.count(key) > 1)
    assert len(done) == JOBS and len(set(keys)) == JOBS, f"ran twice: {twice}; attempted twice: {_retried(engine)}"
    with engine.connect() as conn:
        workers = {w for (w,) in conn.execute(text("SELECT DISTINCT worker FROM background_job"))}
    return max_overlap([(r[2], r[3]) for r in done]), workers


def _retried(engine) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(text("SELECT id, number_of_attempts, worker, error_message FROM background_job "
                                 "WHERE number_of_attempts > 1")).fetchall()  # fmt: skip


def _consumer_states(airflow: StandaloneAirflow, run_id: str) -> dict[int, str]:
    """map_index → state of the general lane's consumers in one run."""
    tis = airflow.cli_json("tasks", "states-for-dag-run", DAG_ID, run_id, "-o", "json")
    return {int(ti["map_index"]): ti["state"] for ti in tis if ti["task_id"] == "consume_roster_jobs_all"}


@pytest.fixture(scope="module")
def airflow(mariadb_engine, tmp_path_factory):
    env = {
        "AIRFLOW_CONN_ROSTER_DB": f"{MARIADB_URL}/{TEST_DATABASE}",
        "AIRFLOW_CONN_ROSTER_REDIS": os.environ["AIRFLOW_CONN_ROSTER_REDIS"],
        "AIRFLOW_CONN_ROSTER_SQS": "aws://testing:testing@/?region_name=us-east-1",  # no broker: the table is polled
        "ROSTER_JOB_MODULES": "tests.jobs.callbacks",
        "ROSTER_JOB_LEASE_SECONDS": str(LEASE_SECONDS),
        "ROSTER_TEST_RUNS_URL": f"{MARIADB_URL}/{TEST_DATABASE}",
        "PYTHONPATH": str(ROOT),
    }
    reset(mariadb_engine)
    JobQueue(mariadb_engine).update_schema()
    home = tmp_path_factory.mktemp("standalone")
    with StandaloneAirflow(home, env=env, unpause=DAG_ID) as running:
        yield running


def test_a_lanes_pool_bounds_its_concurrent_consumers(airflow, mariadb_engine):
    bounded, bounded_workers = _drain_with_pool_slots(airflow, mariadb_engine, slots=1)
    free, free_workers = _drain_with_pool_slots(airflow, mariadb_engine, slots=3)
    bounded_run = next(iter(bounded_workers)).split(" ")[1]
    consumers = _consumer_states(airflow, bounded_run)
    print(f"peak concurrent jobs: 1 slot {bounded} ({len(bounded_workers)} worker(s)), "
          f"3 slots {free} ({len(free_workers)} worker(s))")  # fmt: skip

    # The run that drained the lane under 1 slot had 3 consumers of the general lane mapped, and all succeeded.
    assert consumers == {0: "success", 1: "success", 2: "success"}, consumers
    # 1 slot: never two jobs of the lane at once, though 3 consumers were mapped in the run.
    assert bounded == 1, f"1 slot, yet {bounded} jobs ran at once (workers: {sorted(bounded_workers)})"
    # 3 slots, same DAG, same jobs: the consumers overlap, so the 1-slot result is the pool's doing.
    assert free >= 2, f"3 slots, yet jobs never overlapped (workers: {sorted(free_workers)})"
    assert len(free_workers) >= 2


def _job_row(engine, job_id: int):
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT state, pid, worker, number_of_attempts, error_message FROM background_job WHERE id = :id"),
            {"id": job_id},
        ).one()


def test_a_consumer_task_killed_mid_job_loses_nothing(airflow, mariadb_engine):
    _wait_for_quiet(airflow)
    airflow.cli("pools", "set", "roster_jobs_all", "3", "general lane (test)")
    reset(mariadb_engine)
    job_id = JobQueue(mariadb_engine).publish("record", {"key": "killed", "sleep": 8}, priority=50)
    airflow.cli("dags", "trigger", DAG_ID)

    airflow.wait_until(lambda: _job_row(mariadb_engine, job_id).state == State.PROCESSING, 120, "job claimed")
    claimed = _job_row(mariadb_engine, job_id)
    os.kill(claimed.pid, signal.SIGKILL)  # the consumer task's own process, mid-job (the job sleeps 8 s)
    time.sleep(LEASE_SECONDS + 1)
    assert _job_row(mariadb_engine, job_id).state == State.PROCESSING  # nobody renews the dead consumer's lease

    airflow.cli("dags", "unpause", "roster_job_maintenance")  # paused for the other test (see the docstring)
    try:
        airflow.cli("dags", "trigger", "roster_job_maintenance")
        airflow.wait_until(lambda: _job_row(mariadb_engine, job_id).state == State.FINISHED, 180, "job finished")
    finally:
        airflow.cli("dags", "pause", "roster_job_maintenance")

    finished = _job_row(mariadb_engine, job_id)
    assert finished.number_of_attempts == 2 and finished.pid != claimed.pid and finished.worker != claimed.worker
    # Only the second attempt reached the end of the job: nothing ran it twice to completion.
    assert [r[0] for r in runs(mariadb_engine)] == ["killed"]
