"""Bad input through the Python API (``JobQueue.publish`` and the maintenance calls): each case is refused before
the database sees it, with a message naming the field, or accepted and run. MariaDB, whose columns set the limits."""

from __future__ import annotations

import math
from datetime import datetime

import pytest
from sqlalchemy import text

from roster.errors import InvalidOptionError

from .conftest import row, states

LONG = "x" * 192
NAN, INF = float("nan"), float("inf")

REFUSED = [
    # (callback, parameters, keyword arguments, what the message says)
    ("noop", None, {"priority": 2**31}, "priority=2147483648 is out of range: it must be from -2147483648 to 2147483647"),
    ("noop", None, {"priority": -(2**31) - 1}, "priority=-2147483649 is out of range"),
    ("noop", None, {"priority": -5}, "priority -5 is in no lane of roster/pools.json (roster_jobs_urgent 0-9, roster_jobs_all 0-)"),
    ("noop", None, {"priority": 1.5}, "priority must be a whole number, got 1.5"),
    ("noop", None, {"priority": "5"}, "priority must be a whole number, got '5'"),
    ("noop", None, {"priority": True}, "priority must be a whole number, got True"),
    ("noop", None, {"priority": NAN}, "priority must be a whole number, got nan"),
    ("noop", None, {"queue": LONG}, "queue is 192 characters long; at most 191 fit"),
    ("noop", None, {"identifier": LONG}, "identifier is 192 characters long; at most 191 fit"),
    ("noop", None, {"serial_group": LONG}, "serial_group is 192 characters long; at most 191 fit"),
    ("noop", None, {"queue": "q" * 100, "identifier": "i" * 191, "unique": True}, "at most 254 fit unique_key"),
    ("noop", None, {"queue": "caf\udce9"}, "queue is not valid UTF-8 text"),
    ("noop", None, {"identifier": "\ud800"}, "identifier is not valid UTF-8 text"),
    ("noop", None, {"serial_group": "a\udcffb"}, "serial_group is not valid UTF-8 text"),
    ("noop", None, {"identifier": 5}, "identifier must be a non-empty string, got 5"),
    ("noop", None, {"serial_group": ["a"]}, "serial_group must be a non-empty string, got ['a']"),
    ("noop", None, {"delay": NAN}, "delay=nan is out of range"),
    ("noop", None, {"delay": INF}, "delay=inf is out of range"),
    ("noop", None, {"delay": -INF}, "delay=-inf is out of range"),
    ("noop", None, {"delay": 1e12}, "delay=1000000000000.0 is out of range"),
    ("noop", None, {"delay": -1}, "delay=-1 is out of range"),
    ("noop", None, {"delay": "5"}, "delay must be a number, got '5'"),
    ("noop", None, {"delay": 1, "available_at": datetime(2030, 1, 1)}, "give available_at or delay, not both"),
    ("noop", None, {"unique": True}, "a unique job needs an identifier"),
    ("noop", {"x": NAN}, {}, "parameter x is not a finite number (JSON has no NaN or Infinity), in the parameters of 'noop'"),
    ("noop", {"a": {"b": [1, INF]}}, {}, "parameter a.b[1] is not a finite number"),
    ("noop", {"x": -INF}, {}, "parameter x is not a finite number"),
    ("noop", {"big": "x" * (1024 * 1024)}, {}, "parameters of 'noop' are 1048586 bytes of JSON; at most 1048576"),
    ("noop", {"n": 2**70}, {}, "job parameters must be JSON"),
    ("noop", {"when": datetime(2026, 1, 1)}, {}, "job parameters must be JSON"),
    ("noop", {"s": {1, 2}}, {}, "job parameters must be JSON"),
    ("noop", {"b": b"bytes"}, {}, "job parameters must be JSON"),
    ("noop", {1: "int key"}, {}, "job parameters must be JSON"),
    ("noop", {"s": "\udcff"}, {}, "job parameters must be JSON"),
    ("noop", [1, 2], {}, "job parameters must be a JSON object (a dict), got list"),
    ("noop", "text", {}, "job parameters must be a JSON object (a dict), got str"),
    ("noop", {"t": (1, NAN)}, {}, "parameter t[1] is not a finite number"),  # orjson writes a tuple as a list
    ("noop", {"null": None, "x": [NAN]}, {}, "parameter x[0] is not a finite number"),
    ("record", {"key": "k", "bogus": 1}, {}, "job record: unknown param(s) bogus; known: key, sleep"),
    ("record", {"key": "k", 1: "x"}, {}, "job record: parameter names must be strings (JSON object keys), got 1"),
    ("record", [1], {}, "job parameters must be a JSON object (a dict), got list"),
    ("record", {}, {}, "job record: missing param(s) key"),
    ("fail_permanently", {"x": 1}, {}, "job fail_permanently: unknown param(s) x"),
    ("no_such_callback", None, {}, "unknown job callback 'no_such_callback'"),
    ("", None, {}, "unknown job callback ''"),
]


def _deep(depth: int):
    """``{"deep": [[...]]}`` with ``depth + 1`` nested lists."""
    value: list = []
    for _ in range(depth):
        value = [value]
    return {"deep": value}


REFUSED.append(("noop", _deep(300), {}, "job parameters must be JSON"))  # orjson's own limit
REFUSED.append(("noop", _deep(30), {}, "parameter deep" + "[0]" * 30 + " is nested deeper than 31 levels (MariaDB's JSON limit)"))


@pytest.mark.parametrize(("callback", "parameters", "kwargs", "message"), REFUSED, ids=[m[:50] for *_, m in REFUSED])
def test_refused_before_the_database_naming_the_field(maria, callback, parameters, kwargs, message):
    from roster.jobs import JobQueue

    queue = JobQueue(maria, lease_seconds=30)
    queue.update_schema()
    with pytest.raises(InvalidOptionError) as refused:
        queue.publish(callback, parameters, **kwargs)

    assert message in str(refused.value)
    assert "\n" not in str(refused.value) and len(str(refused.value)) < 600
    assert states(maria) == {}


@pytest.mark.parametrize(
    ("variable", "message"),
    [("abc", "ROSTER_JOB_MAX_PARAMETERS_BYTES='abc' must be a positive whole number"),
     ("0", "ROSTER_JOB_MAX_PARAMETERS_BYTES='0' must be a positive whole number"),
     ("20", "parameters of 'noop' are 21 bytes of JSON; at most 20 (ROSTER_JOB_MAX_PARAMETERS_BYTES)")],
)  # fmt: skip
def test_the_parameter_size_limit_is_a_setting(maria, monkeypatch, variable, message):
    from roster.jobs import JobQueue

    monkeypatch.setenv("ROSTER_JOB_MAX_PARAMETERS_BYTES", variable)
    with pytest.raises(InvalidOptionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        JobQueue(maria).publish("noop", {"text": "0123456789"})
    monkeypatch.setenv("ROSTER_JOB_MAX_PARAMETERS_BYTES", "21")
    assert JobQueue(maria).publish("noop", {"text": "0123456789"}) > 0  # exactly at the limit


ACCEPTED = [
    # (callback, parameters, keyword arguments, the row's columns to check)
    ("noop", None, {"priority": 0}, {"priority": 0}),
    ("noop", None, {"priority": 2**31 - 1}, {"priority": 2**31 - 1}),
    ("noop", None, {"queue": "q" * 191}, {"queue": "q" * 191}),
    ("noop", None, {"queue": "q" * 63, "identifier": "i" * 191, "unique": True}, {"unique_key": "q" * 63 + "\x1f" + "i" * 191}),
    ("noop", None, {"identifier": "nul\x00inside"}, {"identifier": "nul\x00inside"}),
    ("noop", None, {"identifier": "'; DROP TABLE background_job; --"}, {"identifier": "'; DROP TABLE background_job; --"}),
    ("noop", None, {"serial_group": "😀" * 191}, {"serial_group": "😀" * 191}),
    ("noop", {"emoji": "😀" * 1000, "float": 1e308, "neg": -0.0, "int": 2**63 - 1}, {}, {}),
    ("noop", _deep(29), {}, {}),  # 30 lists in the document's object: as deep as MariaDB takes
    # "null" and many brackets: the values are walked, and nothing is wrong with them
    ("noop", {"none": None, "text": "null [[[{{{", "wide": [[1]] * 40}, {}, {}),
    ("record", {"key": "api"}, {"delay": 0}, {"priority": 50}),
]


@pytest.mark.parametrize(("callback", "parameters", "kwargs", "columns"), ACCEPTED, ids=[str(k)[:50] for _, _, k, _ in ACCEPTED])
def test_accepted_stored_as_given_and_run(maria, callback, parameters, kwargs, columns):
    import orjson

    from roster.jobs import JobQueue, State

    queue = JobQueue(maria, lease_seconds=30, queue=kwargs.get("queue", "default"))
    job_id = queue.publish(callback, parameters, **kwargs)

    stored = row(maria, job_id)
    assert {key: stored[key] for key in columns} == columns
    assert orjson.loads(stored["parameters"]) == (parameters or {})
    queue.process(time_limit=30)
    assert states(maria)[job_id] == State.FINISHED


def test_a_delay_up_to_ten_years_is_accepted_and_waits(maria):
    from roster.jobs import JobQueue, State
    from roster.jobs.limits import MAX_DELAY_SECONDS

    queue = JobQueue(maria)
    job_id = queue.publish("noop", delay=MAX_DELAY_SECONDS)

    assert queue.process(time_limit=5)["claimed"] == 0
    assert states(maria)[job_id] == State.READY
    assert row(maria, job_id)["available_at"].year >= datetime.now().year + 9


@pytest.mark.parametrize(
    ("days", "message"),
    [(NAN, "days=nan is out of range"), (INF, "days=inf is out of range"), (-1, "days=-1 is out of range"),
     (1e12, "days=1000000000000.0 is out of range"), ("14", "days must be a number, got '14'")],
)  # fmt: skip
def test_clear_finished_refuses_days_that_are_not_finite(maria, days, message):
    from roster.jobs import JobQueue

    with pytest.raises(InvalidOptionError, match=message):
        JobQueue(maria).clear_finished(days)


def test_nothing_refused_reached_the_table(maria):
    """The limits run before any statement: not even the table is created by a refused publish."""
    from roster.jobs import JobQueue

    with maria.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS background_job"))
    with pytest.raises(InvalidOptionError):
        JobQueue(maria).publish("noop", {"x": math.nan})
    with maria.connect() as conn:
        assert conn.execute(text("SHOW TABLES LIKE 'background_job'")).fetchall() == []


def test_temporary_failures_stop_after_max_attempts_and_show_in_failed(maria, monkeypatch):
    """A callback that keeps raising (a TypeError from a changed signature, a remote API down) is retried
    ROSTER_JOB_MAX_ATTEMPTS times, then PERMANENTLY_FAILED and listed by ``failed()``."""
    from roster.jobs import JobQueue, State

    monkeypatch.setenv("ROSTER_JOB_MAX_ATTEMPTS", "2")
    queue = JobQueue(maria)
    job_id = queue.publish("fail_temporarily")
    for attempt in (1, 2):
        with maria.begin() as conn:  # the retry is due now rather than after its backoff
            conn.execute(text("UPDATE background_job SET available_at = '2000-01-01' WHERE id = :id"), {"id": job_id})
        JobQueue(maria).process(time_limit=30)  # a new consumer promotes due retries at once
        assert row(maria, job_id)["number_of_attempts"] == attempt

    assert states(maria) == {job_id: State.PERMANENTLY_FAILED}
    failed = queue.failed()
    assert [(item["id"], item["number_of_attempts"]) for item in failed] == [(job_id, 2)]
    assert "ConnectionError: remote API down" in failed[0]["error_message"]


def test_a_callback_with_positional_only_parameters_is_bound_by_inspect(maria):
    """The signature is read once per callback; a positional-only parameter (which no job can give by name) is
    left to inspect's bind, whose reason the message keeps."""
    from roster.jobs import JobQueue, job
    from roster.jobs.limits import signature

    @job("positional_only_test")
    def positional(key, /, **rest) -> None:
        pass

    queue = JobQueue(maria)
    queue.update_schema()
    for _ in range(3):
        with pytest.raises(InvalidOptionError) as refused:
            queue.publish("positional_only_test", {"key": 1})
        assert str(refused.value) == ("job positional_only_test: parameters do not fit positional(key, /, **rest): "
                                      "'key' parameter is positional only, but was passed as a keyword")  # fmt: skip
    assert signature.cache_info().currsize >= 1 and signature(positional) is signature(positional)
    assert states(maria) == {}


@pytest.mark.parametrize(
    ("queue_name", "message"),
    [("q" * 192, "queue is 192 characters long; at most 191 fit"), ("", "queue must be a non-empty string, got ''"),
     (None, "queue must be a non-empty string, got None"), (5, "queue must be a non-empty string, got 5"),
     ("caf\udce9", "queue is not valid UTF-8 text")],
)  # fmt: skip
def test_a_queue_name_is_checked_when_the_queue_is_made(maria, queue_name, message):
    """The rule publish(queue=...) follows, with its message, before anything reads or writes the table."""
    from roster.jobs import JobQueue

    with pytest.raises(InvalidOptionError) as refused:
        JobQueue(maria, queue=queue_name)
    assert message in str(refused.value) and "\n" not in str(refused.value)
    assert JobQueue(maria, queue="q" * 191).queue == "q" * 191


PROCESS_REFUSED = [
    ({"time_limit": NAN}, "time_limit=nan is out of range: it must be a finite number from 0 to 316224000"),
    ({"time_limit": INF}, "time_limit=inf is out of range"),
    ({"time_limit": -INF}, "time_limit=-inf is out of range"),
    ({"time_limit": -1}, "time_limit=-1 is out of range"),
    ({"time_limit": "30"}, "time_limit must be a number, got '30'"),
    ({"memory_limit": NAN}, "memory_limit=nan is out of range: it must be a finite number from 0"),
    ({"memory_limit": -5.0}, "memory_limit=-5.0 is out of range"),
    ({"idle_wait": INF}, "idle_wait=inf is out of range"),
    ({"idle_wait": None}, "idle_wait must be a number, got None"),
    ({"limit": -1}, "limit=-1 is out of range"),
    ({"limit": 1.5}, "limit must be a whole number, got 1.5"),
    ({"batch": 2.5}, "batch must be a whole number, got 2.5"),
    ({"batch": -1}, "batch=-1 is out of range"),
]


@pytest.mark.parametrize(("kwargs", "message"), PROCESS_REFUSED, ids=[str(k) for k, _ in PROCESS_REFUSED])
def test_process_refuses_limits_that_are_not_finite_or_negative(maria, kwargs, message):
    """A NaN or infinite time limit would never stop the run; a negative one would stop it at once: refused,
    naming the field, before any job is claimed."""
    from roster.jobs import JobQueue, State

    queue = JobQueue(maria)
    job_id = queue.publish("noop")
    with pytest.raises(InvalidOptionError) as refused:
        queue.process(**kwargs)

    assert message in str(refused.value) and "\n" not in str(refused.value)
    assert states(maria) == {job_id: State.READY}
    assert queue.process(time_limit=0, limit=0)["claimed"] == 0  # zero is a limit (stop at once), not an error
