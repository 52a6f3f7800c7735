"""The plans and timings of roster.monitor's reads on a realistic job table, with and without an index.

    flock /tmp/roster-bench.lock .venv/bin/python bench/monitor_queries.py [--jobs 200000] [--runs 30] [--index NAME]

Builds ``--jobs`` jobs in a database of their own (``roster_bench_monitor``, dropped at both ends) in the local
MariaDB: 95 % FINISHED, 2 % TEMPORARILY_FAILED, 1 % PERMANENTLY_FAILED, 1 % READY, 1 % WAITING, priorities 0-99,
last attempts spread evenly over the last 14 days (so the health check's 15-minute window holds about 150 of
200,000). Then, for each read (the failure rate of roster_health and the page, and the page's waiting list), prints
MariaDB's EXPLAIN, the rows ANALYZE says were read, and the median and fastest wall time of ``--runs`` runs through
``QueueOverview``; once with the table as ``roster jobs update-schema`` makes it, once without index ``--index``
(default ``idx_background_job_attempted``, the failure rate's), to show what it buys.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))
from roster.jobs import JobQueue  # noqa: E402
from roster.monitor.overview import QueueOverview, utcnow  # noqa: E402
from roster.sql import bind, statement  # noqa: E402

SERVER = "mysql://root@127.0.0.1:3306"
DATABASE = "roster_bench_monitor"
DAYS = 14
FILL = """
INSERT INTO background_job (queue, priority, callback_name, parameters, state, created_at, available_at,
                            last_attempt_at, number_of_attempts, finished_at, updated_at)
SELECT 'default', seq % 100, 'noop', '{}', state, t, t, IF(state IN (1, 6), NULL, t), IF(state = 1, 0, 1),
       IF(state = 3, t + INTERVAL 1 SECOND, NULL), t
FROM (SELECT seq, UTC_TIMESTAMP(6) - INTERVAL (seq * :span DIV :jobs) SECOND AS t,
             CASE WHEN seq % 100 < 95 THEN 3 WHEN seq % 100 < 97 THEN 4 WHEN seq % 100 = 97 THEN 5
                  WHEN seq % 100 = 98 THEN 1 ELSE 6 END AS state
      FROM seq_1_to_{jobs}) AS generated
"""


def build(jobs: int):
    admin = create_engine(SERVER + "/")
    with admin.begin() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {DATABASE}"))
        conn.execute(text(f"CREATE DATABASE {DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"))
    admin.dispose()
    engine = create_engine(f"{SERVER}/{DATABASE}", connect_args={"charset": "utf8mb4"})
    JobQueue(engine).update_schema()
    with engine.begin() as conn:
        conn.execute(text(FILL.replace("{jobs}", str(jobs))), {"span": DAYS * 86400, "jobs": jobs})
        conn.execute(text("ANALYZE TABLE background_job"))
    return engine


def plan(engine, name: str, params: dict) -> tuple[list[dict], list[dict]]:
    """EXPLAIN's rows, and ANALYZE's (which runs the statement: r_rows is what was read)."""
    out = []
    for verb in ("EXPLAIN", "ANALYZE"):
        sql, args = bind(f"{verb} " + statement(f"monitor/{name}", "mysql"), params, "mysql")
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute(sql, args)
            names = [d[0] for d in cursor.description]
            out.append([dict(zip(names, row)) for row in cursor.fetchall()])
        finally:
            raw.close()
    return out[0], out[1]


def timed(read, runs: int) -> tuple[float, float]:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        read()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds) * 1000, min(seconds) * 1000


def report(engine, runs: int) -> None:
    overview = QueueOverview(engine)
    since = utcnow() - timedelta(minutes=15)
    reads = {
        "outcomes_since": ({"queue": "default", "since": since}, lambda: overview.outcomes_since(since)),
        "waiting_jobs": ({"queue": "default", "limit": 50}, lambda: overview.waiting(50)),
    }
    for name, (params, read) in reads.items():
        explained, analyzed = plan(engine, name, params)
        median, fastest = timed(read, runs)
        print(f"  {name}: median {median:.2f} ms, fastest {fastest:.2f} ms ({runs} runs)")
        for row, done in zip(explained, analyzed):
            print(f"    {row['table']}: type {row['type']}, key {row['key']}, key_len {row['key_len']}, "
                  f"rows {row['rows']} (read: {done.get('r_rows')}), {row['Extra']}")  # fmt: skip
    print(f"  result: {overview.outcomes_since(since)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--index", default="idx_background_job_attempted")
    args = parser.parse_args()
    started = time.perf_counter()
    engine = build(args.jobs)
    print(f"{args.jobs} jobs in {DATABASE} in {time.perf_counter() - started:.1f} s")
    print("with the schema of roster jobs update-schema:")
    report(engine, args.runs)
    with engine.begin() as conn:
        conn.execute(text(f"DROP INDEX {args.index} ON background_job"))
    print(f"without {args.index}:")
    report(engine, args.runs)
    engine.dispose()
    drop = create_engine(SERVER + "/")
    with drop.begin() as conn:
        conn.execute(text(f"DROP DATABASE {DATABASE}"))  # 200,000 rows nobody else needs
    drop.dispose()


if __name__ == "__main__":
    main()
