"""``roster jobs ...``: publish, process, stats, batches, update-schema, clear-finished, failed show|retry|remove,
stop-consumers, cancel, pause|resume LANE. Wired into the main CLI by :func:`add_jobs_subcommands`."""

from __future__ import annotations

import argparse

from roster.cli.common import job_queue as _queue
from roster.cli.common import non_negative as _number
from roster.cli.common import print_json, print_result
from roster.cli.jobs_publish import add_publish
from roster.errors import InvalidOptionError, NoJobTableError


def _ids(values: list[str], all_flag: bool) -> list[int] | None:
    from roster.params import parse_ids

    if all_flag:
        return None
    if not values:
        raise InvalidOptionError("give job ids (1,2,3) or --all")
    return parse_ids(" ".join(values), param="ids")


def cmd_process(args) -> int:
    summary = _queue(args).process(
        priorities=args.priorities, limit=args.limit, time_limit=args.time_limit, memory_limit=args.memory_limit,
        batch=args.batch, worker=args.worker, handle_signals=True, idle_wait=args.idle_wait,
    )  # fmt: skip
    print_json(summary)
    return 0


def _no_job_table(queue, as_json: bool) -> bool:
    """On a database without the job table: say so (a state, not an error) and answer True."""
    try:
        queue.require_table()
    except NoJobTableError as state:
        print_json({"job_table": False, "message": str(state)}) if as_json else print_result(str(state))
        return True
    return False


def cmd_stats(args) -> int:
    queue = _queue(args)
    if _no_job_table(queue, args.json):
        return 0
    stats = {**queue.stats(), "late_renewals": late_renewals(queue)}
    if args.json:
        print_json(stats)
        return 0
    for queue, states in sorted(stats["queues"].items()):
        print_result(f"queue {queue}: " + ", ".join(f"{state} {count}" for state, count in sorted(states.items())))
    print_result("ready per lane: " + ", ".join(f"{lane} {n}" for lane, n in stats["ready_per_lane"].items()))
    age = stats["oldest_ready_age_seconds"]
    print_result("oldest ready job: " + ("none ready" if age is None else f"{age} s"))
    print_result(f"outcomes of stale claims discarded (superseded): {stats['superseded']}")
    for late in stats["late_renewals"]:
        print_result(
            f"late lease renewal: worker {late['worker'] or '-'} on {late['hostname']} pid {late['pid']} holds "
            f"{late['jobs']} job(s), last renewed {late['renewed_seconds_ago']} s ago (lease {late['lease_seconds']} s)"
        )
    return 0


def cmd_batches(args) -> int:
    queue = _queue(args)
    if _no_job_table(queue, args.json):
        return 0
    found = queue.batches(limit=args.limit)
    if args.json:
        print_json(found)
        return 0
    if not found:
        print_result(f"no batches in queue {queue.queue}")
    for batch in found:
        done = batch["finished"] + batch["failed"] + batch["cancelled"]
        print_result(
            f"batch {batch['id']} {batch['name']}: {batch['state']}, {done}/{batch['total']} ended (finished "
            f"{batch['finished']}, failed {batch['failed']}, cancelled {batch['cancelled']}), {batch['unfinished']} to "
            f"go; on_complete {batch['on_complete'] or '-'}; asset {batch['asset']}"
            + (f" announced {batch['announced_at']}" if batch["announced_at"] else "")
        )
    return 0


def late_renewals(queue) -> list[dict]:
    """Consumers more than half a lease behind on their renewals: stalled or starved, about to lose their jobs."""
    from roster.monitor.overview import QueueOverview

    return [c for c in QueueOverview(queue.engine, queue=queue.queue).consumers() if c["renewal_late"]]


def cmd_update_schema(args) -> int:
    added = _queue(args).update_schema()
    print_result("schema up to date" + (f"; added {', '.join(added)}" if added else ""))
    return 0


def cmd_clear_finished(args) -> int:
    print_result(_queue(args).clear_finished(args.days))
    return 0


def cmd_failed(args) -> int:
    queue = _queue(args)
    ids = _ids(args.ids, False) if args.action == "show" and args.ids else None
    if args.action != "show":
        ids = _ids(args.ids, args.all)  # bad input is refused first, naming the field
    if args.action == "show" and _no_job_table(queue, True):
        return 0
    queue.require_table()
    if args.action == "show":
        print_json(queue.failed(ids))
    elif args.action == "retry":
        print_result(queue.retry(ids))
    else:
        print_result(queue.remove(ids))
    return 0


def cmd_stop_consumers(args) -> int:
    _queue(args).stop_consumers()
    print_result("consumers running now will stop after their current job")
    return 0


def cmd_pause(args) -> int:
    from roster.jobs import pause

    pause.check_lane(args.lane)  # refused before the database is touched
    print_json((pause.pause if args.jobs_command == "pause" else pause.resume)(_queue(args).store, args.lane))
    return 0


def cmd_cancel(args) -> int:
    if bool(args.ids) == (args.identifier is not None):
        raise InvalidOptionError("give job ids (1,2,3) or --identifier, not both")
    ids = _ids(args.ids, False) if args.ids else ()
    print_json(_queue(args).cancel(ids, identifier=args.identifier))
    return 0


def add_jobs_subcommands(commands) -> None:
    jobs = commands.add_parser("jobs", help="the background job queue")
    jobs.add_argument("--queue", default="default", help="queue name (default: default)")
    # --queue is accepted after the sub-command too (roster jobs publish ... --queue Q); SUPPRESS keeps a value
    # given before it when it is not repeated after.
    queue_option = argparse.ArgumentParser(add_help=False)
    queue_option.add_argument("--queue", default=argparse.SUPPRESS, help="queue name (default: default)")
    sub = _SubParsers(jobs.add_subparsers(dest="jobs_command", required=True, metavar="COMMAND"), queue_option)

    add_publish(sub)
    _add_process(sub)
    _add_admin(sub)
    _add_cancel(sub)
    _add_pause(sub)


def _add_process(sub) -> None:
    process = sub.add_parser("process", help="run jobs until the lane is empty or a limit is reached")
    process.add_argument("-p", "--priorities", help="lane: 10, 20-40, 25-, -20")
    process.add_argument("--limit", type=_number(int))
    process.add_argument("--time-limit", type=_number(float), help="seconds")
    process.add_argument("--memory-limit", type=_number(float), help="MB of resident memory")
    process.add_argument("--batch", type=_number(int), help="jobs per claim (default: adapted to about 1 s of work)")
    process.add_argument("--idle-wait", type=_number(float), default=0.0,
                         help="seconds to go on looking for new jobs once the lane is empty (default 0: stop)")
    process.add_argument("--worker", help="recorded on each job (default: none)")
    process.set_defaults(handler=cmd_process)


def _add_admin(sub) -> None:
    stats = sub.add_parser("stats", help="counts per queue, state and lane")
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(handler=cmd_stats)

    batches = sub.add_parser("batches", help="progress per batch, newest first")
    batches.add_argument("--limit", type=_number(int), default=50, help="batches shown (default 50)")
    batches.add_argument("--json", action="store_true")
    batches.set_defaults(handler=cmd_batches)

    sub.add_parser("update-schema", help="create or upgrade the job table").set_defaults(handler=cmd_update_schema)

    clear = sub.add_parser("clear-finished", help="delete finished jobs older than DAYS (default 14)")
    clear.add_argument("days", nargs="?", type=_number(float), default=14)
    clear.set_defaults(handler=cmd_clear_finished)

    failed = sub.add_parser("failed", help="permanently failed jobs: show, retry, remove")
    failed.add_argument("action", choices=("show", "retry", "remove"))
    failed.add_argument("ids", nargs="*", help="job ids (comma or space separated)")
    failed.add_argument("--all", action="store_true", help="every failed job (retry, remove)")
    failed.set_defaults(handler=cmd_failed)

    sub.add_parser("stop-consumers", help="ask running consumers to stop after their current job").set_defaults(
        handler=cmd_stop_consumers
    )


def _add_pause(sub) -> None:
    for verb, says in (("pause", "stop claiming from a lane (its jobs keep their place)"),
                       ("resume", "claim from a paused lane again")):  # fmt: skip
        parser = sub.add_parser(verb, help=says)
        parser.add_argument("lane", help="a lane of pools.json (roster_jobs_urgent, roster_jobs_all)")
        parser.set_defaults(handler=cmd_pause)


def _add_cancel(sub) -> None:
    cancel = sub.add_parser("cancel", help="cancel jobs: not running ones at once, running ones are flagged")
    cancel.add_argument("ids", nargs="*", help="job ids (comma or space separated)")
    cancel.add_argument("--identifier", help="every job of the queue with this identifier")
    cancel.set_defaults(handler=cmd_cancel)


class _SubParsers:
    """``add_parser`` with the shared ``--queue`` option on every sub-command."""

    def __init__(self, subparsers, parent: argparse.ArgumentParser) -> None:
        self.subparsers = subparsers
        self.parent = parent

    def add_parser(self, name: str, **kwargs) -> argparse.ArgumentParser:
        return self.subparsers.add_parser(name, parents=[self.parent], **kwargs)
