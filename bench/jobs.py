"""Benchmark of the job queue on MariaDB, against simple baselines measured in the same run on the same data.

    .venv/bin/python bench/jobs.py [--jobs 20000] [--batches 1,10,50] [--baseline REV [--rounds 2]]

(a) publishing: one INSERT and one COMMIT per job, vs ``queue.bulk()`` (one multi-row INSERT per 500 jobs);
(b) no-op processing: a one-job-per-transaction loop (claim one row FOR UPDATE SKIP LOCKED, mark PROCESSING,
    commit, run, mark FINISHED, commit) vs roster's consumer in 1 and 2 processes, for several claim batch sizes.
Uses the database ``roster_bench`` on 127.0.0.1:3306 (root).

``--baseline REV`` runs the whole bench in fresh processes, alternately with roster's package as at git revision REV
(``git archive`` of its plugins/ first on PYTHONPATH) and with this checkout's, ``--rounds`` times each, then prints
the best of each and this checkout's ratio to REV: bulk publish and no-op processing with the default claim batch
in 1 and 2 processes, none of the newer features used (the same jobs, the same statements' callers).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

os.environ.setdefault("AIRFLOW_HOME", os.path.join(tempfile.gettempdir(), "roster-bench-airflow"))
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
MARIADB = os.environ.get("ROSTER_BENCH_MARIADB", "mysql://root@127.0.0.1:3306")
URL = f"{MARIADB}/roster_bench"

from sqlalchemy import create_engine, text  # noqa: E402

from roster.jobs import JobQueue  # noqa: E402
from roster.jobs.job_queue import _ts, utcnow  # noqa: E402


def fresh_table(engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS background_job"))
    JobQueue(engine).update_schema()


def publish_one_by_one(engine, count: int) -> float:
    raw = engine.raw_connection()
    cursor = raw.cursor()
    started = time.perf_counter()
    for i in range(count):
        now = _ts(utcnow())
        cursor.execute(
            "INSERT INTO background_job (queue, priority, callback_name, parameters, state, created_at, available_at,"
            " updated_at) VALUES ('default', 100, 'noop', %s, 1, %s, %s, %s)",
            (f'{{"i": {i}}}', now, now, now),
        )
        raw.commit()
    seconds = time.perf_counter() - started
    raw.close()
    return count / seconds


def publish_bulk(engine, count: int) -> float:
    queue = JobQueue(engine)
    started = time.perf_counter()
    with queue.bulk():
        for i in range(count):
            queue.publish("noop", {"i": i})
    return count / (time.perf_counter() - started)


def one_job_per_transaction(engine) -> tuple[int, float]:
    """The baseline consumer: every job is claimed, marked and finished in transactions of its own."""
    from roster.jobs.registry import get

    raw = engine.raw_connection()
    cursor = raw.cursor()
    cursor.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
    done = 0
    started = time.perf_counter()
    while True:
        cursor.execute(
            "SELECT id, callback_name, parameters FROM background_job WHERE queue = 'default' AND state = 1 "
            "ORDER BY priority, id LIMIT 1 FOR UPDATE SKIP LOCKED"
        )
        found = cursor.fetchone()
        if found is None:
            raw.commit()
            break
        cursor.execute("UPDATE background_job SET state = 2, number_of_attempts = number_of_attempts + 1 WHERE id = %s",
                       (found[0],))  # fmt: skip
        raw.commit()
        get(found[1]).func()
        cursor.execute("UPDATE background_job SET state = 3, finished_at = %s WHERE id = %s AND state = 2",
                       (_ts(utcnow()), found[0]))  # fmt: skip
        raw.commit()
        done += 1
    seconds = time.perf_counter() - started
    raw.close()
    return done, done / seconds


def _consumer(args) -> tuple[int, float, float]:
    batch, barrier_at = args
    engine = create_engine(URL)
    queue = JobQueue(engine)
    queue.update_schema()
    while time.time() < barrier_at:  # start together
        time.sleep(0.001)
    started = time.time()
    summary = queue.process(batch=batch)
    return summary["finished"], started, time.time()


def roster_consumers(processes: int, batch: int) -> tuple[int, float]:
    with ProcessPoolExecutor(max_workers=processes) as pool:
        barrier_at = time.time() + 1.5
        results = list(pool.map(_consumer, [(batch, barrier_at)] * processes))
    done = sum(r[0] for r in results)
    return done, done / (max(r[2] for r in results) - min(r[1] for r in results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--batches", default="1,10,100,adaptive", help="claim batch sizes; adaptive is the default")
    parser.add_argument("--baseline", metavar="REV", help="compare with roster as at this git revision")
    parser.add_argument("--rounds", type=int, default=2, help="with --baseline: runs of each, alternating")
    parser.add_argument("--json-out", help=argparse.SUPPRESS)  # a --baseline run's figures, for its parent
    args = parser.parse_args()
    if args.baseline:
        from jobs_baseline import compare

        return compare(__file__, args.baseline, args.jobs, args.rounds)
    os.environ["ROSTER_JOB_MODULES"] = ""
    admin = create_engine(MARIADB + "/")
    with admin.begin() as conn:
        conn.execute(text("CREATE DATABASE IF NOT EXISTS roster_bench CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"))
    engine = create_engine(URL)

    from roster.jobs import job

    job("noop")(lambda **_: None)  # registered here and, by import of this module, in the consumer processes

    one_count = min(args.jobs, 5000)
    fresh_table(engine)
    one = publish_one_by_one(engine, one_count)
    fresh_table(engine)
    bulk = publish_bulk(engine, args.jobs)
    print(f"\n(a) publish                              jobs/s   vs one-by-one")
    print(f"one INSERT + COMMIT per job ({one_count:,})     {one:>10,.0f}   1.0x")
    print(f"queue.bulk() ({args.jobs:,})                  {bulk:>10,.0f}   {bulk / one:.1f}x")

    fresh_table(engine)
    publish_bulk(engine, args.jobs)
    done, baseline = one_job_per_transaction(engine)
    assert done == args.jobs, done
    print(f"\n(b) no-op processing of {args.jobs:,} jobs           jobs/s   vs one-per-transaction")
    print(f"one job per transaction, 1 process      {baseline:>10,.0f}   1.0x")
    results = {}
    for batch in [None if b == "adaptive" else int(b) for b in args.batches.split(",")]:
        for processes in (1, 2):
            fresh_table(engine)
            publish_bulk(engine, args.jobs)
            done, rate = roster_consumers(processes, batch)
            assert done == args.jobs, (done, args.jobs)
            results[(batch, processes)] = rate
            print(f"roster, claim batch {batch or 'adaptive':>8}, {processes} process{'es' if processes > 1 else '  '} "
                  f"{rate:>10,.0f}   {rate / baseline:.1f}x")  # fmt: skip
    two = results.get((None, 2), max(results.values()))
    print(f"\nacceptance: bulk publish {bulk / one:.1f}x >= 15x: {'PASS' if bulk / one >= 15 else 'FAIL'}; "
          f"2 consumers (default batch) {two / baseline:.1f}x >= 12x: {'PASS' if two / baseline >= 12 else 'FAIL'}")
    if args.json_out:
        figures = {"bulk": bulk, "one": baseline, **{f"roster_{p}": rate for (b, p), rate in results.items() if b is None}}
        Path(args.json_out).write_text(json.dumps(figures))
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS background_job"))


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
