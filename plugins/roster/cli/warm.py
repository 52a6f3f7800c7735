"""``roster seed`` and ``roster warm``: demo data and the user cache warmup, as the DAGs run it."""

from __future__ import annotations

import argparse

from roster.cli.common import positive, print_json

# Up to this many users in all, the shards run one after another in the command's process: starting a process per
# shard would cost more than their work (a few usernames, say).
IN_PROCESS_USERS = 20_000


def cmd_seed(args: argparse.Namespace) -> int:
    from roster.connections import engine_for
    from roster.seed import seed

    engine = engine_for(args.db_conn_id)
    print_json(
        seed(
            engine,
            users=args.users,
            assignments_per_user=args.assignments_per_user,
            line_items=args.line_items,
            reset=args.reset,
        )
    )
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """``roster warm --verify``: the cache audit; writes nothing. Exit 1 when a document is stale or missing."""
    from roster.connections import engine_for, redis_for
    from roster.warmup import WarmupOptions
    from roster.warmup.audit import audit_cache

    from roster.errors import InvalidOptionError

    for option in ("line_item_slugs", "modulo", "remainder", "mode"):
        if getattr(args, option) is not None:
            raise InvalidOptionError(f"--verify checks --usernames or a --sample; --{option.replace('_', '-')} does not apply")
    usernames = WarmupOptions.from_params({"usernames": args.usernames}).usernames if args.usernames else None
    engine = engine_for(args.db_conn_id)
    client = redis_for(args.redis_conn_id)
    try:
        report = audit_cache(engine, client, usernames=usernames, sample=args.sample)
    finally:
        engine.dispose()
        client.close()
    print_json(report)
    return 1 if report["stale"] or report["missing"] else 0


def cmd_warm_or_verify(args: argparse.Namespace) -> int:
    return cmd_verify(args) if args.verify else cmd_warm(args)


def cmd_warm(args: argparse.Namespace) -> int:
    from roster.connections import engine_for
    from roster.warmup import UserCacheWarmer, WarmupOptions
    from roster.warmup.scope import MAX_NAMES_SHOWN, check_usernames

    params = {
        "usernames": args.usernames,
        "line_item_slugs": args.line_item_slugs,
        "batch": args.batch,
        "modulo": args.modulo,
        "remainder": args.remainder,
        "mode": args.mode,
    }
    options = WarmupOptions.from_params({k: v for k, v in params.items() if v is not None})
    engine = engine_for(args.db_conn_id)
    unknown = check_usernames(engine, options.usernames)  # all unknown: an error, not an empty success
    reported = {"users_unknown": len(unknown), "usernames_unknown": unknown[:MAX_NAMES_SHOWN]}
    if options.mode == "async":
        print_json({**_publish(args, UserCacheWarmer(engine, None), options), **reported})
        return 0
    plan = UserCacheWarmer(engine, None).plan(options)
    results = _warm_shards(args, engine, options, plan)
    summary = {**_summary(results), **reported}
    print_json(summary)
    return 1 if summary["users_failed"] else 0


def _publish(args: argparse.Namespace, warmer, options) -> dict[str, int]:
    """Async mode: the usernames of every shard in scope, as messages for the worker DAG."""
    from roster.connections import sqs_client
    from roster.warmup.messages import publish_usernames, warmup_queue_url

    queue_url = warmup_queue_url()
    client = sqs_client(args.sqs_conn_id)
    totals = {"messages": 0, "users_published": 0}
    for remainder in options.remainders:
        sent, users = publish_usernames(client, queue_url, warmer.shard_usernames(options, remainder))
        totals["messages"] += sent
        totals["users_published"] += users
    return totals


def _warm_shards(args: argparse.Namespace, engine, options, plan: list[dict]) -> list:
    """Small runs in this process; others shard by shard in processes side by side, as the DAG's mapped tasks."""
    jobs = [(args.db_conn_id, args.redis_conn_id, options, shard["remainder"], shard["users"]) for shard in plan]
    small = len(plan) == 1 or sum(shard["users"] for shard in plan) <= IN_PROCESS_USERS
    if args.parallel == 1 or (args.parallel is None and small):
        return _warm_in_process(engine, jobs)
    from concurrent.futures import ProcessPoolExecutor

    engine.dispose()
    with ProcessPoolExecutor(max_workers=args.parallel or len(plan)) as pool:
        return list(pool.map(_warm_one_shard, jobs))


def _summary(results: list) -> dict:
    """The shards' counts added up, the run's wall time from the first shard's start to the last one's end."""
    summary = {
        key: sum(getattr(result, key) for result in results)
        for key in ("users_warmed", "users_without_assignments", "users_failed")
    }
    seconds = (max(r.started_at + r.seconds for r in results) - min(r.started_at for r in results)) if results else 0.0
    summary.update(
        shards=len(results),
        seconds=round(seconds, 3),
        users_per_second=round(summary["users_warmed"] / seconds, 1) if seconds else 0.0,
        errors=[error for result in results for error in result.errors][:10],
        # Keys written before a Redis restart are gone: these shards should be warmed again.
        redis_reconnected_shards=[result.remainder for result in results if result.redis_reconnected],
    )
    return summary


def _warm_in_process(engine, jobs: list) -> list:
    """The shards one after another in this process, on one engine, Redis client and schema read."""
    from roster.connections import redis_for
    from roster.warmup import UserCacheWarmer

    redis_conn_id = jobs[0][1]
    warmer = UserCacheWarmer(engine, redis_for(redis_conn_id), redis_conn_id=redis_conn_id)
    try:
        return [warmer.warm_shard(options, remainder, users_total=users) for _, _, options, remainder, users in jobs]
    finally:
        engine.dispose()


def _warm_one_shard(job):
    from roster.connections import engine_for, redis_for
    from roster.warmup import UserCacheWarmer

    db_conn_id, redis_conn_id, options, remainder, users_total = job
    engine = engine_for(db_conn_id)
    try:
        warmer = UserCacheWarmer(engine, redis_for(redis_conn_id), redis_conn_id=redis_conn_id)
        return warmer.warm_shard(options, remainder, users_total=users_total)
    finally:
        engine.dispose()


def add_warm_subcommands(commands) -> None:
    seed = commands.add_parser("seed", help="create the roster tables and fill them with demo data")
    seed.add_argument("--users", type=positive, default=1000)
    seed.add_argument("--assignments-per-user", type=positive, default=5)
    seed.add_argument("--line-items", type=positive, default=50)
    seed.add_argument("--reset", action="store_true", help="replace the users a database already holds")
    seed.set_defaults(handler=cmd_seed)

    warm = commands.add_parser("warm", help="warm the user cache now (or publish async warmup messages)")
    warm.add_argument("-u", "--usernames", help="only these users: comma (or newline) separated usernames")
    warm.add_argument("-l", "--line-item-slugs", help="only users assigned to these line items: comma separated slugs")
    warm.add_argument("-b", "--batch", type=positive, help="users per page (default 1000)")
    warm.add_argument("--modulo", type=positive, help="number of shards (default 4)")
    warm.add_argument("--remainder", type=positive, help="warm only this shard")
    warm.add_argument("--mode", choices=("sync", "async"), help="async: publish messages to ROSTER_WARMUP_QUEUE_URL")
    warm.add_argument("--parallel", type=positive,
                      help="shards at once, each in its own process (default: all; one process for small runs)")
    warm.add_argument("--verify", action="store_true",
                      help="write nothing: compare cached documents with the database (fresh / stale / missing)")
    warm.add_argument("--sample", type=positive, default=100,
                      help="with --verify and no --usernames: how many users to check (default 100, at most 1000)")
    warm.set_defaults(handler=cmd_warm_or_verify)
