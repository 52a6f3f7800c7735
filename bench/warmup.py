"""Benchmark of roster's user cache warmup against the naive per-user loop, in one run on the same data.

    .venv/bin/python bench/warmup.py               # seed roster_bench (200,000 users x 5 assignments, 50 line
                                                   # items), copy it under the application's schema, then compare
    .venv/bin/python bench/warmup.py --skip-seed   # reuse roster_bench / roster_bench_app when they hold --users
    .venv/bin/python bench/warmup.py --profile     # cProfile of the one-shard warmup (both of its threads)
    .venv/bin/python bench/warmup.py --memory      # peak RSS of one shard process: 100k vs 1M users
    ROSTER_BENCH_DATABASE=roster_bench25 ...       # another database name (its copy is <name>_app)

Two databases hold the same rows: roster_bench_app has the application's own schema (roster/sql/roster_schema.sql,
Doctrine's recorded output: plain KEY(user_id) and KEY(line_item_id)) and roster_bench has the same tables with
roster's recommended indexes added (`roster db check --apply`: the covering (user_id, id, ...) index and
(line_item_id, user_id)).

What is compared:

- naive: what the upstream PHP handler does per user, one joined query
  (``SELECT u.*, a.*, li.* ... WHERE u.username = %s ORDER BY a.id``) and one ``SET key value EX ttl``. It is slow,
  so it runs on the first ``--naive-users`` users (default 20,000); its users/s on each schema is the baseline of
  the roster runs on that schema.
- roster, one shard: ``UserCacheWarmer.warm_shard`` over ALL users, modulo 1, in one fresh process: on the
  application schema, then with the recommended indexes (their ratio is what the indexes buy). The shard reads its
  pages on two connections at once (ROSTER_WARMUP_READ_CONNECTIONS, default 2), each over half of the id range;
  a last run on the application schema reads on one connection, as the ceiling does (what the second one buys).
- roster, modulo 2: both shards at once in two fresh processes, as the DAG's mapped tasks run them; the rate is
  over the wall time from the earliest shard start to the latest shard finish.
- roster, Redis Cluster: one shard into a private cluster of three masters started for the run (free loopback
  ports, stopped after); ``--no-cluster`` skips it.
- the read ceiling (bench/warmup_baselines.py): the whole users ⋈ assignments ⋈ line_items join streamed as rows
  through mysqlclient, one process, doing nothing with them, on each schema. Roster's runs are also given as a
  ratio to the ceiling on the application's schema (the acceptance's yardstick).
- ``roster warm --modulo 1`` and ``roster warm --usernames user_5`` from a shell, on the recommended indexes: the
  wall time of the fresh process, when its first database connection opened, and (for the full warm) the
  command's own clock; the difference is its start-up and plan.

All do the same work: after each roster run the bench counts the ``user.*`` keys (must equal the users in the
database) and checks that 20 random users' documents are byte for byte what the naive code builds for them.

Needs MariaDB on 127.0.0.1:3306 (root, no password; ``ROSTER_BENCH_MARIADB`` overrides) and Redis on
127.0.0.1:6379 (db 5 by default, ``AIRFLOW_CONN_ROSTER_REDIS`` overrides). The bench flushes that Redis db.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import cProfile
import json
import multiprocessing
import os
import pstats
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

# Settings before anything imports Airflow: it reads its configuration once, at import. A throw-away AIRFLOW_HOME
# keeps the bench from touching a real one; the spawned shard processes inherit all of this.
if "AIRFLOW_HOME" not in os.environ:
    os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="roster-bench-airflow-")
    # Only the process that made it removes it; shard processes inherit the variable and leave it alone.
    atexit.register(shutil.rmtree, os.environ["AIRFLOW_HOME"], ignore_errors=True)
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "ERROR")
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW_CONN_ROSTER_REDIS", "redis://127.0.0.1:6379/5")
# Plain keys (user.<username>), so counting and spot checks need no prefix handling.
os.environ.pop("ROSTER_CACHE_KEY_PREFIX", None)
MARIADB = os.environ.get("ROSTER_BENCH_MARIADB", "mysql://root@127.0.0.1:3306")

import orjson  # noqa: E402
from redis.cluster import RedisCluster as ClusterClient  # noqa: E402
from sqlalchemy import bindparam, create_engine, text  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from redis_servers import start_cluster  # noqa: E402 - the tests' private Redis Cluster harness
from warmup_baselines import read_ceiling, roster_cli  # noqa: E402

BENCH_DB = os.environ.get("ROSTER_BENCH_DATABASE", "roster_bench")
APP_DB = BENCH_DB + "_app"  # the same rows under the application's own schema
MEMORY_DBS = ((BENCH_DB + "_100k", 100_000), (BENCH_DB + "_1m", 1_000_000))
SPOT_CHECKS = 20
APP_SCHEMA_MIN, ONE_SHARD_MIN, MODULO_2_MIN, RSS_RATIO_MAX = 10.0, 12.0, 18.0, 1.5
CEILING_APP_MIN, CEILING_INDEXED_MIN, CLI_USERNAME_MAX, FIRST_CONNECT_MAX = 1.0, 1.3, 0.6, 0.3
# Upper bounds so that no step can hang the bench: a shard of 1M users takes well under a minute here.
SHARD_TIMEOUT = 1200
BARRIER_TIMEOUT = 300

NAIVE_QUERY = """
SELECT u.*, a.*, li.*
FROM users u
LEFT JOIN assignments a ON a.user_id = u.id
LEFT JOIN line_items li ON li.id = a.line_item_id
WHERE u.username = %s
ORDER BY a.id
"""


# -- database set-up ----------------------------------------------------------------------------------------------


def use_database(name: str) -> None:
    """Create ``name`` if missing and point the ``roster_db`` connection at it (for this process and its children)."""
    admin = create_engine(MARIADB + "/")
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE DATABASE IF NOT EXISTS {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"))
    finally:
        admin.dispose()
    os.environ["AIRFLOW_CONN_ROSTER_DB"] = f"{MARIADB}/{name}"


def scalar(sql: str, default: Any = None, **params: Any) -> Any:
    from roster.db import engine_for

    engine = engine_for()
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).scalar_one()
    except Exception:  # a fresh database has no tables yet
        return default
    finally:
        engine.dispose()


def seed_database(users: int, assignments_per_user: int, line_items: int) -> dict:
    """The application's tables seeded, then roster's recommended indexes added."""
    from roster.db import engine_for
    from roster.seed import seed
    from roster.warmup.db_check import apply, check

    engine = engine_for()
    try:
        seeded = seed(engine, users=users, assignments_per_user=assignments_per_user, line_items=line_items, reset=True)
        apply(engine, check(engine))
        return seeded
    finally:
        engine.dispose()


def ensure_seeded(database: str, users: int, assignments_per_user: int, line_items: int, *, reuse: bool) -> None:
    use_database(database)
    present = scalar("SELECT COUNT(*) FROM users", default=0)
    if reuse and present == users:
        print(f"{database}: reusing {present:,} seeded users")
        return
    seeded = seed_database(users, assignments_per_user, line_items)
    print(
        f"{database}: seeded {seeded['users']:,} users, {seeded['assignments']:,} assignments, "
        f"{seeded['line_items']} line items in {seeded['seconds']:.1f} s"
    )


def copy_to_application_schema(users: int, *, reuse: bool) -> None:
    """``roster_bench_app``: the rows of roster_bench under the application's own schema (Doctrine's recorded
    output: plain KEY(user_id) and KEY(line_item_id), no roster index), copied server-side."""
    from roster.db import sql_file, statements

    use_database(APP_DB)
    if reuse and scalar("SELECT COUNT(*) FROM users", default=0) == users:
        print(f"{APP_DB}: reusing {users:,} copied users")
        return
    started = time.monotonic()
    admin = create_engine(MARIADB + "/")
    try:
        with admin.begin() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {APP_DB}"))
            conn.execute(text(f"CREATE DATABASE {APP_DB} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"))
            conn.execute(text(f"USE {APP_DB}"))
            for statement in statements(sql_file("roster_schema.sql", "mysql")):
                conn.execute(text(statement))
            conn.execute(text("SET SESSION foreign_key_checks = 0, unique_checks = 0"))
            for table in ("users", "line_items", "assignments"):
                conn.execute(text(f"INSERT INTO {APP_DB}.{table} SELECT * FROM {BENCH_DB}.{table}"))
            conn.execute(text("ANALYZE TABLE users, line_items, assignments")).fetchall()
    finally:
        admin.dispose()
    print(f"{APP_DB}: copied {users:,} users from {BENCH_DB} in {time.monotonic() - started:.1f} s")


# -- the naive loop -----------------------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    # The roster tables store UTC datetimes; SPEC wants ISO 8601 with the offset.
    return value.replace(tzinfo=timezone.utc).isoformat() if value is not None else None


class NaiveWarmer:
    """The upstream handler's way: per user, one joined query and one SET with a TTL.

    It builds the document from the joined rows on its own (not with roster.warmup.documents), so the spot checks
    compare two independent implementations of SPEC's "Cache format".
    """

    def __init__(self, redis_client) -> None:
        from roster import settings
        from roster.db import engine_for

        self.redis = redis_client
        self.ttl = settings.user_ttl()
        self.engine = engine_for()
        self.raw = self.engine.raw_connection()
        self.cursor = self.raw.cursor()
        # u.*, a.*, li.* come back as one flat row: find where each table's columns start, by name.
        offsets, start = {}, 0
        for table in ("users", "assignments", "line_items"):
            self.cursor.execute(f"SELECT * FROM {table} LIMIT 0")
            names = [column[0] for column in self.cursor.description]
            offsets[table] = {name: start + i for i, name in enumerate(names)}
            start += len(names)
        self.u, self.a, self.li = offsets["users"], offsets["assignments"], offsets["line_items"]

    def document(self, username: str) -> bytes | None:
        self.cursor.execute(NAIVE_QUERY, (username,))
        rows = self.cursor.fetchall()
        if not rows:
            return None
        u, a, li = self.u, self.a, self.li
        first = rows[0]
        return orjson.dumps(
            {
                "id": first[u["id"]],
                "username": first[u["username"]],
                "groupId": first[u["group_id"]],
                "roles": orjson.loads(first[u["roles"]]),
                "assignments": [
                    {
                        "id": row[a["id"]],
                        "state": row[a["state"]],
                        "attemptsCount": row[a["attempts_count"]],
                        "updatedAt": _iso(row[a["updated_at"]]),
                        "lineItem": {
                            "id": row[li["id"]],
                            "uri": row[li["uri"]],
                            "label": row[li["label"]],
                            "slug": row[li["slug"]],
                            "isActive": bool(row[li["is_active"]]),
                            "startDateTime": _iso(row[li["start_at"]]),
                            "endDateTime": _iso(row[li["end_at"]]),
                            "maxAttempts": row[li["max_attempts"]],
                        },
                    }
                    for row in rows
                    if row[a["id"]] is not None  # LEFT JOIN: a user without assignments gives one all-NULL row
                ],
            }
        )

    def warm(self, usernames: list[str]) -> tuple[int, float]:
        """Warm ``usernames`` one by one; returns (users warmed, seconds)."""
        started = time.perf_counter()
        warmed = 0
        for username in usernames:
            document = self.document(username)
            if document is not None:
                self.redis.set(f"user.{username}", document, ex=self.ttl)
                warmed += 1
        return warmed, time.perf_counter() - started

    def close(self) -> None:
        self.cursor.close()
        self.raw.close()
        self.engine.dispose()


# -- roster's warmup, one process per shard -----------------------------------------------------------------------


def plan(modulo: int, batch: int) -> list[dict[str, int]]:
    """The DAG's plan task: shard sizes, passed to each shard as ``users_total``."""
    from roster.db import engine_for
    from roster.warmup import UserCacheWarmer, WarmupOptions

    engine = engine_for()
    try:
        return UserCacheWarmer(engine, None).plan(WarmupOptions.from_params({"modulo": modulo, "batch": batch}))
    finally:
        engine.dispose()


def shard_process(modulo: int, remainder: int, users_total: int, batch: int, barrier, results) -> None:
    """One mapped warm task: its own engine and Redis client, then warm_shard. Runs in a spawned process.

    The barrier makes the shards start together once every process has imported Airflow and connected, so the
    measured wall time is the warming, not the staggered start-up of fresh interpreters.
    """
    try:
        from roster.db import engine_for
        from roster.warmup import UserCacheWarmer, WarmupOptions, redis_for

        engine = engine_for()
        warmer = UserCacheWarmer(engine, redis_for())
        options = WarmupOptions.from_params({"modulo": modulo, "batch": batch})
        warmer.writer.ping()
        barrier.wait(BARRIER_TIMEOUT)
        result = warmer.warm_shard(options, remainder, users_total=users_total)
        engine.dispose()
        results.put(
            {
                "remainder": remainder,
                "users_warmed": result.users_warmed,
                "users_failed": result.users_failed,
                "users_without_assignments": result.users_without_assignments,
                "errors": result.errors,
                "started_at": result.started_at,
                "finished_at": result.started_at + result.seconds,
                "seconds": result.seconds,
            }
        )
    except BaseException as exc:  # report it: the parent waits for one message per shard
        results.put({"remainder": remainder, "error": f"{type(exc).__name__}: {exc}"})
        raise


def roster_warmup(modulo: int, batch: int) -> dict[str, Any]:
    """Every shard of ``modulo`` at once, each in its own fresh process; totals and users/s over the wall time."""
    shards = plan(modulo, batch)
    # spawn, not fork: each shard starts as a clean interpreter, as a task process does, and inherits no
    # connections or threads of this one.
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(shards))
    results = context.Queue()
    processes = [
        context.Process(
            target=shard_process,
            args=(modulo, shard["remainder"], shard["users"], batch, barrier, results),
            name=f"shard-{shard['remainder']}",
        )
        for shard in shards
    ]
    for process in processes:
        process.start()
    try:
        reports = [results.get(timeout=SHARD_TIMEOUT) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=60)
            if process.is_alive():
                process.kill()
                process.join(timeout=10)
    failed = [report["error"] for report in reports if "error" in report]
    if failed:
        raise SystemExit(f"a shard process failed: {failed[0]}")
    wall = max(r["finished_at"] for r in reports) - min(r["started_at"] for r in reports)
    users = sum(r["users_warmed"] for r in reports)
    return {
        "users_warmed": users,
        "users_failed": sum(r["users_failed"] for r in reports),
        "users_without_assignments": sum(r["users_without_assignments"] for r in reports),
        "errors": [e for r in reports for e in r["errors"]][:5],
        "wall": wall,
        "users_per_second": users / wall,
        "shards": sorted(reports, key=lambda r: r["remainder"]),
    }


def count_keys(redis_client, pattern: str) -> int:
    # SCAN walks the keyspace once and ends: bounded by the number of keys.
    return sum(1 for _ in redis_client.scan_iter(pattern, count=10_000))


def spot_check(redis_client, expected: dict[str, bytes]) -> tuple[int, int, list[str]]:
    """(identical bytes, equal as JSON, usernames that differ or lack a TTL) for the sampled users."""
    identical = equal = 0
    bad = []
    for username, document in expected.items():
        key = f"user.{username}"
        cached = redis_client.get(key)
        ttl = redis_client.ttl(key)
        if cached == document:
            identical += 1
        if cached is not None and orjson.loads(cached) == orjson.loads(document):
            equal += 1
        else:
            bad.append(username)
        if ttl <= 0 and username not in bad:
            bad.append(f"{username} (no TTL)")
    return identical, equal, bad


# -- modes --------------------------------------------------------------------------------------------------------


def naive_baseline(redis_client, args: argparse.Namespace) -> dict[str, Any]:
    """The naive loop on the first --naive-users users of the current database, and the reference documents of
    the spot checks (built by the naive code, untimed, for users drawn from ALL users)."""
    naive = NaiveWarmer(redis_client)
    try:
        with naive.engine.connect() as conn:
            first_users = text("SELECT username FROM users ORDER BY id LIMIT :n")
            sample = [row[0] for row in conn.execute(first_users, {"n": args.naive_users})]
        redis_client.flushdb()
        warmed, seconds = naive.warm(sample)
        naive.raw.rollback()  # a fresh snapshot for the reference documents below
        with naive.engine.connect() as conn:
            max_id = conn.execute(text("SELECT MAX(id) FROM users")).scalar_one()
            ids = random.Random(args.seed).sample(range(1, max_id + 1), min(SPOT_CHECKS, max_id))
            query = text("SELECT username FROM users WHERE id IN :ids").bindparams(bindparam("ids", expanding=True))
            names = [row[0] for row in conn.execute(query, {"ids": ids})]
        expected = {name: naive.document(name) for name in names}
    finally:
        naive.close()
    return {"users_warmed": warmed, "wall": seconds, "users_per_second": warmed / seconds, "expected": expected}


def checked_run(label: str, modulo: int, batch: int, check_client, expected: dict[str, bytes]) -> dict[str, Any]:
    """One roster run (every shard in its own process) on an emptied cache, then its keys and spot checks."""
    check_client.flushall() if isinstance(check_client, ClusterClient) else check_client.flushdb()
    run = roster_warmup(modulo, batch)
    run["label"] = label
    run["user_keys"] = count_keys(check_client, "user.*")
    run["line_item_keys"] = count_keys(check_client, "lineItem.*")
    run["identical"], run["equal"], run["bad"] = spot_check(check_client, expected)
    return run


def cluster_run(batch: int, expected: dict[str, bytes]) -> dict[str, Any]:
    """One shard into a private three-master Redis Cluster (started here on free ports, stopped after)."""
    from roster.warmup import redis_for

    cluster = start_cluster(Path(os.environ["AIRFLOW_HOME"]) / "redis-cluster")
    standalone = os.environ["AIRFLOW_CONN_ROSTER_REDIS"]
    os.environ["AIRFLOW_CONN_ROSTER_REDIS"] = f"redis://127.0.0.1:{cluster.ports[0]}/0"  # cluster mode is detected
    try:
        client = redis_for()
        run = checked_run("roster, indexes, Redis Cluster of 3: one shard", 1, batch, client, expected)
        client.close()
        return run
    finally:
        os.environ["AIRFLOW_CONN_ROSTER_REDIS"] = standalone
        cluster.stop()


def scoped_plan_seconds(slugs: int = 5, repeat: int = 3) -> float:
    """Best of ``repeat`` plans of a run scoped by the first ``slugs`` line item slugs (what the line item index
    serves: the users holding an assignment of those line items)."""
    from roster.db import engine_for
    from roster.warmup import UserCacheWarmer, WarmupOptions

    engine = engine_for()
    try:
        options = WarmupOptions.from_params({"line_item_slugs": [f"line-item-{i}" for i in range(1, slugs + 1)]})
        warmer = UserCacheWarmer(engine, None)
        timings = []
        for _ in range(repeat):
            started = time.perf_counter()
            warmer.plan(options)
            timings.append(time.perf_counter() - started)
        return min(timings)
    finally:
        engine.dispose()


def compare(args: argparse.Namespace) -> None:
    from roster.warmup import redis_for

    ensure_seeded(BENCH_DB, args.users, args.assignments_per_user, args.line_items, reuse=args.skip_seed)
    users_in_db = scalar("SELECT COUNT(*) FROM users")
    copy_to_application_schema(users_in_db, reuse=args.skip_seed)
    redis_client = redis_for()
    naive = {}
    for database in (APP_DB, BENCH_DB):
        use_database(database)
        naive[database] = naive_baseline(redis_client, args)
        naive[database]["scoped_plan"] = scoped_plan_seconds()
    expected = naive[BENCH_DB]["expected"]  # the same rows in both databases
    # Rounds interleave the schemas, and each row keeps its best round: other work on the machine then skews
    # both schemas alike instead of whichever ran during a burst. Every round's work is checked.
    # The last plan reads on one connection (ROSTER_WARMUP_READ_CONNECTIONS=1), as the ceiling does: what the
    # second read connection of a shard buys.
    plans = [
        (APP_DB, "roster, application schema: one shard", 1, None),
        (BENCH_DB, "roster, recommended indexes: one shard", 1, None),
        (BENCH_DB, "roster, recommended indexes: modulo 2", 2, None),
        (APP_DB, "roster, application schema: 1 read connection", 1, "1"),
    ]
    every_run, best, ceilings, cli = [], {}, {APP_DB: [], BENCH_DB: []}, []
    for _ in range(args.rounds):
        for database in (APP_DB, BENCH_DB):
            ceilings[database].append(read_ceiling(database))
        for database, label, modulo, read_connections in plans:
            use_database(database)
            with read_connections_set(read_connections):
                run = checked_run(label, modulo, args.batch, redis_client, expected)
            every_run.append(run)
            if label not in best or run["users_per_second"] > best[label]["users_per_second"]:
                best[label] = run
        use_database(BENCH_DB)
        cli.append(cli_runs(redis_client))
    runs = [best[label] for _, label, _, _ in plans]
    if not args.no_cluster:
        runs.append(cluster_run(args.batch, expected))
        every_run.append(runs[-1])
    redis_client.flushdb()
    ceiling = {db: max(runs, key=lambda r: r["users_per_second"]) for db, runs in ceilings.items()}
    report(args, users_in_db, naive, runs, every_run, expected, ceiling, cli)


@contextlib.contextmanager
def read_connections_set(value: str | None):
    """``ROSTER_WARMUP_READ_CONNECTIONS`` for the shard processes spawned meanwhile (None: roster's default)."""
    name = "ROSTER_WARMUP_READ_CONNECTIONS"
    before = os.environ.pop(name, None)
    if value is not None:
        os.environ[name] = value
    try:
        yield
    finally:
        os.environ.pop(name, None)
        if before is not None:
            os.environ[name] = before


def cli_runs(redis_client) -> dict:
    """``roster warm`` as a fresh process: the full warm (modulo 1), then one user."""
    env = dict(os.environ)
    redis_client.flushdb()
    full = roster_cli(["warm", "--modulo", "1"], env)
    one = roster_cli(["warm", "--usernames", "user_5"], env)
    return {"full": full, "one": one}


def report(args, users_in_db, naive, runs, every_run, expected, ceiling, cli) -> None:
    plain, indexed = naive[APP_DB], naive[BENCH_DB]
    print(f"\nusers: {users_in_db:,} ({APP_DB}: the application's schema, plain KEY(user_id) and KEY(line_item_id); "
          f"{BENCH_DB}: the same rows with roster's recommended indexes); the naive loop warms the first "
          f"{plain['users_warmed']:,}, roster all {users_in_db:,}, batch {args.batch}; best of {args.rounds} "
          f"interleaved rounds\n")  # fmt: skip
    limit = ceiling[APP_DB]["users_per_second"]
    print(f"{'run':<50}{'users':>10}{'seconds':>9}{'users/s':>11}{'vs naive':>10}{'vs ceiling':>12}")
    rows = [("naive, application schema", plain, plain), ("naive, recommended indexes", indexed, indexed)]
    rows += [("read ceiling: the join as rows, application schema", ceiling[APP_DB], plain),
             ("read ceiling: the join as rows, recommended indexes", ceiling[BENCH_DB], indexed)]  # fmt: skip
    rows += [(run["label"], run, plain if "application" in run["label"] else indexed) for run in runs]
    for label, run, baseline in rows:
        rate = run["users_per_second"]
        print(f"{label:<50}{run['users_warmed']:>10,}{run['wall']:>9.2f}{rate:>11,.0f}"
              f"{rate / baseline['users_per_second']:>9.1f}x{rate / limit:>11.2f}x")  # fmt: skip
    for run in runs:
        for shard in run["shards"] if len(run["shards"]) > 1 else ():
            print(f"  {run['label']}, shard {shard['remainder']}: {shard['users_warmed']:,} users in "
                  f"{shard['seconds']:.2f} s ({shard['users_warmed'] / shard['seconds']:,.0f} users/s)")  # fmt: skip
    best_full = min(cli, key=lambda c: c["full"]["wall"])["full"]
    best_one = min(cli, key=lambda c: c["one"]["wall"])["one"]
    full_rate = best_full["output"]["users_warmed"] / best_full["wall"]
    print(f"\nroster warm --modulo 1 (recommended indexes), a fresh process: {best_full['wall']:.2f} s wall "
          f"({full_rate:,.0f} users/s, {full_rate / limit:.2f}x the ceiling), {best_full['output']['seconds']:.2f} s "
          f"by its own clock; first database connection {best_full['first_connect']:.3f} s after the process "
          f"started")  # fmt: skip
    print(f"roster warm --usernames user_5: {best_one['wall']:.2f} s wall, first database connection "
          f"{best_one['first_connect']:.3f} s after the process started (each: best of {len(cli)})")  # fmt: skip
    app_one, idx_one, idx_two = runs[0], runs[1], runs[2]
    print(f"\nwhat the recommended indexes buy: one shard {idx_one['users_per_second'] / app_one['users_per_second']:.2f}x "
          f"the rate on the application schema; a plan scoped by 5 line item slugs takes "
          f"{plain['scoped_plan'] * 1000:,.0f} ms on the application schema, {indexed['scoped_plan'] * 1000:,.0f} ms "
          f"with the indexes\n")  # fmt: skip
    one_connection = runs[3]
    print(f"what the second read connection buys: one shard on the application schema {app_one['users_per_second'] / one_connection['users_per_second']:.2f}x "
          f"the rate on one connection ({one_connection['users_per_second'] / limit:.2f}x the ceiling)\n")  # fmt: skip
    same_work = True
    for run in every_run:
        keys_ok = run["user_keys"] == users_in_db and run["users_failed"] == 0
        docs_ok = run["equal"] == len(expected) and not run["bad"]
        same_work = same_work and keys_ok and docs_ok
        verdict = "OK" if keys_ok and docs_ok else f"MISMATCH {', '.join(run['bad'][:5])} {'; '.join(run['errors'])}"
        print(
            f"check {run['label']}: {run['user_keys']:,} user.* keys ({run['users_without_assignments']:,} without "
            f"assignments, {run['users_failed']} failed), {run['line_item_keys']} lineItem.* keys; "
            f"{run['identical']}/{len(expected)} sampled documents byte-identical to the naive loop's, "
            f"{run['equal']}/{len(expected)} equal as JSON: {verdict}"
        )
    ratios = [
        ("application schema, one shard", app_one["users_per_second"] / plain["users_per_second"], APP_SCHEMA_MIN),
        ("recommended indexes, one shard", idx_one["users_per_second"] / indexed["users_per_second"], ONE_SHARD_MIN),
        ("recommended indexes, modulo 2", idx_two["users_per_second"] / indexed["users_per_second"], MODULO_2_MIN),
    ]
    ratios += [
        ("application schema, one shard vs the read ceiling", app_one["users_per_second"] / limit, CEILING_APP_MIN),
        ("recommended indexes, one shard vs the read ceiling", idx_one["users_per_second"] / limit, CEILING_INDEXED_MIN),
    ]
    verdicts = [f"{name} {ratio:.2f}x >= {floor:g}x: {'PASS' if ratio >= floor else 'FAIL'}" for name, ratio, floor in ratios]
    verdicts.append(f"roster warm --usernames user_5 {best_one['wall']:.2f} s <= {CLI_USERNAME_MAX} s: "
                    f"{'PASS' if best_one['wall'] <= CLI_USERNAME_MAX else 'FAIL'}")  # fmt: skip
    first = max(best_one["first_connect"], best_full["first_connect"])
    verdicts.append(f"first connection {first:.3f} s <= {FIRST_CONNECT_MAX} s: {'PASS' if first <= FIRST_CONNECT_MAX else 'FAIL'}")
    verdicts.append(f"same work: {'PASS' if same_work else 'FAIL'}")
    print(f"\nacceptance: {'; '.join(verdicts)}")


def profile(args: argparse.Namespace) -> None:
    from roster.db import engine_for
    from roster.warmup import UserCacheWarmer, WarmupOptions, redis_for

    ensure_seeded(BENCH_DB, args.users, args.assignments_per_user, args.line_items, reuse=True)
    engine = engine_for()
    redis_client = redis_for()
    redis_client.flushdb()
    warmer = UserCacheWarmer(engine, redis_client)
    options = WarmupOptions.from_params({"modulo": 1, "batch": args.batch})
    users_total = warmer.plan(options)[0]["users"]
    # cProfile sees only the thread it runs in, and warm_shard writes to Redis on a helper thread: profile that
    # thread's work with a second profiler (an instance attribute shadows the method; roster's code is unchanged).
    writer_profile = cProfile.Profile()
    write_users = warmer._write_users
    warmer._write_users = lambda *a: writer_profile.runcall(write_users, *a)  # type: ignore[method-assign]
    main_profile = cProfile.Profile()
    result = main_profile.runcall(warmer.warm_shard, options, 0, users_total=users_total)
    engine.dispose()
    redis_client.flushdb()
    print(f"\nprofiled one shard: {result.users_warmed:,} users in {result.seconds:.2f} s "
          f"({result.users_per_second:,.0f} users/s under cProfile)\n")  # fmt: skip
    print("== both threads (main: read + build; writer: Redis), top 15 by tottime")
    stats = pstats.Stats(main_profile).add(writer_profile)
    stats.sort_stats("tottime").print_stats(15)
    print("== writer thread alone, top 8 by tottime")
    pstats.Stats(writer_profile).sort_stats("tottime").print_stats(8)


def memory_child(database: str, batch: int) -> None:
    """Warm every user of ``database`` as one shard (modulo 1) and print the process's RSS figures as JSON."""
    from roster.db import engine_for
    from roster.warmup import UserCacheWarmer, WarmupOptions, redis_for

    use_database(database)
    engine = engine_for()
    warmer = UserCacheWarmer(engine, redis_for())
    options = WarmupOptions.from_params({"modulo": 1, "batch": batch})
    users_total = warmer.plan(options)[0]["users"]
    warmer.writer.ping()
    # Everything a task process holds before its first page (Airflow, drivers, connections): the base line.
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = warmer.warm_shard(options, 0, users_total=users_total)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    engine.dispose()
    print(json.dumps({"users": result.users_warmed, "failed": result.users_failed, "seconds": result.seconds,
                      "rss_before_kib": before, "rss_peak_kib": peak}))  # fmt: skip


def memory(args: argparse.Namespace) -> None:
    from roster.warmup import redis_for

    # Two databases from the same deterministic seeder: roster_bench_100k holds exactly the first 100k users of
    # roster_bench_1m, and both shards run the same code path (modulo 1, keyset pages over all users).
    for database, users in MEMORY_DBS:
        ensure_seeded(database, users, args.assignments_per_user, args.line_items, reuse=True)
    redis_client = redis_for()
    rows = []
    for database, _ in MEMORY_DBS:
        redis_client.flushdb()
        script = str(Path(__file__).resolve())
        command = [sys.executable, script, "--memory-child", database, "--batch", str(args.batch)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=SHARD_TIMEOUT, check=False)
        if done.returncode != 0:
            raise SystemExit(f"the shard process for {database} failed:\n{done.stderr[-2000:]}")
        report = json.loads(done.stdout.strip().splitlines()[-1])
        # Cross-check: RUSAGE_CHILDREN is the largest peak of the children reaped so far (100k runs first).
        report["children_max_kib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        rows.append((database, report))
    redis_client.flushdb()

    mib = 1024
    print(f"\n{'database':<20}{'users':>11}{'seconds':>9}{'RSS before warming':>20}{'peak RSS':>11}{'growth':>9}"
          f"{'RUSAGE_CHILDREN max':>21}")  # fmt: skip
    for database, r in rows:
        print(f"{database:<20}{r['users']:>11,}{r['seconds']:>9.1f}{r['rss_before_kib'] / mib:>16.1f} MiB"
              f"{r['rss_peak_kib'] / mib:>7.1f} MiB{(r['rss_peak_kib'] - r['rss_before_kib']) / mib:>5.1f} MiB"
              f"{r['children_max_kib'] / mib:>17.1f} MiB")  # fmt: skip
    small, large = rows[0][1], rows[1][1]
    ratio = large["rss_peak_kib"] / small["rss_peak_kib"]
    growth_small = small["rss_peak_kib"] - small["rss_before_kib"]
    growth_large = large["rss_peak_kib"] - large["rss_before_kib"]
    verdict = "PASS" if ratio <= RSS_RATIO_MAX else "FAIL"
    print(f"\npeak RSS 1M / 100k: {ratio:.3f} (acceptance <= {RSS_RATIO_MAX}: {verdict}); growth while warming: "
          f"{growth_small / mib:.1f} MiB for 100k, {growth_large / mib:.1f} MiB for 1M")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=200_000, help="users to seed in roster_bench (200,000)")
    parser.add_argument("--assignments-per-user", type=int, default=5)
    parser.add_argument("--line-items", type=int, default=50)
    parser.add_argument("--naive-users", type=int, default=20_000, help="users the naive loop warms (20,000)")
    parser.add_argument("--skip-seed", action="store_true", help="reuse roster_bench when it holds --users users")
    parser.add_argument("--batch", type=int, default=1000, help="warmup page size (the DAG's default, 1000)")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the spot-checked users")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds of the roster runs (best kept)")
    parser.add_argument("--no-cluster", action="store_true", help="skip the Redis Cluster run")
    parser.add_argument("--profile", action="store_true", help="cProfile the one-shard warmup")
    parser.add_argument("--memory", action="store_true", help="peak RSS of one shard: 100k vs 1M users")
    parser.add_argument("--memory-child", metavar="DATABASE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child, args.batch)
    elif args.profile:
        profile(args)
    elif args.memory:
        memory(args)
    else:
        compare(args)


if __name__ == "__main__":
    main()
