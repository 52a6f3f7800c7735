"""Batches: on_complete runs exactly once, after the last job, with the counts, under four consumer processes;
completion races have one winner; the Asset announcement is taken once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from roster.errors import InvalidOptionError
from roster.jobs import JobQueue, State
from roster.jobs.batches import complete

from .conftest import runs, states
from .test_flow import _consumers
from .test_concurrency import _wait


def _times(engine, column: str, where: str) -> list:
    """``column`` of the jobs ``where`` (a failed job's end is its updated_at)."""
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(text(f"SELECT {column} FROM background_job WHERE {where}"))]


@pytest.mark.slow
def test_a_batch_of_5000_with_3_failing_reports_once_after_its_last_job(engine):
    queue = JobQueue(engine)
    failing = {17, 2500, 4999}
    with queue.batch("nightly-import", on_complete="batch_report") as batch:
        for i in range(5000):
            batch.publish("batch_item", {"key": f"b{i}", "fail": i in failing})
    assert len(batch.ids) == 5000

    _wait(_consumers(engine, 4, 1.0))

    reports = [r for r in runs(engine) if r[0].startswith("report ")]
    assert [r[0] for r in reports] == ["report nightly-import 5000 4997 3 0"]
    by_state = states(engine)
    assert sorted(by_state[i] for i in batch.ids).count(State.PERMANENTLY_FAILED) == 3
    last_job_end = max(_times(engine, "COALESCE(finished_at, updated_at)", f"batch_id = {batch.id}"))
    report_start = _times(engine, "last_attempt_at", "callback_name = 'batch_report'")
    assert len(report_start) == 1 and report_start[0] > last_job_end  # it started after the last job ended
    assert queue.announce_batches() == ["nightly-import"]
    assert queue.announce_batches() == []  # taken once
    (progress,) = queue.batches()
    assert (progress["state"], progress["finished"], progress["failed"], progress["unfinished"]) == (
        "complete", 4997, 3, 0)


def test_racing_completions_have_exactly_one_winner(queue, engine):
    with queue.batch("race", on_complete="batch_report") as batch:
        for i in range(3):
            batch.publish("batch_item", {"key": f"r{i}"})
    assert queue.process()["finished"] == 4  # its 3 jobs, then the report its completion published, in one run...
    with engine.begin() as conn:  # ...undo that, to race 8 completions of a batch whose jobs all ended
        conn.execute(text("UPDATE background_job_batch SET completed_at = NULL"))
        conn.execute(text("DELETE FROM background_job WHERE callback_name = 'batch_report'"))

    def one(_):
        with queue.store.transaction() as tx:
            return len(complete(tx, [batch.id]))

    with ThreadPoolExecutor(8) as pool:
        wins = list(pool.map(one, range(8)))

    assert sum(wins) == 1
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM background_job WHERE callback_name = 'batch_report'")).scalar() == 1


def test_a_batch_does_not_complete_before_its_block_ends_nor_when_it_fails(queue, engine):
    with queue.batch("early") as batch:
        unique = batch.publish("batch_item", {"key": "u"}, identifier="u1", unique=True)
        assert queue.process()["finished"] == 1  # its only published job ended, the block is still open
        assert queue.announce_batches() == []
    assert queue.announce_batches() == ["early"]  # sealed now: complete, announced
    assert unique in batch.ids or unique is not None

    with pytest.raises(RuntimeError), queue.batch("broken") as broken:
        broken.publish("batch_item", {"key": "never"})
        raise RuntimeError("the block failed")
    assert [b["name"] for b in queue.batches()] == ["early"]
    assert "never" not in [r[0] for r in runs(engine)]


def test_a_consumer_without_the_on_complete_callback_still_completes_the_batch_once(queue, engine, monkeypatch):
    from roster.jobs import registry

    with queue.batch("elsewhere", on_complete="batch_report") as batch:
        batch.publish("batch_item", {"key": "e"})
    monkeypatch.delitem(registry._CALLBACKS, "batch_report")  # this consumer loads other modules than the publisher
    monkeypatch.setattr(registry, "load_modules", lambda: None)

    assert queue.process(limit=1)["finished"] == 1

    with engine.connect() as conn:
        row = conn.execute(text("SELECT state, identifier, parameters FROM background_job "
                                "WHERE callback_name = 'batch_report'")).one()  # fmt: skip
    assert (row[0], row[1]) == (State.READY, f"batch-{batch.id}") and '"finished":1' in row[2].replace(" ", "")


@pytest.mark.parametrize("name", ["", "a b", "nightly/import", "x" * 192, None])
def test_a_bad_batch_name_is_refused_naming_the_asset(queue, name):
    with pytest.raises(InvalidOptionError, match="batch name must be"):
        with queue.batch(name):
            pass


def test_an_on_complete_that_cannot_take_the_counts_is_refused_at_once(queue):
    with pytest.raises(InvalidOptionError, match="batch_item"):
        with queue.batch("n", on_complete="batch_item"):
            pass
