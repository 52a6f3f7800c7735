"""The whole warmup DAG on a large roster database: ``airflow dags test roster_user_cache_warmup``, timed.

    .venv/bin/python bench/warmup_dag.py [--users 1000000] [--modulo 4] [--database roster_bench_1m]
        [--use-executor] [--buffer-pool 1G] [--rounds 1] [--baseline REV] [--keep-home]

Seeds ``--database`` (MariaDB, ``--users`` x 5 assignments, 50 line items, roster's recommended indexes added by
``roster db check --apply``) unless it already holds that many users, then runs
``airflow dags test roster_user_cache_warmup -c '{"modulo": M}'`` in throw-away AIRFLOW_HOMEs (this checkout's dags/
and pools: ``roster_cache_warmup`` has 2 slots) and prints, per configuration, the run's time (the DAG run's start
to end in the metadata DB), each task's duration, the most shards that ran at once, the command's wall time and
its start-up (wall - run), and checks that every user was written. The acceptance is on the best configuration's
run time (<= 15 s); every configuration is also given as a ratio to the baseline of the same run.

Configurations, in this order in each round:

- ``sequential`` (the baseline, always): plain ``dags test`` with a SQLite metadata DB, as before: it runs the
  tasks one after another in its own process (and starts Airflow's in-process execution API for the first task),
  on the database server as found.
- ``sequential, buffer pool`` (with ``--buffer-pool SIZE``): the same, after ``SET GLOBAL innodb_buffer_pool_size``
  to SIZE on the MariaDB server and one read of the pages a warmup reads (users, the covering index): a server
  sized for its data, in its steady state. This is the SERVER's setting, not roster's: the bench prints the size it
  found and restores it at the end (other clients share the server).
- ``executor`` (with ``--use-executor``; on the server as found, and resized too with ``--buffer-pool``): ``dags
  test --use-executor`` with ``LocalExecutor``, a throw-away PostgreSQL metadata database
  (``ROSTER_BENCH_POSTGRES``, default postgresql://postgres@127.0.0.1:5432; dropped after) and an ``airflow
  api-server`` on a free loopback port (the execution API the task processes call; its start-up is printed, outside
  the run). ``dags test --use-executor`` hands every runnable task to the executor
  without looking at pools, so the executor's parallelism is set to the pool's 2 slots: at most 2 shards at once,
  what the pool allows under a scheduler (the bench prints the most that overlapped). ``[workers]
  min_heartbeat_interval`` is 1 s instead of 5: a task's supervisor otherwise notices a finished task process up to
  5 s late now and then (seen on shards and on summary), and the slot stays taken meanwhile.

``--baseline REV`` adds a first configuration: sequential with roster's package as at git revision REV (``git
archive`` of its plugins/ put first on PYTHONPATH). ``--rounds N`` repeats the configurations N times; the best
run of each is printed.

Needs MariaDB on 127.0.0.1:3306 (root, no password; ``ROSTER_BENCH_MARIADB``) and Redis on 127.0.0.1:6379
(``AIRFLOW_CONN_ROSTER_REDIS``, default db 14, which the bench flushes). Run it under ``flock
/tmp/roster-bench.lock`` on a shared machine, and read the load average it prints with the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dag_servers  # noqa: E402
from revisions import baseline_source  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MARIADB = os.environ.get("ROSTER_BENCH_MARIADB", "mysql://root@127.0.0.1:3306")
POSTGRES = os.environ.get("ROSTER_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
RUN_SECONDS_MAX = 15.0
POOL_SLOTS = 2  # roster_cache_warmup (roster/pools.json)
COVERING_INDEX = "idx_assignments_user"  # roster db check --apply
HEARTBEAT_SECONDS = 1  # [workers] min_heartbeat_interval under the executor (Airflow's default 5)


def airflow_env(home: Path, database: str, metadata_db: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "dags"),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(ROOT / "plugins"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=metadata_db or f"sqlite:///{home}/airflow.db",
        AIRFLOW__LOGGING__LOGGING_LEVEL="WARNING",
        AIRFLOW_CONN_ROSTER_DB=f"{MARIADB}/{database}",
    )
    env.setdefault("AIRFLOW_CONN_ROSTER_REDIS", "redis://127.0.0.1:6379/14")
    env.pop("ROSTER_CACHE_KEY_PREFIX", None)
    return env


def executor_env(env: dict[str, str], port: int) -> dict[str, str]:
    return {
        **env,
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": str(POOL_SLOTS),
        # The supervisor of a task process waits on its sockets up to this long between heartbeats; a finished task
        # whose exit it missed holds its executor slot until then (5 s by default: seen on shards and summary).
        "AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL": str(HEARTBEAT_SECONDS),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW__API_AUTH__JWT_SECRET": os.urandom(32).hex(),
        "AIRFLOW__API__SECRET_KEY": os.urandom(16).hex(),
    }


def run(command: list[str], env: dict[str, str], log: Path) -> float:
    started = time.perf_counter()
    with log.open("w") as out:
        done = subprocess.run(command, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=1800, check=False)
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): see {log}\n{log.read_text()[-3000:]}")
    return time.perf_counter() - started


def cpu_seconds() -> dict[str, float]:
    """CPU seconds (user + system) so far of this process's waited-for children (the ``dags test`` command and
    every process under it), of mariadbd and of redis-server (those two serve every client of the machine)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds = {"dags test": children.ru_utime + children.ru_stime}
    tick = os.sysconf("SC_CLK_TCK")
    for name in ("mariadbd", "redis-server"):
        pids = subprocess.run(["pgrep", "-x", name], capture_output=True, text=True).stdout.split()
        total = 0.0
        for pid in pids:
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        seconds[name] = total
    return seconds


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


def _datetime(value) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def run_report(metadata_db: str) -> dict:
    """The latest DAG run's seconds (start to end), each of its task instances' duration and the most mapped
    shards that ran at once, from the metadata DB."""
    from sqlalchemy import create_engine, text

    engine = create_engine(metadata_db)
    try:
        with engine.connect() as conn:
            run_id, start, end = conn.execute(
                text("SELECT run_id, start_date, end_date FROM dag_run ORDER BY id DESC LIMIT 1")
            ).one()
            tasks = conn.execute(
                text("SELECT task_id, map_index, start_date, end_date, try_number FROM task_instance WHERE run_id = :r "
                     "ORDER BY start_date"), {"r": run_id},
            ).all()  # fmt: skip
    finally:
        engine.dispose()
    spans = [(task_id + ("" if tries <= 1 else f" (try {tries})"), index, _datetime(a), _datetime(b))
             for task_id, index, a, b, tries in tasks]  # fmt: skip
    shards = [(a, b) for task_id, index, a, b in spans if index >= 0]
    overlap = max((sum(1 for a2, b2 in shards if a2 <= a < b2) for a, _ in shards), default=0)
    t0 = _datetime(start)
    return {
        "run": (_datetime(end) - t0).total_seconds(),
        "tasks": [(task_id + (f"[{index}]" if index >= 0 else ""), (a - t0).total_seconds(), (b - t0).total_seconds())
                  for task_id, index, a, b in spans],  # fmt: skip
        "at_once": overlap,
    }


def dag_run(env: dict[str, str], client, modulo: int, executor: bool) -> dict:
    client.flushdb()  # synchronous: Redis frees the last run's million keys before this run, not during it
    conf = json.dumps({"modulo": modulo})
    command = [str(BIN / "airflow"), "dags", "test", "roster_user_cache_warmup", "-c", conf]
    home = Path(env["AIRFLOW_HOME"])
    reads = dag_servers.buffer_pool_reads(MARIADB)
    cpu = cpu_seconds()
    wall = run(command + (["--use-executor"] if executor else []), env, home / "dags-test.log")
    result = run_report(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    cpu = {name: seconds - cpu[name] for name, seconds in cpu_seconds().items()}
    result.update(wall=wall, load=os.getloadavg(), cpu=cpu, misses=dag_servers.buffer_pool_reads(MARIADB) - reads,
                  user_keys=sum(1 for _ in client.scan_iter("user.*", count=10_000)))  # fmt: skip
    return result


def prepare_home(env: dict[str, str]) -> None:
    home = Path(env["AIRFLOW_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    run([str(BIN / "airflow"), "db", "migrate"], env, home / "db-migrate.log")
    run([str(BIN / "roster"), "pools", "--import"], env, home / "pools.log")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--modulo", type=int, default=4)
    parser.add_argument("--database", default="roster_bench_1m")
    parser.add_argument("--use-executor", action="store_true",
                        help="also run dags test --use-executor (LocalExecutor, PostgreSQL, an api-server)")
    parser.add_argument("--buffer-pool", metavar="SIZE",
                        help="also run with MariaDB's innodb_buffer_pool_size at SIZE (e.g. 1G); restored after")
    parser.add_argument("--baseline", metavar="REV", help="also run roster as at this git revision, sequential")
    parser.add_argument("--rounds", type=int, default=1, help="rounds of all configurations (best run kept)")
    parser.add_argument("--keep-home", action="store_true", help="leave the AIRFLOW_HOMEs (their logs) behind")
    return parser.parse_args()


def configurations(args, home: Path, stack: contextlib.ExitStack) -> list[tuple[str, dict[str, str], bool, bool]]:
    """``(label, env, use_executor, resized buffer pool)`` in the order each round runs them."""
    env = airflow_env(home / "sqlite", args.database)
    ensure_seeded(env, args.users)
    prepare_home(env)
    configs = [("sequential (baseline)", env, False, False)]
    if args.baseline:
        old = baseline_source(args.baseline, home)
        old_env = {**env, "PYTHONPATH": str(old), "AIRFLOW__CORE__PLUGINS_FOLDER": str(old)}
        configs.insert(0, (f"sequential, roster at {args.baseline}", old_env, False, False))
    pool = f", buffer pool {args.buffer_pool}" if args.buffer_pool else ""
    if args.buffer_pool:
        configs.append((f"sequential{pool}", env, False, True))
    if args.use_executor:
        metadata_db = stack.enter_context(dag_servers.postgres_database(POSTGRES, f"roster_bench_dag_{os.getpid()}"))
        port = dag_servers.free_port()
        exec_env = executor_env(airflow_env(home / "postgres", args.database, metadata_db), port)
        prepare_home(exec_env)
        started = stack.enter_context(dag_servers.api_server(BIN / "airflow", exec_env, port, home / "api-server.log"))
        print(f"airflow api-server (execution API for the LocalExecutor's tasks) up in {started:.1f} s, outside the runs")
        label = f"executor: LocalExecutor, parallelism {POOL_SLOTS}"
        configs.insert(len(configs) - bool(pool), (label, exec_env, True, False))
        if pool:
            configs.append((label + pool, exec_env, True, True))
    return configs


def run_rounds(args, configs, client) -> dict[str, list[dict]]:
    results: dict[str, list[dict]] = {}
    found = dag_servers.buffer_pool_size(MARIADB)
    try:
        for _ in range(args.rounds):
            resized = False
            for label, env, executor, big_pool in configs:
                if big_pool and not resized:
                    size = dag_servers.set_buffer_pool(MARIADB, dag_servers.parse_size(args.buffer_pool))
                    warm = dag_servers.warm_buffer_pool(MARIADB, args.database, COVERING_INDEX)
                    print(f"MariaDB innodb_buffer_pool_size {found / dag_servers.MIB:,.0f} MiB -> "
                          f"{size / dag_servers.MIB:,.0f} MiB (the server's setting); its pages read once in {warm:.1f} s")  # fmt: skip
                    resized = True
                result = dag_run(env, client, args.modulo, executor)
                retried = [task for task, _, _ in result["tasks"] if "(try" in task]
                print(f"{label}: run {result['run']:.2f} s, wall {result['wall']:.2f} s, load average "
                      f"{' '.join(f'{x:.2f}' for x in result['load'])}"
                      + (f"; retried: {', '.join(retried)}" if retried else ""), flush=True)  # fmt: skip
                results.setdefault(label, []).append(result)
            if resized:
                dag_servers.set_buffer_pool(MARIADB, found)
    finally:
        if dag_servers.buffer_pool_size(MARIADB) != found:
            dag_servers.set_buffer_pool(MARIADB, found)
        print(f"MariaDB innodb_buffer_pool_size back to {dag_servers.buffer_pool_size(MARIADB) / dag_servers.MIB:,.0f} MiB")
    return results


def report(args, results: dict[str, list[dict]]) -> None:
    print(f"\nairflow dags test roster_user_cache_warmup, modulo {args.modulo}, {args.users:,} users ({args.database}), "
          f"pool roster_cache_warmup {POOL_SLOTS} slots, best of {args.rounds}")  # fmt: skip
    best = {label: min(runs, key=lambda r: r["run"]) for label, runs in results.items()}
    baseline = best["sequential (baseline)"]
    for label, result in best.items():
        tasks = ", ".join(f"{task} {b - a:.2f} ({a:.1f}-{b:.1f})" for task, a, b in result["tasks"])
        cpu = ", ".join(f"{name} {seconds:.1f}" for name, seconds in result["cpu"].items())
        print(f"{label}: run (dag_run start to end) {result['run']:.2f} s ({result['user_keys'] / result['run']:,.0f} "
              f"users/s, {baseline['run'] / result['run']:.2f}x the baseline); command wall {result['wall']:.2f} s, "
              f"{result['wall'] - result['run']:.2f} s of it outside the run; shards at once {result['at_once']}; "
              f"buffer pool misses {result['misses']:,}; load average {' '.join(f'{x:.2f}' for x in result['load'])}; "
              f"CPU s during the command: {cpu}; tasks (s, from the run's start): {tasks}")  # fmt: skip
    label, mine = min(best.items(), key=lambda item: item[1]["run"])
    verdict = "PASS" if mine["run"] <= RUN_SECONDS_MAX and mine["user_keys"] == args.users else "FAIL"
    print(f"acceptance ({label}): run {mine['run']:.2f} s <= {RUN_SECONDS_MAX:g} s and {mine['user_keys']:,} user.* "
          f"keys == {args.users:,}: {verdict}")  # fmt: skip


def main() -> None:
    args = parse_args()
    import redis

    home = Path(tempfile.mkdtemp(prefix="roster-bench-dag-"))
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    try:
        with contextlib.ExitStack() as stack:
            configs = configurations(args, home, stack)
            client = redis.Redis.from_url(configs[0][1]["AIRFLOW_CONN_ROSTER_REDIS"], socket_timeout=120)
            results = run_rounds(args, configs, client)
            client.flushdb(asynchronous=True)
            client.close()
    finally:
        if args.keep_home:
            print(f"AIRFLOW_HOMEs kept under {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)
    report(args, results)


if __name__ == "__main__":
    main()
