"""Bad input through the ``roster`` command: each case is refused with one line naming the field (exit 2), or
accepted and run. Run in-process (``roster.cli.main``) for speed; what only a real process shows (bytes that are
not UTF-8, logs at -vv, a database that is down) runs the installed ``roster`` command."""

from __future__ import annotations

import os
import subprocess
import sys

import orjson
import pytest
from sqlalchemy import text

from conftest import ROOT, ROSTER

LONG = "x" * 192


@pytest.fixture
def roster(mariadb_engine, monkeypatch, capsys):
    """``roster(*args) -> (exit code, stdout, stderr)`` on an empty job table; Airflow's logging left as it is."""
    import roster.cli as cli

    monkeypatch.setenv("ROSTER_JOB_MODULES", "tests.jobs.callbacks")
    import roster.cli.common as common

    with mariadb_engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS background_job"))

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(common, "_RESULT", sys.stdout)  # the result stream, as captured for this test
        try:
            code = cli.main(list(args))
        except SystemExit as exc:  # argparse
            code = exc.code
        out, err = capsys.readouterr()
        return code, out, err

    return run


REFUSED = [
    # (arguments, what the one error line must contain)
    (("jobs", "publish", "noop", "--priority", str(2**31)), "priority=2147483648 is out of range"),
    (("jobs", "publish", "noop", "--priority", str(-(2**31) - 1)), "priority=-2147483649 is out of range"),
    (("jobs", "publish", "noop", "--priority", "-5"), "priority -5 is in no lane of roster/pools.json (roster_jobs_urgent 0-9, roster_jobs_all 0-)"),
    (("jobs", "publish", "noop", "--priority", "abc"), "argument --priority: invalid int value: 'abc'"),
    (("jobs", "publish", "noop", "--priority", "1.5"), "argument --priority: invalid int value: '1.5'"),
    (("jobs", "publish", "noop", "--delay", "nan"), "argument --delay: nan is not a finite number"),
    (("jobs", "publish", "noop", "--delay", "inf"), "argument --delay: inf is not a finite number"),
    (("jobs", "publish", "noop", "--delay=-inf"), "argument --delay: -inf is not a finite number"),
    (("jobs", "publish", "noop", "--delay", "1e12"), "delay=1000000000000.0 is out of range"),
    (("jobs", "publish", "noop", "--delay", "-1"), "argument --delay: -1 must not be negative"),
    (("jobs", "publish", "noop", "--delay", "soon"), "argument --delay: 'soon' is not a number"),
    (("jobs", "publish", "noop", "--identifier", LONG), "identifier is 192 characters long; at most 191 fit"),
    (("jobs", "publish", "noop", "--serial-group", LONG), "serial_group is 192 characters long; at most 191 fit"),
    (("jobs", "--queue", LONG, "publish", "noop"), "queue is 192 characters long; at most 191 fit"),
    (("jobs", "--queue", "q" * 100, "publish", "noop", "--unique", "--identifier", "i" * 191), "at most 254 fit unique_key"),
    (("jobs", "publish", "noop", "--unique"), "a unique job needs an identifier"),
    (("jobs", "publish", "noop", "--params", "[1, 2]"), "job parameters must be a JSON object (a dict), got list"),
    (("jobs", "publish", "noop", "--params", "{nope"), "--params is not JSON"),
    (("jobs", "publish", "noop", "--params", '{"x": NaN}'), "--params is not JSON"),
    (("jobs", "publish", "noop", "--params", '{"x": 1e999}'), "--params is not JSON"),
    (("jobs", "publish", "record", "--params", '{"key": "a", "bogus": 1}'), "job record: unknown param(s) bogus; known: key, sleep"),
    (("jobs", "publish", "record"), "job record: missing param(s) key"),
    (("jobs", "publish", "no_such_callback"), "unknown job callback 'no_such_callback'"),
    (("jobs", "publish", "noop", "--prio", "5"), "unrecognized arguments: --prio 5"),
    (("jobs", "clear-finished", "nan"), "argument days: nan is not a finite number"),
    (("jobs", "clear-finished", "inf"), "argument days: inf is not a finite number"),
    (("jobs", "clear-finished", "-1"), "argument days: -1 must not be negative"),
    (("jobs", "clear-finished", "1e12"), "days=1000000000000.0 is out of range"),
    (("jobs", "clear-finished", "two"), "argument days: 'two' is not a number"),
    (("jobs", "failed", "retry", "²"), "job id '²' is not a positive whole number"),
    (("jobs", "failed", "retry", "٣"), "job id '٣' is not a positive whole number"),
    (("jobs", "failed", "retry", "1,x"), "job id 'x' is not a positive whole number"),
    (("jobs", "failed", "retry", "-3"), "job id '-3' is not a positive whole number"),
    (("jobs", "failed", "retry", str(2**64)), f"job id '{2**64}' is not a positive whole number"),
    (("jobs", "failed", "retry"), "give job ids (1,2,3) or --all"),
    (("jobs", "failed", "remove", ","), "param ids is empty (','): give job ids (1,2,3)"),
    (("jobs", "failed", "explode"), "argument action: invalid choice: 'explode'"),
    (("jobs", "process", "--time-limit", "nan"), "argument --time-limit: nan is not a finite number"),
    (("jobs", "process", "--time-limit", "inf"), "argument --time-limit: inf is not a finite number"),
    (("jobs", "process", "--time-limit", "-1"), "argument --time-limit: -1 must not be negative"),
    (("jobs", "process", "--memory-limit", "nan"), "argument --memory-limit: nan is not a finite number"),
    (("jobs", "process", "--idle-wait", "inf"), "argument --idle-wait: inf is not a finite number"),
    (("jobs", "process", "--limit", "1.5"), "argument --limit: '1.5' is not a number"),
    (("jobs", "process", "--batch", "-1"), "argument --batch: -1 must not be negative"),
    (("jobs", "process", "-p", "abc"), "priorities 'abc': expected N, N-M, N- or -M"),
    (("jobs", "process", "-p", "9-1"), "priorities '9-1': the range is empty (9 > 1)"),
    (("jobs", "process", "--time", "5"), "unrecognized arguments: --time 5"),
    (("warm", "--modul", "2"), "unrecognized arguments: --modul 2"),
    (("warm", "--modulo", "0"), "param modulo=0 is out of range"),
    (("warm", "--modulo", "101"), "param modulo=101 is out of range: it must be between 1 and 100"),
    (("warm", "--modulo", "nan"), "argument --modulo: 'nan' is not a number"),
    (("warm", "--batch", "0"), "param batch=0 is out of range"),
    (("warm", "--modulo", "4", "--remainder", "4"), "param remainder=4 must be less than modulo=4"),
    (("warm", "--mode", "later"), "argument --mode: invalid choice: 'later'"),
    (("warm", "--modulo", "1", "--remainder", "1"), "param remainder=1 must be less than modulo=1"),
    (("seed", "--users", "-1"), "argument --users: -1 must not be negative"),
    (("db", "chek"), "argument DB_COMMAND: invalid choice: 'chek'"),
    (("--verb", "jobs", "stats"), "unrecognized arguments: --verb"),
]


@pytest.mark.parametrize(("args", "message"), REFUSED, ids=[" ".join(a)[:60] for a, _ in REFUSED])
def test_refused_with_one_line_naming_the_field(roster, mariadb_engine, args, message):
    code, out, err = roster(*args)

    assert code == 2, err
    assert message in err, err
    assert "Traceback" not in err and err.strip().count("\n") <= 1 or err.startswith("usage:"), err
    assert out == ""
    with mariadb_engine.connect() as conn:  # nothing reached the table
        tables = conn.execute(text("SHOW TABLES LIKE 'background_job'")).fetchall()
        assert not tables or conn.execute(text("SELECT COUNT(*) FROM background_job")).scalar() == 0


ACCEPTED = [
    # (arguments, the row's (queue, priority, identifier, serial_group, parameters))
    (("jobs", "publish", "noop", "--priority", "0"), ("default", 0, None, None, {})),
    (("jobs", "publish", "noop", "--priority", str(2**31 - 1)), ("default", 2**31 - 1, None, None, {})),
    (("jobs", "publish", "noop", "--identifier", "i" * 191), ("default", 100, "i" * 191, None, {})),
    (("jobs", "--queue", "q" * 63, "publish", "noop", "--unique", "--identifier", "i" * 191),
     ("q" * 63, 100, "i" * 191, None, {})),
    (("jobs", "publish", "noop", "--serial-group", "ünïcødé 用户 😀", "--delay", "0"),
     ("default", 100, None, "ünïcødé 用户 😀", {})),
    (("jobs", "publish", "noop", "--identifier", "'; DROP TABLE background_job; --"),
     ("default", 100, "'; DROP TABLE background_job; --", None, {})),
    (("jobs", "publish", "record", "--params", '{"key": "k", "sleep": 0}'), ("default", 50, None, None, {"key": "k", "sleep": 0})),
    (("jobs", "publish", "noop", "--params", '{"deep": [[[[1.5e300]]]], "null": null}'),
     ("default", 100, None, None, {"deep": [[[[1.5e300]]]], "null": None})),
]


@pytest.mark.parametrize(("args", "row"), ACCEPTED, ids=[" ".join(a)[:60] for a, _ in ACCEPTED])
def test_accepted_and_stored_as_given(roster, mariadb_engine, args, row):
    code, out, err = roster(*args)

    assert code == 0, err
    job_id = int(out)
    with mariadb_engine.connect() as conn:
        stored = conn.execute(
            text("SELECT queue, priority, identifier, serial_group, parameters FROM background_job WHERE id = :id"),
            {"id": job_id},
        ).one()
    assert (*stored[:4], orjson.loads(stored[4])) == row


def test_accepted_jobs_run(roster, mariadb_engine):
    assert roster("jobs", "publish", "noop", "--params", '{"key": "cli"}', "--priority", "0")[0] == 0
    code, out, err = roster("jobs", "process", "-p", "0-9", "--time-limit", "30")

    assert code == 0, err
    assert orjson.loads(out)["finished"] == 1


def _run(*args, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "AIRFLOW__CORE__UNIT_TEST_MODE"}
    return subprocess.run([ROSTER, *args], capture_output=True, timeout=300, env={**environ, **(env or {})})


def test_arguments_that_are_not_utf8_are_refused_by_name(mariadb_engine):
    done = _run(b"jobs", b"publish", b"noop", b"--identifier", b"caf\xe9")

    assert done.returncode == 2
    assert done.stderr.decode().strip().splitlines()[-1].endswith("argument identifier: 'caf\\udce9' is not valid UTF-8")


@pytest.mark.parametrize(
    "args",
    [("jobs", "stats"), ("jobs", "publish", "noop"), ("jobs", "failed", "show"), ("jobs", "clear-finished"),
     ("jobs", "update-schema"), ("jobs", "stop-consumers"), ("jobs", "process"), ("db", "check"), ("warm",)],
)  # fmt: skip
def test_database_unreachable_is_one_line_and_exit_2(args, sqs_endpoint):
    from conftest import free_port

    done = _run(*args, env={"AIRFLOW_CONN_ROSTER_DB": f"mysql://someone:Secret12chars@127.0.0.1:{free_port()}/roster",
                            "ROSTER_JOB_MODULES": "tests.jobs.callbacks", "PYTHONPATH": str(ROOT)})  # fmt: skip

    err = done.stderr.decode()
    assert done.returncode == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("roster: error: roster database") and "Can't connect to server on '127.0.0.1'" in err
    assert "Secret12chars" not in err + done.stdout.decode()


FILE_REFUSED = [
    # (line 3 of a --from-file whose line 1 is a good unique job and line 2 is blank, what the error says after
    #  "jobs.jsonl line 3: ")
    ('{"callback": "noop", "priority": -5}', "priority -5 is in no lane of roster/pools.json"),
    ('{"callback": "record", "params": {"key": "k", "bogus": 1}}', "job record: unknown param(s) bogus; known: key, sleep"),
    ('{"callback": "record"}', "job record: missing param(s) key"),
    ('{"callback": "noop", "params": [1]}', "job parameters must be a JSON object (a dict), got list"),
    ('{"callback": "noop", "identifier": "' + "i" * 192 + '"}', "identifier is 192 characters long; at most 191 fit"),
    ('{"callback": "noop", "delay": 1e12}', "delay=1000000000000.0 is out of range"),
    ('{"callback": "noop", "unique": true}', "a unique job needs an identifier"),
    ('{"callback": "noop", "params": {"deep": ' + "[" * 31 + "]" * 31 + "}}", "parameter deep" + "[0]" * 30 + " is nested deeper than 31 levels"),
    ('{"callback": "noop", "prio": 1}', "unknown param(s) prio (did you mean priority?)"),
    ('{"callback": "no_such_callback"}', "unknown job callback 'no_such_callback'"),
    ('{"params": {}}', 'a line must be a JSON object with "callback"'),
    ("{nope", "unexpected character"),
]


@pytest.mark.parametrize(("line", "message"), FILE_REFUSED, ids=[m[:50] for _, m in FILE_REFUSED])
def test_publish_from_file_names_the_bad_line_and_publishes_nothing(roster, mariadb_engine, tmp_path, line, message):
    """Every line goes through the publisher's checks (each once) before any job is inserted: a unique job on an
    earlier line, which a bulk inserts at once, is not published either."""
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text('{"callback": "noop", "unique": true, "identifier": "first"}\n\n' + line + "\n")

    code, out, err = roster("jobs", "publish", "--from-file", str(jobs))

    assert code == 2 and out == "", err
    assert f"{jobs} line 3: {message}" in err and err.strip().count("\n") == 0, err
    with mariadb_engine.connect() as conn:
        tables = conn.execute(text("SHOW TABLES LIKE 'background_job'")).fetchall()
        assert not tables or conn.execute(text("SELECT COUNT(*) FROM background_job")).scalar() == 0


def test_publish_from_file_prints_every_id_in_line_order_unique_ones_too(roster, mariadb_engine, tmp_path):
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text('{"callback": "noop", "params": {"n": 1}}\n'
                    '{"callback": "noop", "unique": true, "identifier": "once", "params": {"n": 2}}\n'
                    '{"callback": "record", "params": {"key": "k"}, "queue": "other"}\n')  # fmt: skip

    code, out, err = roster("jobs", "publish", "--from-file", str(jobs))

    assert code == 0, err
    ids = [int(line) for line in out.split()]
    with mariadb_engine.connect() as conn:
        rows = conn.execute(text("SELECT id, queue, identifier, parameters FROM background_job")).fetchall()
    by_id = {r[0]: (r[1], r[2], orjson.loads(r[3])) for r in rows}
    assert [by_id[i] for i in ids] == [("default", None, {"n": 1}), ("default", "once", {"n": 2}),
                                       ("other", None, {"key": "k"})]  # fmt: skip
