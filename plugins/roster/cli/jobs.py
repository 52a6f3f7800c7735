"""``roster jobs ...``: publish, process, stats, update-schema, clear-finished, failed show|retry|remove,
stop-consumers, cancel, pause|resume LANE. Wired into the main CLI by :func:`add_jobs_subcommands`."""

from __future__ import annotations

import argparse

import orjson

from roster.cli.common import non_negative as _number
from roster.cli.common import print_json, print_result
from roster.errors import InvalidOptionError, NoJobTableError


def _queue(args):
    from roster.jobs.broker import SqsBroker
    from roster.jobs.job_queue import JobQueue
    from roster.settings import env_or_variable

    url = env_or_variable("ROSTER_JOBS_QUEUE_URL")
    broker = SqsBroker(url, aws_conn_id=args.sqs_conn_id) if url else None
    return JobQueue.from_conn_id(args.db_conn_id, queue=args.queue, broker=broker)


def _ids(values: list[str], all_flag: bool) -> list[int] | None:
    from roster.params import parse_ids

    if all_flag:
        return None
    if not values:
        raise InvalidOptionError("give job ids (1,2,3) or --all")
    return parse_ids(" ".join(values), param="ids")


def cmd_publish(args) -> int:
    if args.from_file:
        if args.callback or args.params:
            raise InvalidOptionError("give a CALLBACK (with --params) or --from-file, not both")
        return _publish_file(args)
    if not args.callback:
        raise InvalidOptionError("give the job callback's name, or --from-file JOBS.jsonl")
    try:
        parameters = orjson.loads(args.params) if args.params else {}
    except orjson.JSONDecodeError as exc:
        raise InvalidOptionError(f"--params is not JSON: {exc}") from None
    job_id = _queue(args).publish(
        args.callback, parameters, serial_group=args.serial_group, identifier=args.identifier, unique=args.unique,
        priority=args.priority, delay=args.delay, queue=args.queue,
    )  # fmt: skip
    print_result(job_id)
    return 0


FILE_FIELDS = ("callback", "params", "priority", "serial_group", "identifier", "unique", "delay", "queue")


def _publish_file(args) -> int:
    """One job a line (``{"callback": ..., "params": {...}}`` plus publish's options): every line checked first, by
    the publisher's own checks (each once), then one bulk insert; prints the ids, one a line. A bad line is named
    (``jobs.jsonl line 7: ...``) and nothing is published."""
    from roster.jobs.publisher import new_job
    from roster.params import refuse_unknown

    jobs = []
    for number, line in _lines(args.from_file):
        try:
            entry = orjson.loads(line)
            if not isinstance(entry, dict) or not isinstance(entry.get("callback"), str):
                raise InvalidOptionError('a line must be a JSON object with "callback" (and "params")')
            refuse_unknown(entry, FILE_FIELDS)
            options = {"queue": args.queue, **{k: entry[k] for k in FILE_FIELDS[2:] if k in entry}}
            jobs.append(new_job(entry["callback"], entry.get("params") or {}, default_queue=args.queue, **options))
        except (orjson.JSONDecodeError, InvalidOptionError) as exc:
            raise InvalidOptionError(f"{args.from_file} line {number}: {exc}") from None
    ids = _queue(args).publish_checked(jobs)
    print_result("\n".join(str(job_id) for job_id in ids))
    return 0


def _lines(path: str):
    try:
        with open(path, encoding="utf-8") as file:
            lines = file.read().splitlines()
    except OSError as exc:
        raise InvalidOptionError(f"--from-file {path}: {exc.strerror}") from None
    return [(number, line) for number, line in enumerate(lines, 1) if line.strip()]


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

    _add_publish(sub)
    _add_process(sub)
    _add_admin(sub)
    _add_cancel(sub)
    _add_pause(sub)


def _add_publish(sub) -> None:
    publish = sub.add_parser("publish", help="publish a job; prints its id")
    publish.add_argument("callback", nargs="?")
    publish.add_argument("--from-file", metavar="JOBS.jsonl",
                         help='many jobs, one JSON object a line ({"callback": ..., "params": {...}}), one bulk insert')
    publish.add_argument("--params", help="JSON object of the callback's keyword arguments")
    publish.add_argument("--serial-group")
    publish.add_argument("--identifier")
    publish.add_argument("--unique", action="store_true")
    publish.add_argument("--priority", type=int)
    publish.add_argument("--delay", type=_number(float), help="seconds before it may run")
    publish.set_defaults(handler=cmd_publish)


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
