"""Publish → start latency of jobs under a real Airflow: the SQS broker against polling, in the same run.

    .venv/bin/python bench/jobs_latency.py [--jobs 1000] [--rate 20] [--baseline-jobs 200]

Starts ``scripts/standalone.sh`` (airflow standalone: scheduler, LocalExecutor, dag-processor, triggerer,
api-server) in a temporary home, with a moto SQS server, the roster database ``roster_bench`` on the local MariaDB,
and roster_job_queue (every minute) and roster_job_broker (continuous, deferrable SqsSensor) unpaused. Then:

1. baseline, polling: ``--baseline-jobs`` jobs published without the broker, spread evenly over one minute (the
   schedule's interval, so the figure does not hang on where in the minute they land), so only the every-minute
   roster_job_queue runs them;
2. broker: ``--jobs`` jobs published through the broker (their ids sent to SQS after commit), so
   roster_job_broker wakes and runs them.

Jobs are the test callback ``record`` (tests/jobs/callbacks.py), in the broker phase published at ``--rate`` per
second; half in the urgent lane (priority 0-9), half in the general one (10-99). For each phase it waits (at
most --timeout s) until all are FINISHED, then prints publish → start latency (p50, p95, max: the job's claim time
minus its creation time), per lane; checks that every job ran exactly once (job_runs), and that every claim ran
its jobs most urgent first; and prints the ratio of the baseline's p50 to the broker's.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MARIADB = os.environ.get("ROSTER_BENCH_MARIADB", "mysql://root@127.0.0.1:3306")
URL = f"{MARIADB}/roster_bench"
os.environ.setdefault("AIRFLOW_HOME", os.path.join(tempfile.gettempdir(), "roster-bench-airflow"))
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
os.environ["ROSTER_JOB_MODULES"] = "tests.jobs.callbacks"  # record and noop, here and in the Airflow workers

from sqlalchemy import create_engine, text  # noqa: E402

from roster.jobs import JobQueue, State  # noqa: E402
from roster.jobs.broker import SqsBroker  # noqa: E402
from tests.standalone import StandaloneAirflow  # noqa: E402

BASELINE_SPREAD = 60.0  # seconds: roster_job_queue's interval
RUNS_DDL = "CREATE TABLE IF NOT EXISTS job_runs (run_key VARCHAR(64), pid INT, started DOUBLE, finished DOUBLE)"


def percentile(values: list[float], fraction: float) -> float:
    return values[min(len(values) - 1, max(0, round(fraction * len(values)) - 1))]


def publish(queue: JobQueue, prefix: str, count: int, rate: float, rng: random.Random) -> float:
    started = time.monotonic()
    for i in range(count):
        priority = rng.randrange(0, 10) if i % 2 else rng.randrange(10, 100)
        queue.publish("record", {"key": f"{prefix}{i}"}, priority=priority)
        time.sleep(max(0.0, started + (i + 1) / rate - time.monotonic()))
    return time.monotonic() - started


def wait_finished(engine, first_id: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            left = conn.execute(
                text("SELECT COUNT(*) FROM background_job WHERE id >= :first AND state <> :finished"),
                {"first": first_id, "finished": int(State.FINISHED)},
            ).scalar_one()
        if not left:
            return True
        time.sleep(1)
    return False


def report(engine, name: str, prefix: str, first_id: int) -> float:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, priority, worker, last_attempt_at, created_at, state FROM background_job WHERE id >= :f"),
            {"f": first_id},
        ).fetchall()
        runs = conn.execute(
            text("SELECT run_key, started FROM job_runs WHERE run_key LIKE :p"), {"p": prefix + "%"}
        ).fetchall()
    keys = [key for key, _ in runs]
    started_at = {int(key[len(prefix) :]) + first_id: started for key, started in runs}
    out_of_order = 0
    claims: dict[tuple, list] = {}
    for r in rows:
        claims.setdefault((r.worker, r.last_attempt_at), []).append(r)
    for batch in claims.values():  # one claim's jobs ran in (priority, id) order
        ran = sorted(batch, key=lambda r: started_at.get(r.id, 0.0))
        out_of_order += ran != sorted(batch, key=lambda r: (r.priority, r.id))
    finished = sum(1 for r in rows if r.state == State.FINISHED)
    print(f"\n{name}: {len(rows)} jobs, {finished} finished; {len(keys)} runs of {len(set(keys))} distinct jobs; "
          f"{len(claims)} claims, {out_of_order} not run most urgent first")  # fmt: skip
    p50 = 0.0
    for lane, selected in (("all", rows), ("urgent 0-9", [r for r in rows if r.priority < 10]),
                           ("general 10-99", [r for r in rows if r.priority >= 10])):  # fmt: skip
        latencies = sorted((r.last_attempt_at - r.created_at).total_seconds() for r in selected if r.last_attempt_at)
        if not latencies:
            continue
        median = statistics.median(latencies)
        p50 = median if lane == "all" else p50
        print(f"  {lane:>13}: publish -> start p50 {median:6.2f} s, p95 {percentile(latencies, 0.95):6.2f} s, "
              f"max {latencies[-1]:6.2f} s")  # fmt: skip
    workers = sorted({(r.worker or "?").split(".")[0] for r in rows})
    print(f"  run by: {', '.join(workers)}")
    return p50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--baseline-jobs", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0, help="jobs published per second through the broker")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()

    admin = create_engine(MARIADB + "/")
    with admin.begin() as conn:
        conn.execute(text("CREATE DATABASE IF NOT EXISTS roster_bench CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"))
    admin.dispose()
    engine = create_engine(URL)
    with engine.begin() as conn:
        conn.execute(text(RUNS_DDL))
        conn.execute(text("DELETE FROM job_runs"))
        conn.execute(text("DROP TABLE IF EXISTS background_job"))
    JobQueue(engine).update_schema()

    env = {
        "AIRFLOW_CONN_ROSTER_DB": URL,
        "ROSTER_JOB_MODULES": "tests.jobs.callbacks",
        "ROSTER_TEST_RUNS_URL": URL,
        "PYTHONPATH": str(ROOT),
    }
    home = Path(tempfile.mkdtemp(prefix="roster-latency-"))
    print(f"starting airflow standalone in {home} ...", flush=True)
    with StandaloneAirflow(home, env=env, unpause="roster_job_queue roster_job_broker") as airflow:
        os.environ.update({k: v for k, v in airflow.environment().items() if k.startswith(("AIRFLOW_CONN_", "AWS_"))})
        queue_url = airflow.environment()["ROSTER_JOBS_QUEUE_URL"]
        rng = random.Random(3)
        time.sleep(10)  # the broker's first run reaches its deferred sensor

        first = JobQueue(engine).publish("noop") + 1  # a marker: ids after it are this phase's
        took = publish(JobQueue(engine), "b", args.baseline_jobs, args.baseline_jobs / BASELINE_SPREAD, rng)
        print(f"baseline: published {args.baseline_jobs} jobs without the broker in {took:.1f} s", flush=True)
        if not wait_finished(engine, first, args.timeout):
            raise SystemExit(f"baseline: not all jobs finished within {args.timeout} s:\n{airflow.log_tail()}")
        polled = report(engine, "polling (roster_job_queue, every minute)", "b", first)

        first = JobQueue(engine).publish("noop") + 1
        took = publish(JobQueue(engine, broker=SqsBroker(queue_url)), "j", args.jobs, args.rate, rng)
        print(f"\nbroker: published {args.jobs} jobs through SQS in {took:.1f} s", flush=True)
        if not wait_finished(engine, first, args.timeout):
            raise SystemExit(f"broker: not all jobs finished within {args.timeout} s:\n{airflow.log_tail()}")
        brokered = report(engine, "broker (roster_job_broker, SQS)", "j", first)
    print(f"\np50 latency, polling / broker: {polled:.2f} s / {brokered:.2f} s = {polled / max(brokered, 1e-3):.1f}x")


if __name__ == "__main__":
    main()
