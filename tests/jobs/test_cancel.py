"""Cancellation on MariaDB and SQLite: jobs not running are CANCELLED at once and never run; running ones are
flagged; serial groups move on; and a cancel racing four consumers never lets a cancelled job be claimed."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import orjson
import pytest
from sqlalchemy import text

from roster.errors import InvalidOptionError, RosterError
from roster.jobs import JobQueue, State, current_job

from .conftest import row, runs, states


def _set_state(engine, job_id: int, state: State) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE background_job SET state = :s WHERE id = :id"), {"s": int(state), "id": job_id})


def test_jobs_not_running_are_cancelled_at_once_and_never_run(queue, engine):
    ready, waiting, retrying, broker_failed, kept = (queue.publish("record", {"key": k}) for k in "abcde")
    _set_state(engine, waiting, State.WAITING)
    _set_state(engine, retrying, State.TEMPORARILY_FAILED)
    _set_state(engine, broker_failed, State.BROKER_FAILED)

    assert queue.cancel([ready, waiting, retrying, broker_failed]) == {"cancelled": 4, "cancel_requested": 0}
    with engine.begin() as conn:  # even when due, a cancelled job is never promoted or claimed
        conn.execute(text("UPDATE background_job SET available_at = '2000-01-01 00:00:00'"))
    summary = queue.process()

    assert summary["finished"] == 1 and [r[0] for r in runs(engine)] == ["e"]
    assert states(engine) == {ready: State.CANCELLED, waiting: State.CANCELLED, retrying: State.CANCELLED,
                              broker_failed: State.CANCELLED, kept: State.FINISHED}  # fmt: skip
    assert row(engine, ready)["finished_at"] is not None and row(engine, ready)["error_message"] == "cancelled"
    assert queue.cancel([kept]) == {"cancelled": 0, "cancel_requested": 0}  # finished: nothing to cancel
    assert queue.retry(None) == 0  # cancelled is not failed


def test_cancel_by_identifier_and_what_counts_as_finished(queue, engine):
    twins = [queue.publish("record", {"key": f"t{i}"}, identifier="order-1") for i in range(3)]
    other = queue.publish("record", {"key": "o"}, identifier="order-2")
    assert queue.cancel(identifier="order-1")["cancelled"] == 3
    assert queue.unfinished_identifiers(["order-1", "order-2"]) == ["order-2"]
    queue.process()
    assert [r[0] for r in runs(engine)] == ["o"] and states(engine)[other] == State.FINISHED
    with engine.begin() as conn:
        conn.execute(text("UPDATE background_job SET finished_at = '2000-01-01 00:00:00'"))
    assert queue.clear_finished(days=1) == 4 and states(engine) == {}
    assert set(twins).isdisjoint(states(engine))


def test_a_serial_group_moves_on_past_a_cancelled_job(queue, engine):
    first, second, third = (queue.publish("record", {"key": k}, serial_group="g") for k in ("g1", "g2", "g3"))
    queue.cancel([first])
    queue.process()
    assert [r[0] for r in runs(engine)] == ["g2", "g3"]
    assert states(engine) == {first: State.CANCELLED, second: State.FINISHED, third: State.FINISHED}


def test_a_running_job_sees_its_cancel_and_ends_cancelled_unless_it_finished(queue, engine):
    returned = queue.publish("cancel_myself", {"key": "r"})
    failed = queue.publish("cancel_myself", {"key": "f", "then": "fail"})
    summary = queue.process()
    # Each saw no request before its own cancel, and the request after it.
    assert sorted(r[0] for r in runs(engine)) == ["f:01", "r:01"]
    assert states(engine) == {returned: State.FINISHED, failed: State.CANCELLED}
    assert summary["temporarily_failed"] == 1 and "stopped early" in row(engine, failed)["error_message"]


def test_flagged_jobs_released_or_rescued_end_cancelled(queue, engine):
    released, rescued = queue.publish("noop"), queue.publish("noop")
    claimed = queue.claim(batch=10)
    assert queue.cancel([released, rescued]) == {"cancelled": 0, "cancel_requested": 2}
    with engine.begin() as conn:
        conn.execute(text("UPDATE background_job SET locked_until = '2000-01-01 00:00:00' WHERE id = :id"),
                     {"id": rescued})  # fmt: skip
    assert queue.rescue_expired() == {"rescued": 1, "failed": 0}
    assert states(engine)[rescued] == State.CANCELLED
    # A graceful stop hands back the claimed job: CANCELLED, not READY.
    from roster.jobs.config import Limits
    from roster.jobs.consumer import Consumer

    consumer = Consumer(queue.consumer_config(), queue.store, priorities=None, limits=Limits())
    try:
        consumer._release([job for job in claimed if job.id == released])  # under the claim that took it
    finally:
        consumer.db.close()
    assert states(engine) == {released: State.CANCELLED, rescued: State.CANCELLED}


def test_cancel_refuses_unclear_requests(queue):
    for args, kwargs in [((), {}), (([1],), {"identifier": "x"}), ((), {"identifier": ""})]:
        with pytest.raises(InvalidOptionError, match="ids|identifier"):
            queue.cancel(*args, **kwargs)
    with pytest.raises(RosterError, match="only available inside a job callback"):
        current_job()


def _as_datetime(value) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


@pytest.mark.slow
def test_cancel_racing_four_consumers_never_lets_a_cancelled_job_start(maria):
    from .test_concurrency import _consumers, _wait

    queue = JobQueue(maria)
    with queue.bulk() as ids:
        for i in range(1000):
            queue.publish("record", {"key": f"k{i}", "sleep": 0.004})
    doomed = ids[1::2]
    consumers = _consumers(maria, 4)
    time.sleep(0.3)  # they are draining
    committed_at: dict[int, float] = {}
    for start in range(0, len(doomed), 25):
        chunk = doomed[start : start + 25]
        queue.cancel(chunk)
        committed_at.update(dict.fromkeys(chunk, time.time()))  # the cancel committed before this
        time.sleep(0.02)
    _wait(consumers)

    final = states(maria)
    started = {int(key[1:]): when for key, _pid, when, _end in runs(maria)}  # job index -> start time
    cancelled = [job_id for job_id in doomed if final[job_id] == State.CANCELLED]
    assert len(cancelled) > 100, len(cancelled)  # the race really happened: many were cancelled before their turn
    for job_id in doomed:
        index = ids.index(job_id)
        if final[job_id] == State.CANCELLED:
            assert index not in started, job_id  # a cancelled job never ran at all
        else:  # claimed before its cancel committed (its batch was in hand): ran once, finished
            assert final[job_id] == State.FINISHED
            claimed_at = _as_datetime(row(maria, job_id)["last_attempt_at"])
            assert claimed_at.replace(tzinfo=timezone.utc).timestamp() < committed_at[job_id] + 1e-3, job_id
    assert len(started) == len(runs(maria)) == 1000 - len(cancelled)  # everything else ran, once
    assert set(final.values()) <= {State.FINISHED, State.CANCELLED}


def test_cli_cancel_by_ids_and_identifier_and_its_one_line_errors(maria):
    from conftest import run_roster as run

    queue = JobQueue(maria)
    first, second = queue.publish("noop"), queue.publish("noop", identifier="inv-9")
    result = run("jobs", "cancel", str(first))
    assert result.returncode == 0, result.stderr
    assert orjson.loads(result.stdout) == {"cancelled": 1, "cancel_requested": 0}
    assert orjson.loads(run("jobs", "cancel", "--identifier", "inv-9").stdout)["cancelled"] == 1
    assert states(maria) == {first: State.CANCELLED, second: State.CANCELLED}
    for args in (("jobs", "cancel"), ("jobs", "cancel", "1", "--identifier", "x"), ("jobs", "cancel", "x1")):
        result = run(*args)
        assert result.returncode == 2 and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result

