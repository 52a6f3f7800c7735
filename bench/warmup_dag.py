"""The whole warmup DAG on a large roster database: ``airflow dags test roster_user_cache_warmup``, timed.

    .venv/bin/python bench/warmup_dag.py [--users 1000000] [--modulo 4] [--database roster_bench_1m] [--baseline REV]

Seeds ``--database`` (MariaDB, ``--users`` x 5 assignments, 50 line items, roster's recommended indexes added by
``roster db check --apply``) unless it already holds that many users, makes a throw-away AIRFLOW_HOME (SQLite
metadata DB, this checkout's dags/ and pools: ``roster_cache_warmup`` has 2 slots), then runs
``airflow dags test roster_user_cache_warmup -c '{"modulo": M}'`` and prints the run's time (the DAG run's start
to end in the metadata DB), each task's duration, the command's wall time and its start-up (wall - run), and
checks that every user was written. ``dags test`` runs the tasks one after another in its own process.
``--baseline REV`` first runs the same DAG with roster's package as it was at git revision REV (``git archive`` of
its plugins/ put first on PYTHONPATH), then with this checkout's, alternating ``--rounds`` times: the baseline of
the same run on the same machine.

Needs MariaDB on 127.0.0.1:3306 (root, no password; ``ROSTER_BENCH_MARIADB``) and Redis on 127.0.0.1:6379
(``AIRFLOW_CONN_ROSTER_REDIS``, default db 14, which the bench flushes).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MARIADB = os.environ.get("ROSTER_BENCH_MARIADB", "mysql://root@127.0.0.1:3306")
RUN_SECONDS_MAX = 15.0


def airflow_env(home: Path, database: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "dags"),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(ROOT / "plugins"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home}/airflow.db",
        AIRFLOW__LOGGING__LOGGING_LEVEL="WARNING",
        AIRFLOW_CONN_ROSTER_DB=f"{MARIADB}/{database}",
    )
    env.setdefault("AIRFLOW_CONN_ROSTER_REDIS", "redis://127.0.0.1:6379/14")
    env.pop("ROSTER_CACHE_KEY_PREFIX", None)
    return env


def run(command: list[str], env: dict[str, str], log: Path) -> float:
    started = time.perf_counter()
    with log.open("w") as out:
        done = subprocess.run(command, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=1800, check=False)
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): see {log}\n{log.read_text()[-3000:]}")
    return time.perf_counter() - started


def ensure_seeded(env: dict[str, str], users: int) -> None:
    """Seed through roster's own CLI (the application's tables, demo data), then add the recommended indexes."""
    import MySQLdb

    name = env["AIRFLOW_CONN_ROSTER_DB"].rsplit("/", 1)[1]
    conn = MySQLdb.connect(host="127.0.0.1", user="root")
    cursor = conn.cursor()
    cursor.execute(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    cursor.execute(f"SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{name}' AND TABLE_NAME = 'users'")
    present = cursor.fetchone()[0] and cursor.execute(f"SELECT COUNT(*) FROM `{name}`.users") and cursor.fetchone()[0]
    conn.close()
    if present == users:
        print(f"{name}: reusing {users:,} seeded users")
        return
    seed = [str(BIN / "roster"), "seed", "--users", str(users), "--assignments-per-user", "5", "--line-items", "50",
            "--reset"]  # fmt: skip
    subprocess.run(seed, env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([str(BIN / "roster"), "db", "check", "--apply"], env=env, check=True, stdout=subprocess.DEVNULL)
    print(f"{name}: seeded {users:,} users")


def run_report(home: Path) -> tuple[float, list[tuple[str, float]]]:
    """The latest DAG run's seconds (start to end) and each of its task instances' duration, from the metadata DB."""
    db = sqlite3.connect(home / "airflow.db")
    try:
        run_id, start, end = db.execute(
            "SELECT run_id, start_date, end_date FROM dag_run ORDER BY id DESC LIMIT 1"
        ).fetchone()
        tasks = db.execute(
            "SELECT task_id, map_index, start_date, end_date FROM task_instance WHERE run_id = ? ORDER BY start_date",
            (run_id,),
        ).fetchall()
    finally:
        db.close()

    def seconds(a: str, b: str) -> float:
        return (datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds()

    return seconds(start, end), [
        (task_id + (f"[{index}]" if index >= 0 else ""), seconds(a, b)) for task_id, index, a, b in tasks
    ]


def baseline_source(rev: str, home: Path) -> Path:
    """roster's plugins/ as at ``rev``, extracted under ``home``."""
    target = home / "baseline"
    target.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "plugins"], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target / "plugins"


def dag_run(env: dict[str, str], home: Path, modulo: int, client) -> dict:
    client.flushdb()
    conf = json.dumps({"modulo": modulo})
    wall = run([str(BIN / "airflow"), "dags", "test", "roster_user_cache_warmup", "-c", conf], env, home / "dags-test.log")
    run_seconds, tasks = run_report(home)
    user_keys = sum(1 for _ in client.scan_iter("user.*", count=10_000))
    return {"wall": wall, "run": run_seconds, "tasks": tasks, "user_keys": user_keys}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--modulo", type=int, default=4)
    parser.add_argument("--database", default="roster_bench_1m")
    parser.add_argument("--baseline", metavar="REV", help="also run roster as at this git revision (e.g. main)")
    parser.add_argument("--rounds", type=int, default=1, help="alternating rounds with --baseline (best kept)")
    parser.add_argument("--keep-home", action="store_true", help="leave the AIRFLOW_HOME (its logs) behind")
    args = parser.parse_args()

    import redis

    home = Path(tempfile.mkdtemp(prefix="roster-bench-dag-"))
    env = airflow_env(home, args.database)
    results: dict[str, list[dict]] = {}
    try:
        ensure_seeded(env, args.users)
        run([str(BIN / "airflow"), "db", "migrate"], env, home / "db-migrate.log")
        run([str(BIN / "roster"), "pools", "--import"], env, home / "pools.log")
        sources = [("this checkout", env)]
        if args.baseline:
            old = baseline_source(args.baseline, home)
            sources.insert(0, (f"baseline {args.baseline}", {**env, "PYTHONPATH": str(old),
                                                              "AIRFLOW__CORE__PLUGINS_FOLDER": str(old)}))  # fmt: skip
        client = redis.Redis.from_url(env["AIRFLOW_CONN_ROSTER_REDIS"])
        for _ in range(args.rounds):
            for label, source_env in sources:
                results.setdefault(label, []).append(dag_run(source_env, home, args.modulo, client))
        client.flushdb()
        client.close()
    finally:
        if not args.keep_home:
            shutil.rmtree(home, ignore_errors=True)
    print(f"\nairflow dags test roster_user_cache_warmup, modulo {args.modulo}, {args.users:,} users ({args.database}), "
          f"best of {args.rounds}")  # fmt: skip
    best = {label: min(runs, key=lambda r: r["run"]) for label, runs in results.items()}
    for label, result in best.items():
        tasks = ", ".join(f"{task} {seconds:.2f}" for task, seconds in result["tasks"])
        print(f"{label}: run (dag_run start to end) {result['run']:.2f} s ({result['user_keys'] / result['run']:,.0f} "
              f"users/s); command wall {result['wall']:.2f} s, {result['wall'] - result['run']:.2f} s of it outside "
              f"the run (Airflow's start-up, parsing); tasks (s): {tasks}")  # fmt: skip
    mine = best["this checkout"]
    if args.baseline:
        print(f"this checkout / baseline: {best[f'baseline {args.baseline}']['run'] / mine['run']:.2f}x faster")
    verdict = "PASS" if mine["run"] <= RUN_SECONDS_MAX and mine["user_keys"] == args.users else "FAIL"
    print(f"acceptance: run {mine['run']:.2f} s <= {RUN_SECONDS_MAX:g} s and {mine['user_keys']:,} user.* keys == "
          f"{args.users:,}: {verdict}")  # fmt: skip


if __name__ == "__main__":
    main()
