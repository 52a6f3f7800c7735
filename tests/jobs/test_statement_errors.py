"""A statement's own error is not a lost connection: the driver raises OperationalError for both (MariaDB's 1054
unknown column, SQLite's "no such column"), and a consumer used to wait such an error out for ten minutes, logging
"database connection lost, reconnecting". It now fails at once with the server's message; a connection killed
server-side (KILL CONNECTION) is still ridden through on a new connection."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from roster.errors import ServiceUnavailableError
from roster.jobs import JobQueue
from roster.jobs.connection import HeldConnection


def test_a_statement_error_fails_the_transaction_at_once(engine):
    store = JobQueue(engine).store
    held = HeldConnection(store)
    started = time.monotonic()
    with pytest.raises(store.dbapi.OperationalError, match="(?i)unknown column|no such column"):
        held.run(lambda tx: tx.rows_of("SELECT no_such_column FROM background_job"))
    assert time.monotonic() - started < 1.0  # no backoff, no retry
    held.close()


def test_a_connection_killed_server_side_is_ridden_through(maria):
    store = JobQueue(maria).store
    held = HeldConnection(store)
    first = held.run(lambda tx: tx.rows_of("SELECT CONNECTION_ID()")[0][0])
    with maria.connect() as admin:
        admin.execute(text(f"KILL CONNECTION {int(first)}"))
    second = held.run(lambda tx: tx.rows_of("SELECT CONNECTION_ID()")[0][0])
    assert second != first  # the same call, on a new connection
    held.close()


def test_the_killed_connection_error_is_a_connection_error_and_1054_is_not(maria):
    store = JobQueue(maria).store
    raw = store.connect()
    try:
        cursor = raw.cursor()
        with pytest.raises(store.dbapi.OperationalError) as bad_column:
            cursor.execute("SELECT no_such_column FROM background_job")
        assert bad_column.value.args[0] == 1054 and not store.is_connection_error(bad_column.value)
        cursor.execute("SELECT CONNECTION_ID()")
        (own_id,) = cursor.fetchone()
        with maria.connect() as admin:
            admin.execute(text(f"KILL CONNECTION {int(own_id)}"))
        with pytest.raises((store.dbapi.OperationalError, store.dbapi.InterfaceError)) as lost:
            cursor.execute("SELECT 1")
        assert store.is_connection_error(lost.value), lost.value
    finally:
        raw.invalidate()
    with pytest.raises(ServiceUnavailableError):  # and the store says so, naming the database
        with store.transaction() as tx:
            tx.rows_of("SELECT CONNECTION_ID()")
            with maria.connect() as admin:
                admin.execute(text("KILL CONNECTION " + str(int(tx.rows_of("SELECT CONNECTION_ID()")[0][0]))))
            tx.rows_of("SELECT 1")
