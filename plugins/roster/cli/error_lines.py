"""The ``roster`` command's error lines: every database, Redis and SQS failure as one line naming the service.

Driver messages name the server and the user at most (``Access denied for user 'x'@'h'``), never a password; only
their first line is kept (SQLAlchemy appends the statement and a link).
"""

from __future__ import annotations

import argparse

from roster.errors import RosterError


def service_error(exc: BaseException) -> str | None:
    """One line for a roster, database, Redis or SQS error; ``None`` for anything else (a bug: traceback)."""
    if isinstance(exc, RosterError):
        return str(exc)
    for service, kinds in _SERVICES:
        if isinstance(exc, kinds()):
            orig = getattr(exc, "orig", None) or exc
            reason = (str(orig).strip().splitlines() or [""])[0] or type(orig).__name__
            return f"{service} failed: {type(orig).__name__}: {reason}"[:500]
    return None


def _database() -> tuple[type, ...]:
    import MySQLdb
    import sqlite3

    from sqlalchemy.exc import SQLAlchemyError

    return SQLAlchemyError, MySQLdb.Error, sqlite3.Error


def _redis() -> tuple[type, ...]:
    from redis.exceptions import RedisClusterException, RedisError

    return RedisError, RedisClusterException


def _sqs() -> tuple[type, ...]:
    from botocore.exceptions import BotoCoreError, ClientError

    return BotoCoreError, ClientError


_SERVICES = (("roster database", _database), ("cache Redis", _redis), ("SQS", _sqs))


def check_text_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Arguments that are not UTF-8 (bytes the shell passed through) are refused by name before any use."""
    for name, value in vars(args).items():
        values = value if isinstance(value, list) else [value]
        for item in values:
            if isinstance(item, str):
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    parser.error(f"argument {name.replace('_', '-')}: {item!r} is not valid UTF-8")
