"""Publish → start latency of jobs under a real Airflow: two broker designs against polling, in the same run.

    flock /tmp/roster-bench.lock .venv/bin/python bench/jobs_latency.py [--jobs 1000] [--rate 50] [--baseline-jobs 200]

Starts ``scripts/standalone.sh`` (airflow standalone: scheduler, LocalExecutor, dag-processor, triggerer,
api-server) in a temporary home, with a moto SQS server, the roster database ``roster_bench_latency`` (its own: other
benches reset ``roster_bench``) on the local MariaDB, and unpaused: roster_job_queue (every minute),
roster_job_broker (``@continuous``, an SqsSensor on the jobs queue that starts and ends in the triggerer) and
roster_job_events (bench/dags/: an Asset whose AssetWatcher runs a MessageQueueTrigger on a queue of its own, so the
two designs never share a message). The moto server and the publishers stand for SQS and the application, which run
elsewhere in production: they run at nice 10, below Airflow. Then:

1. baseline, polling: ``--baseline-jobs`` jobs published without the broker, spread evenly over one minute (the
   schedule's interval, so the figure does not hang on where in the minute they land), so only the every-minute
   roster_job_queue runs them;
2. ``@continuous`` + sensor in the triggerer: ``--jobs`` jobs published one by one (by 2 processes) at ``--rate``
   per second through the broker (their ids sent to SQS after each commit), so roster_job_broker wakes and runs them;
3. AssetWatcher + MessageQueueTrigger: the same, through roster_job_events's queue.

Jobs are the test callback ``record`` (tests/jobs/callbacks.py); half in the urgent lane (priority 0-9), half in
the general one (10-99). For each phase it waits (at most --timeout s) until all are FINISHED, then prints publish
→ start latency (p50, p95, max: the job's claim time minus its creation time), per lane; checks that every job ran
exactly once (job_runs), and that every claim ran its jobs most urgent first; for the two brokers, the runs
created and the SQS requests made (the moto server's log: every client) per 1,000 jobs; and the ratio of the
baseline's p50 to each broker's.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MARIADB = os.environ.get("ROSTER_BENCH_MARIADB", "mysql://root@127.0.0.1:3306")
DATABASE = "roster_bench_latency"
URL = f"{MARIADB}/{DATABASE}"
os.environ.setdefault("AIRFLOW_HOME", os.path.join(tempfile.gettempdir(), "roster-bench-airflow"))
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
os.environ["ROSTER_JOB_MODULES"] = "tests.jobs.callbacks"  # record and noop, here and in the Airflow workers

import boto3  # noqa: E402
import psutil  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from roster.jobs import JobQueue, State  # noqa: E402
from roster.jobs.broker import SqsBroker  # noqa: E402
from tests.standalone import StandaloneAirflow  # noqa: E402

BASELINE_SPREAD = 60.0  # seconds: roster_job_queue's interval
PUBLISHERS = 2  # processes publishing, so that the rate asked is the rate published
HARNESS_NICE = 10  # the CPU priority of moto and the publishers, below Airflow's (see yield_to_airflow)
EVENTS_QUEUE = "roster-job-events"  # the AssetWatcher design's own queue, so the two designs never share messages
RUNS_DDL = "CREATE TABLE IF NOT EXISTS job_runs (run_key VARCHAR(64), pid INT, started DOUBLE, finished DOUBLE)"


def percentile(values: list[float], fraction: float) -> float:
    return values[min(len(values) - 1, max(0, round(fraction * len(values)) - 1))]


def publish(new_queue: Callable[[], JobQueue], prefix: str, count: int, rate: float, rng: random.Random) -> float:
    """``count`` jobs, job i published at ``i / rate`` s, by PUBLISHERS processes taking turns (as an application's
    web workers would: one publish, a commit and an SQS send, takes about 20 ms on this machine, so one process
    alone cannot keep 50/s once Airflow shares the cores), each with its own JobQueue from ``new_queue``; half
    urgent (0-9), half general (10-99). Returns the seconds it took."""
    priorities = [rng.randrange(0, 10) if i % 2 else rng.randrange(10, 100) for i in range(count)]
    started = time.time() + 1.0  # every publisher is running by then
    context = multiprocessing.get_context("fork")
    publishers = [
        context.Process(target=_publisher, args=(new_queue, prefix, priorities, turn, rate, started))
        for turn in range(PUBLISHERS)
    ]
    for process in publishers:
        process.start()
    for process in publishers:
        process.join(timeout=count / rate + 300)
        if process.exitcode != 0:
            raise SystemExit(f"a publisher failed (exit code {process.exitcode})")
    return time.time() - started


def _publisher(new_queue, prefix: str, priorities: list[int], turn: int, rate: float, started: float) -> None:
    """One publishing process: jobs turn, turn + PUBLISHERS, ..., each at its time; at HARNESS_NICE (see
    :func:`yield_to_airflow`)."""
    os.nice(HARNESS_NICE)
    queue = new_queue()
    for i in range(turn, len(priorities), PUBLISHERS):
        time.sleep(max(0.0, started + i / rate - time.time()))
        queue.publish("record", {"key": f"{prefix}{i}"}, priority=priorities[i])


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


def report(engine, name: str, prefix: str, first_id: int) -> tuple[float, float]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, priority, worker, last_attempt_at, created_at, state, parameters FROM background_job "
                 "WHERE id >= :f"),
            {"f": first_id},
        ).fetchall()  # fmt: skip
        runs = conn.execute(
            text("SELECT run_key, started FROM job_runs WHERE run_key LIKE :p"), {"p": prefix + "%"}
        ).fetchall()
    keys = [key for key, _ in runs]
    job_of_key = {json.loads(r.parameters)["key"]: r.id for r in rows if r.parameters and "key" in r.parameters}
    started_at = {job_of_key.get(key): started for key, started in runs}  # several publishers: ids not in key order
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
    p50 = p95 = 0.0
    for lane, selected in (("all", rows), ("urgent 0-9", [r for r in rows if r.priority < 10]),
                           ("general 10-99", [r for r in rows if r.priority >= 10])):  # fmt: skip
        latencies = sorted((r.last_attempt_at - r.created_at).total_seconds() for r in selected if r.last_attempt_at)
        if not latencies:
            continue
        median = statistics.median(latencies)
        if lane == "all":
            p50, p95 = median, percentile(latencies, 0.95)
        print(f"  {lane:>13}: publish -> start p50 {median:6.2f} s, p95 {percentile(latencies, 0.95):6.2f} s, "
              f"max {latencies[-1]:6.2f} s")  # fmt: skip
    late = sorted((r.created_at - rows[0].created_at).total_seconds() for r in rows
                  if r.last_attempt_at and (r.last_attempt_at - r.created_at).total_seconds() > 1)  # fmt: skip
    if late:  # when the slow ones were published: a wake-up's first seconds, or later (a gap between runs)
        print(f"  over 1 s: {len(late)} jobs, published {late[0]:.1f} to {late[-1]:.1f} s after the phase's first")
    workers = sorted({(r.worker or "?").split(".")[0] for r in rows})
    print(f"  run by: {', '.join(workers)}")
    return p50, p95


def moto_requests(airflow: StandaloneAirflow) -> int:
    """Requests the standalone's moto server has answered so far: one line of its log each."""
    log = airflow.home / "moto.log"
    return sum(1 for line in log.read_text(errors="replace").splitlines() if '"POST ' in line or '"GET ' in line)


def brokered(airflow, engine, design: str, dag_id: str, url: str, prefix: str, args, rng) -> tuple[float, float]:
    """``args.jobs`` jobs published one by one at ``args.rate`` through SqsBroker to ``url``, woken by ``dag_id``:
    latency, and per 1,000 jobs the runs of ``dag_id`` created and the SQS requests made (moto's log: all clients)."""
    runs_before, requests_before = len(airflow.runs(dag_id)), moto_requests(airflow)
    first = JobQueue(engine).publish("noop") + 1
    took = publish(lambda: JobQueue(create_engine(URL), broker=SqsBroker(url)), prefix, args.jobs, args.rate, rng)
    print(f"\n{design}: published {args.jobs} jobs through SQS in {took:.1f} s ({args.jobs / took:.0f}/s)", flush=True)
    if not wait_finished(engine, first, args.timeout):
        raise SystemExit(f"{design}: not all jobs finished within {args.timeout} s:\n{airflow.log_tail()}")
    # The lanes' time limit (50 s): this design's lanes have stopped before the next phase, and its last wake-ups
    # were settled (their requests are this design's).
    time.sleep(60)
    figures = report(engine, f"{design} ({dag_id})", prefix, first)
    per_1000 = 1000 / args.jobs
    runs, requests = len(airflow.runs(dag_id)) - runs_before, moto_requests(airflow) - requests_before
    print(f"  per 1,000 jobs: {runs * per_1000:.1f} runs of {dag_id} created, {requests * per_1000:.0f} SQS requests "
          f"(the publisher's {args.jobs * per_1000:.0f} SendMessageBatch included)", flush=True)  # fmt: skip
    return figures


def yield_to_airflow(sqs_endpoint: str) -> None:
    """The harness runs at a lower CPU priority (nice HARNESS_NICE) than Airflow: the moto server (the stand-in for
    SQS) and the publishers (the application's web workers) run elsewhere in production, yet here they share the
    two cores with Airflow, and a wake-up's task start waited on them."""
    port = sqs_endpoint.rsplit(":", 1)[1].split("/", 1)[0]
    for process in psutil.process_iter(["cmdline"]):
        cmdline = process.info["cmdline"] or []
        if "moto.server" in cmdline and port in cmdline:
            process.nice(HARNESS_NICE)
            return
    raise SystemExit(f"no moto server on port {port} to lower the priority of")


def dags_folder() -> Path:
    """dags/ and bench/dags/roster_job_events.py (the AssetWatcher design) in one folder, by symbolic links."""
    folder = Path(tempfile.mkdtemp(prefix="roster-latency-dags-"))
    for dag_file in [*(ROOT / "dags").glob("*.py"), ROOT / "bench" / "dags" / "roster_job_events.py"]:
        (folder / dag_file.name).symlink_to(dag_file)
    return folder


def fresh_database():
    """An engine on DATABASE with an empty job table and an empty job_runs table."""
    admin = create_engine(MARIADB + "/")
    with admin.begin() as conn:
        conn.execute(text(f"CREATE DATABASE IF NOT EXISTS {DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"))
    admin.dispose()
    engine = create_engine(URL)
    with engine.begin() as conn:
        conn.execute(text(RUNS_DDL))
        conn.execute(text("DELETE FROM job_runs"))
        conn.execute(text("DROP TABLE IF EXISTS background_job"))
    JobQueue(engine).update_schema()
    return engine


@contextlib.contextmanager
def standalone(prefix: str, unpause: str, env: dict[str, str] | None = None) -> Iterator[StandaloneAirflow]:
    """airflow standalone on DATABASE with the test callbacks, ``unpause`` unpaused; this process gets its
    connections (AIRFLOW_CONN_*, AWS_*)."""
    env = {
        "AIRFLOW_CONN_ROSTER_DB": URL,
        "ROSTER_JOB_MODULES": "tests.jobs.callbacks",
        "ROSTER_TEST_RUNS_URL": URL,
        "PYTHONPATH": str(ROOT),
        **(env or {}),
    }
    home = Path(tempfile.mkdtemp(prefix=prefix))
    print(f"starting airflow standalone in {home} ...", flush=True)
    with StandaloneAirflow(home, env=env, unpause=unpause) as airflow:
        os.environ.update({k: v for k, v in airflow.environment().items() if k.startswith(("AIRFLOW_CONN_", "AWS_"))})
        yield airflow


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--baseline-jobs", type=int, default=200)
    parser.add_argument("--rate", type=float, default=50.0, help="jobs published per second through SQS")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()

    engine = fresh_database()
    env = {"AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder()), "ROSTER_JOB_EVENTS_QUEUE": EVENTS_QUEUE}
    unpause = "roster_job_queue roster_job_broker roster_job_events"
    with standalone("roster-latency-", unpause, env) as airflow:
        queue_url = airflow.environment()["ROSTER_JOBS_QUEUE_URL"]
        yield_to_airflow(queue_url)
        sqs = boto3.client("sqs", endpoint_url=queue_url.rsplit("/", 2)[0], region_name="us-east-1")
        events_url = sqs.create_queue(QueueName=EVENTS_QUEUE)["QueueUrl"]
        rng = random.Random(3)
        time.sleep(10)  # the broker's first run reaches its deferred sensor

        first = JobQueue(engine).publish("noop") + 1  # a marker: ids after it are this phase's
        took = publish(lambda: JobQueue(create_engine(URL)), "b", args.baseline_jobs, args.baseline_jobs / BASELINE_SPREAD,
                       rng)  # fmt: skip
        print(f"baseline: published {args.baseline_jobs} jobs without the broker in {took:.1f} s", flush=True)
        if not wait_finished(engine, first, args.timeout):
            raise SystemExit(f"baseline: not all jobs finished within {args.timeout} s:\n{airflow.log_tail()}")
        polled, _ = report(engine, "polling (roster_job_queue, every minute)", "b", first)

        sensor = brokered(airflow, engine, "broker, @continuous + sensor in the triggerer", "roster_job_broker", queue_url, "j",
                          args, rng)  # fmt: skip
        events = brokered(airflow, engine, "broker, AssetWatcher + MessageQueueTrigger", "roster_job_events",
                          events_url, "e", args, rng)  # fmt: skip
    print(f"\np50 latency, polling / @continuous + sensor / AssetWatcher: {polled:.2f} s / {sensor[0]:.2f} s / "
          f"{events[0]:.2f} s = {polled / max(sensor[0], 1e-3):.1f}x / {polled / max(events[0], 1e-3):.1f}x")


if __name__ == "__main__":
    main()
