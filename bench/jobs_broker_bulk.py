"""The broker at scale: 20,000 jobs in one ``queue.bulk()`` through SQS under a real Airflow, one message per lane
(roster's broker) against one message per job (the design before issue 15), in the same run.

    flock /tmp/roster-bench.lock .venv/bin/python bench/jobs_broker_bulk.py [--jobs 20000] [--per-job-jobs 1000]

Starts ``scripts/standalone.sh`` (see bench/jobs_latency.py: moto SQS, MariaDB database ``roster_bench_latency``)
with roster_job_broker unpaused. For each design, one bulk of jobs (``record``: each run is written to job_runs),
half urgent (0-9), half general (10-19): ``--jobs`` through roster's broker, ``--per-job-jobs`` through the per-job
design (on moto, under load, each of its SendMessageBatch requests took about a second: 20,000 jobs would take half
an hour; its figures per 1,000 jobs are given for both). Then it prints: how long ``bulk()`` took, of which the
broker's send after the commit; the publisher's SQS requests by operation (counted through botocore's
``before-call`` event hook); the time from ``bulk()``'s return until every job is FINISHED, and until the queue holds no
message (all settled); whether every job ran exactly once; SQS requests in all (the moto server's log: the
publisher, the sensor's polls, the settling) and roster_job_broker runs created.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Sequence

import boto3
import orjson
from jobs_latency import fresh_database, moto_requests, standalone, wait_finished  # bench/: this script's dir
from sqlalchemy import text

from roster.jobs import JobQueue
from roster.jobs.broker import SqsBroker
from roster.sqs import send_batches


class PerJobBroker(SqsBroker):
    """The design before issue 15: one ``{"id": N}`` message per job, ten per SendMessageBatch."""

    def send(self, ids: Sequence[int], priorities: Sequence[int] | None = None) -> None:
        entries = [{"MessageBody": orjson.dumps({"id": job_id}).decode()} for job_id in ids]
        send_batches(self.client, self.queue_url, entries, what="job id")


class TimedBroker:
    """Wraps a broker: how long its sends took."""

    def __init__(self, broker) -> None:
        self.broker = broker
        self.seconds = 0.0

    def send(self, ids, priorities=None) -> None:
        started = time.monotonic()
        try:
            self.broker.send(ids, priorities)
        finally:
            self.seconds += time.monotonic() - started


def counted_client(endpoint: str) -> tuple[object, Counter]:
    client = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1")
    counts: Counter = Counter()
    client.meta.events.register("before-call.sqs.*", lambda event_name, **_: counts.update([event_name.split(".")[-1]]))
    return client, counts


def queue_empty(client, url: str) -> bool:
    attrs = client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"]) == 0


def wait_until(condition, since: float, timeout: float) -> float | None:
    """Seconds from ``since`` (monotonic) until ``condition()`` held, or None after ``timeout``."""
    while time.monotonic() - since < timeout:
        if condition():
            return time.monotonic() - since
        time.sleep(0.5)
    return None


def phase(name: str, broker_class, jobs: int, engine, airflow, args) -> None:
    env = airflow.environment()
    url = env["ROSTER_JOBS_QUEUE_URL"]
    endpoint = url.rsplit("/", 2)[0]
    publisher, published = counted_client(endpoint)
    watcher, _ = counted_client(endpoint)
    with engine.connect() as conn:
        first = (conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM background_job")).scalar_one()) + 1
    runs_before = len(airflow.runs("roster_job_broker"))
    requests_before = moto_requests(airflow)
    broker = TimedBroker(broker_class(url, client=publisher))
    queue = JobQueue(engine, broker=broker)
    started = time.monotonic()
    prefix = broker_class.__name__
    with queue.bulk():
        for i in range(jobs):
            queue.publish("record", {"key": f"{prefix}{i}"}, priority=i % 20)
    returned = time.monotonic()
    took = returned - started
    finished = wait_until(lambda: wait_finished(engine, first, 0.1), returned, args.timeout)
    settled = wait_until(lambda: queue_empty(watcher, url), returned, args.timeout)
    total = moto_requests(airflow) - requests_before
    runs = len(airflow.runs("roster_job_broker")) - runs_before
    with engine.connect() as conn:
        ran = conn.execute(text("SELECT COUNT(*), COUNT(DISTINCT run_key) FROM job_runs WHERE run_key LIKE :p"),
                           {"p": prefix + "%"}).one()  # fmt: skip
    per_1000 = 1000 / jobs
    print(f"\n{name}: {jobs:,} jobs in one bulk(); {ran[0]:,} runs of {ran[1]:,} distinct jobs")
    print(f"  bulk() returned after {took:6.2f} s, of which the broker's send after the commit {broker.seconds:6.2f} s")
    print(f"  publisher's SQS requests: {sum(published.values()):,} ({dict(published)}); "
          f"per 1,000 jobs {sum(published.values()) * per_1000:.2f} requests, {broker.seconds * per_1000:.2f} s of send")
    print(f"  all FINISHED {_secs(finished)} after bulk() returned; queue empty (all settled) {_secs(settled)} after")
    print(f"  SQS requests in all (moto's log, this phase): {total:,}; roster_job_broker runs created: {runs}", flush=True)


def _secs(value: float | None) -> str:
    return f"{value:6.1f} s" if value is not None else "not within the timeout"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--per-job-jobs", type=int, default=1_000)
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    engine = fresh_database()
    with standalone("roster-broker-bulk-", "roster_job_broker") as airflow:
        time.sleep(10)  # the broker's first run reaches its deferred sensor
        phase("one message per lane (roster)", SqsBroker, args.jobs, engine, airflow, args)
        phase("one message per job (before issue 15)", PerJobBroker, args.per_job_jobs, engine, airflow, args)


if __name__ == "__main__":
    main()
