"""``roster jobs publish``: one job from the command line, or many from a JSON-lines file in one bulk insert."""

from __future__ import annotations

import orjson

from roster.cli.common import job_queue as _queue
from roster.cli.common import non_negative as _number
from roster.cli.common import print_result
from roster.errors import InvalidOptionError


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
        priority=args.priority, delay=args.delay, queue=args.queue, concurrency_key=args.concurrency_key,
        concurrency=args.concurrency, rate_key=args.rate_key, unique_for=args.unique_for,
        unique_states=args.unique_states.split(",") if args.unique_states else None,
    )  # fmt: skip
    print_result(job_id)
    return 0


FILE_FIELDS = ("callback", "params", "priority", "serial_group", "identifier", "unique", "delay", "queue",
               "concurrency_key", "concurrency", "rate_key", "unique_for", "unique_states")  # fmt: skip


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


def add_publish(sub) -> None:
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
    publish.add_argument("--concurrency-key", help="at most --concurrency (or the callback's) PROCESSING with this key")
    publish.add_argument("--concurrency", type=int, help="this job's concurrency limit (default: the callback's)")
    publish.add_argument("--rate-key", help="the callback's rate limit counts per this key")
    publish.add_argument("--unique-for", type=_number(float), help="seconds: REDUNDANT if its identifier was published")
    publish.add_argument("--unique-states", help="REDUNDANT while a job of its identifier is in one: READY,PROCESSING")
    publish.set_defaults(handler=cmd_publish)
