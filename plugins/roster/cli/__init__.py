"""The ``roster`` command line: the same domain code and connections as the DAGs, without a scheduler.

Errors are one line on stderr and a non-zero exit; ``-vv`` shows the traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Sequence

from roster import __version__, settings
from roster.cli.db import add_db_subcommands
from roster.cli.deployment import add_deployment_subcommands
from roster.cli.error_lines import check_text_arguments, service_error
from roster.cli.jobs import add_jobs_subcommands
from roster.cli.warm import add_warm_subcommands

log = logging.getLogger("roster.cli")


class RosterParser(argparse.ArgumentParser):
    """No abbreviations (``--modul 2`` is an error, not ``--modulo 2``); sub-commands' parsers are of this class too."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs["allow_abbrev"] = False
        super().__init__(*args, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    parser = RosterParser(prog="roster", description=__doc__)
    parser.add_argument("--version", action="version", version=f"roster {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="-v: info logs, -vv: debug and tracebacks")
    parser.add_argument("--db-conn-id", default=settings.DB_CONN_ID, help="Airflow connection of the roster database")
    parser.add_argument("--redis-conn-id", default=settings.REDIS_CONN_ID, help="Airflow connection of the cache")
    parser.add_argument("--sqs-conn-id", default=settings.SQS_CONN_ID, help="Airflow connection of SQS")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    add_warm_subcommands(commands)
    add_jobs_subcommands(commands)
    add_db_subcommands(commands)
    add_deployment_subcommands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    check_text_arguments(parser, args)
    level = ("WARNING", "INFO", "DEBUG")[min(args.verbose, 2)]
    # Airflow is imported only by the commands that need it (a connection not in the environment, an Airflow
    # Variable): it costs about a second. When it is, it configures logging: tell it the level first.
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", level)
    logging.basicConfig(stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("roster").setLevel(level)
    try:
        # stdout carries the command's result (JSON, a job id) through print_result; anything else written to
        # stdout meanwhile (Airflow's log handler, once imported) goes to stderr.
        with contextlib.redirect_stdout(sys.stderr):
            return args.handler(args)
    except KeyboardInterrupt:
        print("roster: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        message = service_error(exc)
        if message is None or args.verbose >= 2:
            raise
        print(f"roster: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
