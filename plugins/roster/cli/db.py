"""``roster db check [--apply]``: whether the roster database fits the warmup, and its recommended indexes."""

from __future__ import annotations

import argparse

from roster.cli.common import print_result


def cmd_db_check(args: argparse.Namespace) -> int:
    from roster.connections import engine_for
    from roster.warmup.db_check import apply, check

    engine = engine_for(args.db_conn_id)
    try:
        report = check(engine)
        print_result("\n".join(report.lines()))
        if not report.ok:
            raise report.error()
        if args.apply:
            for ddl in apply(engine, report):
                print_result(f"created: {ddl}")
            if not report.missing:
                print_result("nothing to create: every recommended index is present")
    finally:
        engine.dispose()
    return 0


def add_db_subcommands(commands) -> None:
    db = commands.add_parser("db", help="the roster database: check it fits the warmup")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    check = db_commands.add_parser(
        "check", help="tables and columns the warmup needs; recommended indexes present or missing, with their DDL"
    )
    check.add_argument("--apply", action="store_true", help="create the missing recommended indexes (online DDL)")
    check.set_defaults(handler=cmd_db_check)
