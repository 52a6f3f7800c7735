"""Benchmark of the user cache warmup against the naive per-user loop, in one run on the same data.

    .venv/bin/python bench/warmup.py                 # seed 200,000 users x 5 assignments, 50 line items; compare
    .venv/bin/python bench/warmup.py --skip-seed     # reuse the seeded database
    .venv/bin/python bench/warmup.py --profile       # where the one-shard warmup spends its time
    .venv/bin/python bench/warmup.py --memory        # peak RSS of one shard process: 100k vs 1M users

The naive loop does what the upstream handler does per user: one joined query (user, assignments, line items)
and one SET with a TTL. It runs on the first --naive-users users (it is slow); users/s is its figure. The
project's warmup then warms all users, as one shard in one process, then as modulo 2 with both shards at once in
two processes, as the DAG's mapped tasks run them. Needs MariaDB on 127.0.0.1:3306 (root) and Redis on :6379.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import timezone

os.environ.setdefault("AIRFLOW_HOME", os.path.join(tempfile.gettempdir(), "roster-bench-airflow"))
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
MARIADB = os.environ.get("ROSTER_BENCH_MARIADB", "mysql://root@127.0.0.1:3306")
os.environ.setdefault("AIRFLOW_CONN_ROSTER_REDIS", "redis://127.0.0.1:6379/?db=5")

import orjson  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

TTL = 3600
NAIVE_QUERY = """
SELECT u.id, u.username, u.group_id, u.roles,
       a.id, a.state, a.attempts_count, a.updated_at,
       li.id, li.uri, li.label, li.slug, li.is_active, li.start_at, li.end_at, li.max_attempts
FROM users u
LEFT JOIN assignments a ON a.user_id = u.id
LEFT JOIN line_items li ON li.id = a.line_item_id
WHERE u.username = %s
ORDER BY a.id
"""


def use_database(name: str) -> None:
    admin = create_engine(MARIADB + "/")
    with admin.begin() as conn:
        conn.execute(text(f"CREATE DATABASE IF NOT EXISTS {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"))
    admin.dispose()
    os.environ["AIRFLOW_CONN_ROSTER_DB"] = f"{MARIADB}/{name}"


def user_count() -> int:
    from roster.db import engine_for

    engine = engine_for()
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT COUNT(*) FROM users")).scalar_one()
    except Exception:
        return 0
    finally:
        engine.dispose()


def seed_database(users: int, assignments_per_user: int, line_items: int) -> dict:
    from roster.db import engine_for
    from roster.seed import seed

    engine = engine_for()
    try:
        return seed(engine, users=users, assignments_per_user=assignments_per_user, line_items=line_items, reset=True)
    finally:
        engine.dispose()


def _iso(value):
    return value.replace(tzinfo=timezone.utc).isoformat() if value is not None else None


def naive_document(rows) -> bytes:
    user_id, username, group_id, roles = rows[0][:4]
    assignments = [
        {
            "id": r[4], "state": r[5], "attemptsCount": r[6], "updatedAt": _iso(r[7]),
            "lineItem": {"id": r[8], "uri": r[9], "label": r[10], "slug": r[11], "isActive": bool(r[12]),
                         "startDateTime": _iso(r[13]), "endDateTime": _iso(r[14]), "maxAttempts": r[15]},
        }  # fmt: skip
        for r in rows
        if r[4] is not None
    ]
    return orjson.dumps(
        {"id": user_id, "username": username, "groupId": group_id, "roles": orjson.loads(roles), "assignments": assignments}
    )


def naive_loop(usernames: list[str], redis_client) -> float:
    """One joined query and one SET per user; returns users/s."""
    from roster.db import engine_for

    engine = engine_for()
    raw = engine.raw_connection()
    cursor = raw.cursor()
    started = time.perf_counter()
    for username in usernames:
        cursor.execute(NAIVE_QUERY, (username,))
        redis_client.set(f"user.{username}", naive_document(cursor.fetchall()), ex=TTL)
    seconds = time.perf_counter() - started
    cursor.close()
    raw.close()
    engine.dispose()
    return len(usernames) / seconds


def warm_one_shard(job) -> tuple[int, float, float]:
    """Run in its own process, as a mapped task would: (users warmed, started_at, finished_at)."""
    modulo, remainder = job
    from roster.db import engine_for
    from roster.warmup import UserCacheWarmer, WarmupOptions, redis_for

    engine = engine_for()
    warmer = UserCacheWarmer(engine, redis_for())
    result = warmer.warm_shard(WarmupOptions(modulo=modulo), remainder)
    engine.dispose()
    return result.users_warmed, result.started_at, result.started_at + result.seconds


def project_warmup(modulo: int) -> tuple[int, float]:
    """Every shard at once, one process each; returns (users warmed, users/s over the wall time)."""
    with ProcessPoolExecutor(max_workers=modulo) as pool:
        results = list(pool.map(warm_one_shard, [(modulo, r) for r in range(modulo)]))
    users = sum(r[0] for r in results)
    wall = max(r[2] for r in results) - min(r[1] for r in results)
    return users, users / wall


def sample_usernames(limit: int) -> list[str]:
    from roster.db import engine_for

    engine = engine_for()
    with engine.connect() as conn:
        names = [row[0] for row in conn.execute(text("SELECT username FROM users ORDER BY id LIMIT :n"), {"n": limit})]
    engine.dispose()
    return names


def compare(args) -> None:
    from roster.warmup import redis_for

    use_database("roster_bench")
    if not args.skip_seed or user_count() != args.users:
        seeded = seed_database(args.users, args.assignments_per_user, args.line_items)
        print(f"seeded {seeded['users']:,} users, {seeded['assignments']:,} assignments, "
              f"{seeded['line_items']} line items in {seeded['seconds']:.1f} s")  # fmt: skip
    users = user_count()
    redis_client = redis_for()

    redis_client.flushdb()
    sample = sample_usernames(args.naive_users)
    naive = naive_loop(sample, redis_client)
    naive_docs = {name: orjson.loads(redis_client.get(f"user.{name}")) for name in random.Random(7).sample(sample, 20)}

    redis_client.flushdb()
    warmed_1, one_shard = project_warmup(1)
    count_1 = sum(1 for _ in redis_client.scan_iter("user.*", count=10_000))
    same = all(orjson.loads(redis_client.get(f"user.{name}")) == doc for name, doc in naive_docs.items())

    redis_client.flushdb()
    warmed_2, modulo_2 = project_warmup(2)
    count_2 = sum(1 for _ in redis_client.scan_iter("user.*", count=10_000))

    print(f"\nusers in the database: {users:,}; naive loop on the first {len(sample):,}\n")
    print(f"{'run':<34}{'users/s':>12}{'vs naive':>10}")
    print(f"{'naive: 1 query + 1 SET per user':<34}{naive:>12,.0f}{1:>9.1f}x")
    print(f"{'roster: one shard':<34}{one_shard:>12,.0f}{one_shard / naive:>9.1f}x")
    print(f"{'roster: modulo 2 (2 processes)':<34}{modulo_2:>12,.0f}{modulo_2 / naive:>9.1f}x")
    print(f"\nkeys written: one shard {count_1:,} (warmed {warmed_1:,}), modulo 2 {count_2:,} (warmed {warmed_2:,});"
          f" 20 sampled documents identical to the naive loop's: {same}")  # fmt: skip
    ok = one_shard / naive >= 12 and modulo_2 / naive >= 18 and count_1 == count_2 == users and same
    print(f"acceptance (one shard >= 12x, modulo 2 >= 18x, all users, same documents): {'PASS' if ok else 'FAIL'}")
    redis_client.flushdb()


def profile(args) -> None:
    from roster.db import engine_for
    from roster.warmup import UserCacheWarmer, WarmupOptions, redis_for

    use_database("roster_bench")
    if user_count() == 0:
        seed_database(args.users, args.assignments_per_user, args.line_items)
    engine = engine_for()
    warmer = UserCacheWarmer(engine, redis_for())
    profiler = cProfile.Profile()
    profiler.runcall(warmer.warm_shard, WarmupOptions(modulo=1), 0)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


def peak_rss_of_shard(database: str) -> tuple[int, float]:
    """Warm every user of ``database`` as one shard in a fresh process; its (users, peak RSS in MiB)."""
    env = dict(os.environ, AIRFLOW_CONN_ROSTER_DB=f"{MARIADB}/{database}")
    code = "import sys; sys.path.insert(0, 'bench'); import warmup; print(warmup.warm_one_shard((1, 0))[0])"
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"the shard process for {database} failed")
    return int(output.strip().splitlines()[-1]), usage.ru_maxrss / 1024


def memory(args) -> None:
    from roster.warmup import redis_for

    rows = []
    for database, users in (("roster_bench_100k", 100_000), ("roster_bench_1m", 1_000_000)):
        use_database(database)
        if user_count() != users:
            seeded = seed_database(users, args.assignments_per_user, args.line_items)
            print(f"seeded {database}: {seeded['users']:,} users in {seeded['seconds']:.1f} s")
        redis_for().flushdb()
        rows.append((database, *peak_rss_of_shard(database)))
    redis_for().flushdb()
    for database, users, rss in rows:
        print(f"{database:<20}{users:>12,} users   peak RSS {rss:8.1f} MiB")
    ratio = rows[1][2] / rows[0][2]
    print(f"1M / 100k peak RSS: {ratio:.2f} (acceptance <= 1.5: {'PASS' if ratio <= 1.5 else 'FAIL'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=200_000)
    parser.add_argument("--assignments-per-user", type=int, default=5)
    parser.add_argument("--line-items", type=int, default=50)
    parser.add_argument("--naive-users", type=int, default=20_000)
    parser.add_argument("--skip-seed", action="store_true", help="reuse roster_bench when it has --users users")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--memory", action="store_true")
    args = parser.parse_args()
    if args.profile:
        profile(args)
    elif args.memory:
        memory(args)
    else:
        compare(args)


if __name__ == "__main__":
    main()
