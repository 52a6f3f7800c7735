"""The plans and timings of roster.monitor's reads on a realistic job table, with and without an index.

    flock /tmp/roster-bench.lock .venv/bin/python bench/monitor_queries.py [--jobs 200000] [--runs 30] [--index NAME]
    flock /tmp/roster-bench.lock .venv/bin/python bench/monitor_queries.py --page --jobs 1000000 --runs 5

Builds ``--jobs`` jobs in a database of their own (``roster_bench_monitor``, dropped at both ends) in the local
MariaDB: 95 % FINISHED, 2 % TEMPORARILY_FAILED, 1 % PERMANENTLY_FAILED, 1 % READY, 1 % WAITING, priorities 0-99
(with ``--page``: 86 % FINISHED and 10 % PERMANENTLY_FAILED, the Roster page's calls and a bulk retry instead),
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
             CASE WHEN seq % 100 < {finished} THEN 3 WHEN seq % 100 < 96 THEN 5 WHEN seq % 100 < 98 THEN 4
                  WHEN seq % 100 = 98 THEN 1 ELSE 6 END AS state
      FROM seq_1_to_{jobs} WHERE seq > :after AND seq <= :upto) AS generated
"""


def page(engine, runs: int) -> None:
    import page_reads

    print("the Roster page's API calls (each: median and slowest of the runs, then EXPLAIN of its statements):")
    page_reads.report(engine, runs)
    page_reads.bulk_retry(engine)
    engine.dispose()
    drop = create_engine(SERVER + "/")
    with drop.begin() as conn:
        conn.execute(text(f"DROP DATABASE {DATABASE}"))
    drop.dispose()


def build(jobs: int, failed_share: int = 1):
    admin = create_engine(SERVER + "/")
    with admin.begin() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {DATABASE}"))
        conn.execute(text(f"CREATE DATABASE {DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"))
    admin.dispose()
    engine = create_engine(f"{SERVER}/{DATABASE}", connect_args={"charset": "utf8mb4"})
    JobQueue(engine).update_schema()
    fill = FILL.replace("{jobs}", str(jobs)).replace("{finished}", str(96 - failed_share))
    for after in range(0, jobs, 200_000):  # in chunks: a loaded server's lock table holds no million rows at once
        with engine.begin() as conn:
            conn.execute(text(fill), {"span": DAYS * 86400, "jobs": jobs, "after": after, "upto": after + 200_000})
    with engine.begin() as conn:
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
    parser.add_argument("--page", action="store_true",
                        help="the Roster page's API calls and a bulk retry by filter (bench/page_reads.py) instead")
    args = parser.parse_args()
    started = time.perf_counter()
    engine = build(args.jobs, failed_share=10 if args.page else 1)
    print(f"{args.jobs} jobs in {DATABASE} in {time.perf_counter() - started:.1f} s")
    if args.page:
        page(engine, args.runs)
        return
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
