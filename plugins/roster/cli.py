"""The ``roster`` command line: the same domain code and connections as the DAGs, without a scheduler.

Errors are one line on stderr and a non-zero exit; ``-vv`` shows the traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

import orjson

from roster import settings
from roster.errors import RosterError

log = logging.getLogger("roster.cli")


def non_negative(kind=int):
    """An argparse type: a number of ``kind`` that is not negative, with a one-line error otherwise."""

    def convert(value: str):
        try:
            number = kind(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
        if number < 0:
            raise argparse.ArgumentTypeError(f"{value} must not be negative")
        return number

    return convert


_positive = non_negative(int)


def _print_json(data) -> None:
    sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode() + "\n")


def cmd_seed(args: argparse.Namespace) -> int:
    from roster.db import engine_for
    from roster.seed import seed

    engine = engine_for(args.db_conn_id)
    _print_json(
        seed(
            engine,
            users=args.users,
            assignments_per_user=args.assignments_per_user,
            line_items=args.line_items,
            reset=args.reset,
        )
    )
    return 0


def cmd_warm(args: argparse.Namespace) -> int:
    from concurrent.futures import ProcessPoolExecutor

    from roster.db import engine_for
    from roster.warmup import UserCacheWarmer, WarmupOptions, redis_for
    from roster.warmup.messages import publish_usernames, sqs_client, warmup_queue_url

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
    if options.mode == "async":
        queue_url = warmup_queue_url()
        warmer = UserCacheWarmer(engine, None)
        client = sqs_client(args.sqs_conn_id)
        totals = {"messages": 0, "users_published": 0}
        for remainder in options.remainders:
            sent, users = publish_usernames(client, queue_url, warmer.shard_usernames(options, remainder))
            totals["messages"] += sent
            totals["users_published"] += users
        _print_json(totals)
        return 0
    plan = UserCacheWarmer(engine, None).plan(options)
    engine.dispose()
    # Shards side by side in their own processes, as the DAG's mapped tasks run them.
    jobs = [(args.db_conn_id, args.redis_conn_id, options, shard["remainder"], shard["users"]) for shard in plan]
    with ProcessPoolExecutor(max_workers=args.parallel or len(plan) or 1) as pool:
        results = list(pool.map(_warm_one_shard, jobs))
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
    )
    _print_json(summary)
    return 1 if summary["users_failed"] else 0


def _warm_one_shard(job):
    from roster.db import engine_for
    from roster.warmup import UserCacheWarmer, redis_for

    db_conn_id, redis_conn_id, options, remainder, users_total = job
    engine = engine_for(db_conn_id)
    try:
        warmer = UserCacheWarmer(engine, redis_for(redis_conn_id), redis_conn_id=redis_conn_id)
        return warmer.warm_shard(options, remainder, users_total=users_total)
    finally:
        engine.dispose()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="roster", description=__doc__)
    parser.add_argument("-v", "--verbose", action="count", default=0, help="-v: info logs, -vv: debug and tracebacks")
    parser.add_argument("--db-conn-id", default=settings.DB_CONN_ID, help="Airflow connection of the roster database")
    parser.add_argument("--redis-conn-id", default=settings.REDIS_CONN_ID, help="Airflow connection of the cache")
    parser.add_argument("--sqs-conn-id", default=settings.SQS_CONN_ID, help="Airflow connection of SQS")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    seed = commands.add_parser("seed", help="create the roster tables and fill them with demo data")
    seed.add_argument("--users", type=_positive, default=1000)
    seed.add_argument("--assignments-per-user", type=_positive, default=5)
    seed.add_argument("--line-items", type=_positive, default=50)
    seed.add_argument("--reset", action="store_true", help="replace the users a database already holds")
    seed.set_defaults(handler=cmd_seed)

    warm = commands.add_parser("warm", help="warm the user cache now (or publish async warmup messages)")
    warm.add_argument("-u", "--usernames", help="comma separated usernames to scope the warmup")
    warm.add_argument("-l", "--line-item-slugs", help="comma separated line item slugs to scope the warmup")
    warm.add_argument("-b", "--batch", type=_positive, help="users per page (default 1000)")
    warm.add_argument("--modulo", type=_positive, help="number of shards (default 4)")
    warm.add_argument("--remainder", type=_positive, help="warm only this shard")
    warm.add_argument("--mode", choices=("sync", "async"), help="async: publish messages to ROSTER_WARMUP_QUEUE_URL")
    warm.add_argument("--parallel", type=_positive, help="shards at once (default: all)")
    warm.set_defaults(handler=cmd_warm)

    try:
        from roster.jobs.cli import add_jobs_subcommands
    except ImportError:
        pass
    else:
        add_jobs_subcommands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # Airflow configures logging when first imported (by the connection look-up): tell it the level first.
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", ("WARNING", "INFO", "DEBUG")[min(args.verbose, 2)])
    import airflow  # noqa: F401 - configures logging on import; then its handlers are pointed at stderr

    for handler in logging.getLogger().handlers:
        # stdout carries the command's result (JSON, a job id): logs and progress go to stderr.
        if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stdout:
            handler.setStream(sys.stderr)
    logging.getLogger("roster").setLevel((logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose, 2)])
    try:
        return args.handler(args)
    except RosterError as exc:
        if args.verbose >= 2:
            raise
        print(f"roster: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("roster: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
