"""What every ``roster`` sub-command shares: argument types and printing the result on stdout."""

from __future__ import annotations

import argparse
import math
import sys

import orjson


def non_negative(kind=int):
    """An argparse type: a finite number of ``kind`` that is not negative, with a one-line error otherwise
    (``nan`` and ``inf`` would silently disable a limit)."""

    def convert(value: str):
        try:
            number = kind(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
        if not math.isfinite(number):
            raise argparse.ArgumentTypeError(f"{value} is not a finite number")
        if number < 0:
            raise argparse.ArgumentTypeError(f"{value} must not be negative")
        return number

    return convert


positive = non_negative(int)


# The command's result goes to the real stdout; main() sends everything else written to stdout to stderr.
_RESULT = sys.stdout


def print_result(text: object) -> None:
    """One line (or block) of the command's result on stdout."""
    _RESULT.write(f"{text}\n")
    _RESULT.flush()


def print_json(data) -> None:
    print_result(orjson.dumps(data, option=orjson.OPT_INDENT_2, default=str).decode())


def job_queue(args):
    """The JobQueue a ``roster jobs`` command works on: the connection, queue and broker its options name."""
    from roster.jobs.broker import SqsBroker
    from roster.jobs.job_queue import JobQueue
    from roster.settings import env_or_variable

    url = env_or_variable("ROSTER_JOBS_QUEUE_URL")
    broker = SqsBroker(url, aws_conn_id=args.sqs_conn_id) if url else None
    return JobQueue.from_conn_id(args.db_conn_id, queue=args.queue, broker=broker)
