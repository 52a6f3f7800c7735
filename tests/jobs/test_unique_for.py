"""Unique by period and by state: one job per identifier and window under concurrent publishers (separate
processes), again once the window passed or the twin left the states; inside bulk() too."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text

from roster.errors import InvalidOptionError
from roster.jobs import JobQueue, State

from .conftest import states
from .test_concurrency import _url

KEYS = 5


def _publish_many(url: str) -> list[int]:
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        from sqlalchemy import event

        from roster.connections import _sqlite_pragmas

        event.listen(engine, "connect", _sqlite_pragmas)
    queue = JobQueue(engine)
    return [queue.publish("record", {"key": f"u{i % KEYS}"}, identifier=f"user-{i % KEYS}", unique_for=timedelta(hours=1))
            for i in range(4 * KEYS)]  # fmt: skip


@pytest.mark.slow
def test_eight_concurrent_publishers_make_one_job_per_identifier_and_window(engine):
    JobQueue(engine).update_schema()
    with ProcessPoolExecutor(max_workers=8) as pool:
        ids = [i for published in pool.map(_publish_many, [_url(engine)] * 8) for i in published]

    by_state = states(engine)
    assert len(ids) == len(set(ids)) == 8 * 4 * KEYS
    with engine.connect() as conn:
        live = conn.execute(text("SELECT identifier, COUNT(*) FROM background_job WHERE state <> 7 GROUP BY identifier"))
        assert dict(live.all()) == {f"user-{k}": 1 for k in range(KEYS)}
    assert sorted(by_state.values()).count(State.REDUNDANT) == 8 * 4 * KEYS - KEYS


def test_a_window_passed_lets_the_next_one_in(queue, engine):
    first = queue.publish("record", {"key": "a"}, identifier="daily", unique_for=timedelta(hours=1))
    twin = queue.publish("record", {"key": "a"}, identifier="daily", unique_for=timedelta(hours=1))
    other_queue = queue.publish("record", {"key": "a"}, identifier="daily", unique_for=3600, queue="elsewhere")
    with engine.begin() as conn:  # the first was published 61 minutes ago
        conn.execute(text("UPDATE background_job SET created_at = :t WHERE id = :id"),
                     {"t": "2000-01-01 00:00:00.000000", "id": first})  # fmt: skip
    later = queue.publish("record", {"key": "a"}, identifier="daily", unique_for=timedelta(hours=1))

    by_state = states(engine)
    assert [by_state[i] for i in (first, twin, other_queue, later)] == [
        State.READY, State.REDUNDANT, State.READY, State.READY]


def test_unique_states_block_only_while_a_twin_waits_or_runs(queue, engine):
    ready = ("READY", "PROCESSING")
    first = queue.publish("record", {"key": "s1"}, identifier="sync", unique_states=ready)
    with queue.bulk() as ids:
        inside = queue.publish("record", {"key": "s2"}, identifier="sync", unique_states=ready)
        queue.publish("record", {"key": "plain"})
    assert queue.process()["finished"] == 2  # first, and the plain one
    again = queue.publish("record", {"key": "s3"}, identifier="sync", unique_states=[State.READY, State.PROCESSING])

    by_state = states(engine)
    assert inside is not None and len(ids) == 1  # decided at once, like unique=True, not at the block's end
    assert [by_state[i] for i in (first, inside, again)] == [State.FINISHED, State.REDUNDANT, State.READY]


@pytest.mark.parametrize("options, message", [
    ({"unique_for": timedelta(hours=1)}, "need an identifier"),
    ({"identifier": "x", "unique_for": 0}, "unique_for must be longer than 0"),
    ({"identifier": "x", "unique_for": 60, "unique": True}, "not both"),
    ({"identifier": "x", "unique_states": ["READDY"]}, "unique_states: 'READDY' is not a state"),
    ({"concurrency_key": "t"}, "concurrency_key='t' needs a limit"),
    ({"concurrency_key": "t", "concurrency": 0}, "concurrency must be a whole number from 1"),
    ({"rate_key": "t"}, "rate_key='t' needs a rate"),
])  # fmt: skip
def test_bad_options_are_one_line_naming_the_field(queue, options, message):
    with pytest.raises(InvalidOptionError, match=message):
        queue.publish("record", {"key": "k"}, **options)


@pytest.mark.parametrize("rate", ["100/minute", "0/min", "100", "100/0s", "-1/s", 100])
def test_a_bad_rate_is_refused_when_the_callback_registers(rate):
    from roster.jobs import job

    with pytest.raises(InvalidOptionError, match=r"@job\('typo'\) rate must be starts per window, like \"100/min\""):
        job("typo", rate=rate)(lambda: None)


def test_a_bad_concurrency_is_refused_when_the_callback_registers():
    from roster.jobs import job

    with pytest.raises(InvalidOptionError, match=r"@job\('typo'\) concurrency must be a whole number from 1"):
        job("typo", concurrency=0)(lambda: None)


def test_a_rate_key_too_long_for_its_column_is_refused(queue):
    from roster.jobs import job

    job("r" * 100, rate="5/s")(lambda: None)
    with pytest.raises(InvalidOptionError, match="rate_key is too long: with the callback's name it takes 292 "
                                                 "characters, at most 253 fit"):  # fmt: skip
        queue.publish("r" * 100, rate_key="k" * 191)
