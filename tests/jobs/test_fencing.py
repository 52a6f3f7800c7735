"""A consumer stalled past its lease (SIGSTOP) has its job rescued and claimed by a second consumer; when the first
wakes while the second still runs the job, its outcome changes nothing: the row is the newest claim's in every
column, the discarded outcome is logged (job id, both consumers) and counted, and the callback ran twice at most.
On MariaDB and SQLite, for each mix of outcomes."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time

import orjson
import pytest
from sqlalchemy import text

from roster.cli.jobs import late_renewals
from roster.jobs import JobQueue, State, fencing
from roster.jobs.config import Deadline

from .conftest import runs
from .test_concurrency import _url

pytestmark = pytest.mark.slow

LEASE = 3  # seconds: the first consumer is stopped for longer


def _consumer(engine, lease: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.jobs.consumer", _url(engine), str(lease)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def _until(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def _row(engine, job_id: int) -> dict:
    with engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM background_job WHERE id = :id"), {"id": job_id}).mappings().one()
    return dict(row)


def _idle(engine) -> bool:
    """No transaction of the stopped consumer is open (its lease thread may have been stopped inside one)."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                conn.exec_driver_sql("ROLLBACK")
                return True
            except Exception:
                return False
        # Transactions on this database only: other sessions of the server (other suites) are none of its own.
        open_ = conn.execute(text(
            "SELECT COUNT(*) FROM information_schema.INNODB_TRX t JOIN information_schema.PROCESSLIST p "
            "ON p.ID = t.trx_mysql_thread_id WHERE p.DB = DATABASE() AND p.ID <> CONNECTION_ID()")).scalar_one()  # fmt: skip
        return open_ == 0


def _stop_between_transactions(proc, engine) -> None:
    for _ in range(50):  # bounded: a renewal takes milliseconds, one second apart
        os.kill(proc.pid, signal.SIGSTOP)
        time.sleep(0.05)
        if _idle(engine):
            return
        os.kill(proc.pid, signal.SIGCONT)
        time.sleep(0.05)
    raise AssertionError("the consumer never stopped outside a transaction")


@pytest.mark.parametrize(
    ("first", "second", "final"),
    [("ok", "ok", State.FINISHED), ("fail", "ok", State.FINISHED), ("ok", "fail", State.TEMPORARILY_FAILED)],
    ids=["both-finish", "stale-fails", "newest-fails"],
)
def test_a_stalled_consumer_cannot_overwrite_the_newest_claim(engine, first, second, final):
    queue = JobQueue(engine, lease_seconds=LEASE)
    job_id = queue.publish("stall", {"key": "k", "sleeps": [1.0, 3.0], "outcomes": [first, second]})
    stalled = _consumer(engine, LEASE)
    _until(lambda: runs(engine), 30, "the first run to start")
    _stop_between_transactions(stalled, engine)
    first_claim = _row(engine, job_id)["claim_id"]
    try:
        # Its heartbeat shows it before it loses its job: late renewing (over half a lease), lease not yet over.
        late = _until(lambda: late_renewals(queue), LEASE, "the stopped consumer to show late renewals")
        assert [(c["pid"], c["lease_expired"]) for c in late] == [(stalled.pid, False)]
        time.sleep(LEASE + 0.5)  # its lease expires: no renewal from a stopped process
        assert queue.rescue_expired() == {"rescued": 1, "failed": 0}
        second_consumer = _consumer(engine, 30)
        _until(lambda: len(runs(engine)) == 2, 30, "the second run to start")
        newest = _row(engine, job_id)
        assert newest["state"] == State.PROCESSING and newest["pid"] == second_consumer.pid
        assert newest["claim_id"] != first_claim
    finally:
        os.kill(stalled.pid, signal.SIGCONT)
    stale_out, stale_log = stalled.communicate(timeout=60)  # wakes, ends its run, writes, finds nothing, exits
    assert stalled.returncode == 0, stale_log

    during = _row(engine, job_id)  # the second consumer still runs it: untouched by the stale outcome
    assert {k: during[k] for k in ("state", "pid", "claim_id", "locked_until", "number_of_attempts")} == {
        k: newest[k] for k in ("state", "pid", "claim_id", "locked_until", "number_of_attempts")
    } or during["locked_until"] > newest["locked_until"]  # (or its lease was renewed meanwhile)
    assert during["state"] == State.PROCESSING and during["claim_id"] == newest["claim_id"]
    fresh_out, fresh_log = second_consumer.communicate(timeout=60)
    assert second_consumer.returncode == 0, fresh_log

    row = _row(engine, job_id)
    assert row["state"] == final and row["claim_id"] == newest["claim_id"] and row["pid"] == second_consumer.pid
    assert 2900 <= row["execution_time_ms"] < LEASE * 1000 + 2000  # the second run's 3 s, not the stalled one's
    assert row["number_of_attempts"] == 2
    if final is State.FINISHED:
        assert row["error_message"] is None and row["finished_at"] is not None
    else:
        assert row["error_message"] == "ConnectionError: run 1 failed"
    assert len(runs(engine)) == 2  # the callback ran twice, no third time
    stale_summary = orjson.loads(stale_out.strip().splitlines()[-1])
    assert stale_summary["superseded"] == 1
    assert f"job {job_id}: the " in stale_log and "was discarded: it was rescued and is now run by worker - on" in stale_log
    assert f"pid {second_consumer.pid}" in stale_log and f"pid {stalled.pid}" in stale_log
    assert queue.stats()["superseded"] == 1


def test_a_discard_rides_through_its_connection_killed_server_side(mariadb_engine, caplog):
    """The discard's log and count run on a connection of their own: killed server-side mid-statement (as a busy
    server or a failover does), the transaction runs again on a new one instead of ending the consumer run."""
    queue = JobQueue(mariadb_engine)
    queue.stats()  # the job table and its counters exist
    before = queue.stats()["superseded"]
    connections = []

    def find(tx):
        tx.cursor.execute("SELECT CONNECTION_ID()")
        connections.append(tx.cursor.fetchone()[0])
        if len(connections) == 1:
            with mariadb_engine.connect() as admin:
                admin.execute(text(f"KILL CONNECTION {int(connections[0])}"))
        rows = fencing.superseded(tx, {0: 1})  # no such job: the statement itself must reach the server
        return rows + [fencing.Holder(0, State.READY, None, None, None, None)]

    fence = fencing.Fence(queue.store, "w1", Deadline.after(30))
    with caplog.at_level(logging.WARNING, logger="roster.jobs"):
        fence.discard(find, "the FINISHED record")
    assert len(connections) == 2 and connections[0] != connections[1]
    assert fence.superseded == 1 and queue.stats()["superseded"] == before + 1
    assert "database connection lost, reconnecting" in caplog.text
    assert caplog.text.count("job 0: the FINISHED record of worker w1 on") == 1  # logged once: the lost try rolled back
