"""Scale-out benchmark: the user cache warmup and no-op jobs through a real CeleryExecutor cluster
(``scripts/cluster.sh``) with 1 worker, then with 2 workers, in the same run on the same data.

    flock /tmp/roster-bench.lock .venv/bin/python bench/cluster.py [--users 1000000] [--jobs 20000] [--skip-seed]

Each worker has 2 task slots (``CLUSTER_WORKER_CONCURRENCY``); the warmup runs modulo 4 with pool
``roster_cache_warmup`` at 4 slots, the jobs go through ``roster_job_queue``'s lanes (1 + 3 consumers). So 1 worker
runs at most 2 shards or consumers at once, 2 workers 4. Figures:
- warmup: users / wall time from the first shard's start to the last shard's end (task instances' dates);
- jobs: jobs / wall time from the first claim to the last finish (the job table's dates);
and the ratio 2 workers / 1 worker. On one 2-core machine both workers share the same cores, MariaDB and Redis;
docs/scaling-out.md says what that limits. Uses the database ``roster_bench`` (MariaDB, root), Redis db 5 (flushed), and a
PostgreSQL metadata database of its own, dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
os.environ.setdefault("ROSTER_JOB_MODULES", "tests.jobs.callbacks")  # the no-op callback, here and in the cluster
from warmup import MARIADB, ensure_seeded  # noqa: E402  (also sets the bench's Airflow and Redis settings)

from sqlalchemy import create_engine, text  # noqa: E402

from roster.jobs import JobQueue  # noqa: E402
from tests.cluster.cluster import Cluster  # noqa: E402

DATABASE = "roster_bench"


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(1)
    raise TimeoutError(f"{what}: not within {timeout:.0f} s")


def warmup(cluster: Cluster, run_id: str) -> float:
    """Trigger a modulo-4 warmup; users/s over the shards' wall time."""
    cluster.cli("pools", "set", "roster_cache_warmup", "4", "bench: 4 shards at once")
    cluster.cli("dags", "trigger", "roster_user_cache_warmup", "--run-id", run_id, "--conf", '{"modulo": 4}')
    cluster.cli("dags", "unpause", "roster_user_cache_warmup")
    query = text("SELECT state FROM dag_run WHERE dag_id = 'roster_user_cache_warmup' AND run_id = :r")
    with cluster.metadata().connect() as conn:
        wait_for(lambda: conn.execute(query, {"r": run_id}).scalar() in ("success", "failed"), 1800, "warmup run")
        assert conn.execute(query, {"r": run_id}).scalar() == "success", cluster.log_tail()
        first, last = conn.execute(
            text("SELECT MIN(start_date), MAX(end_date) FROM task_instance WHERE task_id = 'warm_shard' AND run_id = :r"),
            {"r": run_id},
        ).one()  # fmt: skip
    with create_engine(f"{MARIADB}/{DATABASE}").connect() as conn:
        users = conn.execute(text("SELECT COUNT(*) FROM users")).scalar_one()
    return users / (last - first).total_seconds()


def jobs(cluster: Cluster, engine, count: int, run_id: str) -> float:
    """Publish ``count`` no-op jobs over both lanes, trigger roster_job_queue; jobs/s from first claim to last finish."""
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS background_job"))
    queue = JobQueue(engine)
    queue.update_schema()
    with queue.bulk():
        for i in range(count):
            queue.publish("noop", {"i": i}, priority=5 if i % 2 else 50)
    cluster.cli("dags", "trigger", "roster_job_queue", "--run-id", run_id)
    cluster.cli("dags", "unpause", "roster_job_queue")
    finished = text("SELECT COUNT(*) FROM background_job WHERE state = 3")
    with engine.connect() as conn:
        wait_for(lambda: conn.execute(finished).scalar_one() == count, 1800, "jobs finished")
        first, last = conn.execute(text("SELECT MIN(last_attempt_at), MAX(finished_at) FROM background_job")).one()
    return count / (last - first).total_seconds()


def measure(workers: int, args: argparse.Namespace, engine) -> tuple[float, float]:
    env = {
        "CLUSTER_WORKERS": str(workers),
        "AIRFLOW_CONN_ROSTER_DB": f"{MARIADB}/{DATABASE}",
        "AIRFLOW_CONN_ROSTER_REDIS": os.environ["AIRFLOW_CONN_ROSTER_REDIS"],
        "ROSTER_JOB_MODULES": os.environ["ROSTER_JOB_MODULES"],
        "PYTHONPATH": str(ROOT),
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
    }
    with tempfile.TemporaryDirectory(prefix=f"roster-bench-cluster-{workers}w-") as home:
        with Cluster(Path(home), f"roster_bench_airflow_{os.getpid()}", env=env) as cluster:
            users_per_second = warmup(cluster, f"bench_{workers}w")
            jobs_per_second = jobs(cluster, engine, args.jobs, f"bench_{workers}w")
    print(f"{workers} worker(s): warmup {users_per_second:,.0f} users/s, jobs {jobs_per_second:,.0f} jobs/s", flush=True)
    return users_per_second, jobs_per_second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--skip-seed", action="store_true", help=f"reuse {DATABASE} when it holds --users users")
    args = parser.parse_args()
    ensure_seeded(DATABASE, args.users, 5, 50, reuse=args.skip_seed)
    engine = create_engine(f"{MARIADB}/{DATABASE}")
    one = measure(1, args, engine)
    two = measure(2, args, engine)
    print(f"{'':32}{'1 worker':>12}{'2 workers':>12}{'ratio':>8}")
    for label, a, b in (("warmup users/s (modulo 4)", one[0], two[0]), ("no-op jobs/s (2 lanes)", one[1], two[1])):
        print(f"{label:32}{a:>12,.0f}{b:>12,.0f}{b / a:>7.2f}x")


if __name__ == "__main__":
    main()
