"""The roster CLI: the same warmup as the DAG, one-line errors and non-zero exits on bad input.

The commands run against a MariaDB database of this module only (``<ROSTER_TEST_DATABASE>_cli``): ``roster seed
--reset`` and the job commands here never replace what other modules loaded in the shared test database, so the
modules may run in any order."""

from __future__ import annotations


import orjson
import pytest
from sqlalchemy import create_engine, text

from conftest import MARIADB_URL, TEST_DATABASE, run_roster

CLI_DATABASE = f"{TEST_DATABASE}_cli"
run = run_roster


@pytest.fixture(scope="module", autouse=True)
def mariadb_engine():
    """This module's own database, empty at its start and dropped at its end: the roster_db connection of the
    commands run meanwhile, and the engine the tests read it with (under the name of the session's shared one,
    which it overrides here). Other modules' runs of :func:`run` keep the shared database."""
    server = create_engine(MARIADB_URL + "/", connect_args={"charset": "utf8mb4"})
    with server.begin() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS `{CLI_DATABASE}`"))
        conn.execute(text(f"CREATE DATABASE `{CLI_DATABASE}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"))
    engine = create_engine(f"{MARIADB_URL}/{CLI_DATABASE}", connect_args={"charset": "utf8mb4"})
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIRFLOW_CONN_ROSTER_DB", f"{MARIADB_URL}/{CLI_DATABASE}")
        yield engine
    engine.dispose()
    with server.begin() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS `{CLI_DATABASE}`"))
    server.dispose()


@pytest.mark.parametrize("parallel", [(), ("--parallel", "3")], ids=["in-process", "processes"])
def test_seed_then_warm_in_shards(mariadb_engine, redis_client, parallel):
    seeded = run("seed", "--users", "900", "--assignments-per-user", "4", "--line-items", "20", "--reset")
    assert seeded.returncode == 0, seeded.stderr
    assert orjson.loads(seeded.stdout)["assignments"] == 900 * 4 - (900 // 11) * 4

    warmed = run("warm", "--modulo", "3", "--batch", "100", *parallel)

    assert warmed.returncode == 0, warmed.stderr
    summary = orjson.loads(warmed.stdout)
    assert summary["users_warmed"] == 900 and summary["shards"] == 3 and summary["users_failed"] == 0
    assert summary["users_without_assignments"] == 900 // 11
    assert len(list(redis_client.scan_iter("user.*", count=1000))) == 900


def test_seed_refuses_to_overwrite_without_reset(mariadb_engine):
    assert run("seed", "--users", "10", "--reset").returncode == 0
    refused = run("seed", "--users", "10")
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        "roster: error: the roster database already holds 10 users; pass --reset to replace them with demo data"
    )


def test_bad_options_are_one_line_and_non_zero(mariadb_engine):
    for args, message in [
        (("warm", "--modulo", "101"), "param modulo=101 is out of range: it must be between 1 and 100"),
        (("warm", "--modulo", "4", "--remainder", "4"), "param remainder=4 must be less than modulo=4"),
        (("warm", "--line-item-slugs", "no-such-slug"), "no line item has the slug(s) no-such-slug"),
        (("warm", "--mode", "async"), "ROSTER_WARMUP_QUEUE_URL is not set"),
    ]:
        result = run(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


def test_scope_errors_and_unknown_users_from_the_cli(mariadb_engine, redis_client):
    assert run("seed", "--users", "30", "--reset").returncode == 0
    for args, message in [
        (("warm", "--usernames", ",,,"), "param usernames is empty (',,,')"),
        (("warm", "--usernames", "nobody_1,nobody_2"), "param usernames: none of these users exist: nobody_1, nobody_2"),
    ]:
        result = run(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
        assert redis_client.dbsize() == 0

    warmed = run("warm", "--usernames", "user_10,nobody_2", "--modulo", "1")

    assert warmed.returncode == 0, warmed.stderr
    summary = orjson.loads(warmed.stdout)
    assert summary["users_warmed"] == 1 and summary["users_unknown"] == 1
    assert summary["usernames_unknown"] == ["nobody_2"]
    assert [key.decode() for key in redis_client.scan_iter("user.*")] == ["user.user_10"]


def test_jobs_queue_option_after_the_sub_command_and_stats_of_an_empty_queue(mariadb_engine):
    assert run("jobs", "update-schema").returncode == 0
    with mariadb_engine.begin() as conn:
        conn.execute(text("DELETE FROM background_job"))
    empty = run("jobs", "stats")
    assert empty.returncode == 0, empty.stderr
    assert "oldest ready job: none ready" in empty.stdout and "None" not in empty.stdout
    assert "outcomes of stale claims discarded (superseded): 0" in empty.stdout

    after = run("jobs", "publish", "warm_users", "--params", '{"usernames": ["user_1"]}', "--queue", "q_after")
    before = run("jobs", "--queue", "q_before", "publish", "warm_users", "--params", '{"usernames": ["user_1"]}')

    assert after.returncode == 0 and before.returncode == 0, after.stderr + before.stderr
    with mariadb_engine.connect() as conn:
        queues = dict(conn.execute(text("SELECT id, queue FROM background_job")).fetchall())
    assert queues == {int(after.stdout): "q_after", int(before.stdout): "q_before"}
    stats = run("jobs", "stats", "--queue", "q_after", "--json")
    assert orjson.loads(stats.stdout)["queues"] == {"q_after": {"READY": 1}, "q_before": {"READY": 1}}
    assert (orjson.loads(stats.stdout)["superseded"], orjson.loads(stats.stdout)["late_renewals"]) == (0, [])


def test_jobs_batches_shows_progress_per_batch(mariadb_engine):
    from roster.jobs import JobQueue

    queue = JobQueue(mariadb_engine, queue="q_batches")
    with queue.batch("cli-import", on_complete="batch_report") as batch:
        for i in range(4):
            batch.publish("batch_item", {"key": f"c{i}", "fail": i == 0})
    queue.process(limit=4)

    shown = run("jobs", "batches", "--queue", "q_batches")
    as_json = run("jobs", "batches", "--queue", "q_batches", "--json")

    assert shown.returncode == 0, shown.stderr
    assert (f"batch {batch.id} cli-import: complete, 4/4 ended (finished 3, failed 1, cancelled 0), 0 to go; "
            "on_complete batch_report; asset roster://batches/cli-import") in shown.stdout  # fmt: skip
    (found,) = orjson.loads(as_json.stdout)
    assert (found["finished"], found["failed"], found["state"]) == (3, 1, "complete")
    assert run("jobs", "batches", "--queue", "nothing-here").stdout.strip() == "no batches in queue nothing-here"


def test_jobs_publish_with_flow_control_and_unique_for(mariadb_engine):
    args = ("jobs", "publish", "limited", "--params", '{"key": "c"}', "--queue", "q_flow", "--identifier", "c1")
    first = run(*args, "--concurrency-key", "tenant-1", "--unique-for", "3600")
    twin = run(*args, "--concurrency-key", "tenant-1", "--unique-for", "3600")
    bad = run(*args, "--concurrency-key", "tenant-1", "--concurrency", "0")

    assert first.returncode == 0 and twin.returncode == 0, first.stderr + twin.stderr
    with mariadb_engine.connect() as conn:
        rows = conn.execute(text("SELECT id, state, concurrency_key, concurrency_limit FROM background_job "
                                 "WHERE queue = 'q_flow' ORDER BY id")).all()  # fmt: skip
    assert [tuple(r) for r in rows] == [(int(first.stdout), 1, "tenant-1", 3), (int(twin.stdout), 7, "tenant-1", 3)]
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    assert "concurrency must be a whole number from 1 to 100000, got 0" in bad.stderr


def test_no_masking_noise_on_a_cli_run(mariadb_engine, redis_client):
    # The test Redis connection has the extra db=<n>, too short to mask: Airflow used to warn "Skipping masking
    # for a secret as it's too short" on every run that resolved it.
    assert run("seed", "--users", "30", "--reset").returncode == 0
    result = run("warm", "--usernames", "user_10", "--modulo", "1")

    assert result.returncode == 0, result.stderr
    assert "Skipping masking" not in result.stderr, result.stderr
    assert orjson.loads(result.stdout)["users_warmed"] == 1


def test_cli_results_go_through_print_result():
    # main() sends whatever is written to stdout during a command to stderr (Airflow's log handler, once imported,
    # writes there): a bare print() of a result would vanish from stdout.
    import re

    from conftest import ROOT

    for path in sorted((ROOT / "plugins" / "roster" / "cli").glob("*.py")):
        bare = [line for line in path.read_text().splitlines()
                if re.search(r"(?<![\w.])print\(", line) and "file=sys.stderr" not in line]  # fmt: skip
        assert not bare, f"{path.name}: use roster.cli.common.print_result for a command's result: {bare}"


def test_jobs_publish_from_file_is_checked_first_then_one_bulk_insert(mariadb_engine, tmp_path):
    assert run("jobs", "update-schema").returncode == 0
    with mariadb_engine.begin() as conn:
        conn.execute(text("DELETE FROM background_job"))
    good = tmp_path / "jobs.jsonl"
    good.write_text("".join(orjson.dumps({"callback": "warm_users", "params": {"usernames": [f"user_{i}"]},
                                          "priority": 5}).decode() + "\n" for i in range(200)))  # fmt: skip
    bad = tmp_path / "bad.jsonl"
    bad.write_text(good.read_text() + '{"callback": "warm_users", "params": {"username": ["x"]}}\n')

    refused = run("jobs", "publish", "--from-file", str(bad))
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1, refused.stderr
    assert "bad.jsonl line 201: job warm_users: unknown param(s) username" in refused.stderr
    with mariadb_engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM background_job")).scalar() == 0  # nothing published

    published = run("jobs", "publish", "--from-file", str(good), "--queue", "bulk")
    assert published.returncode == 0, published.stderr
    ids = [int(line) for line in published.stdout.split()]
    with mariadb_engine.connect() as conn:
        rows = conn.execute(text("SELECT id, queue, priority FROM background_job ORDER BY id")).fetchall()
    assert len(ids) == 200 and [r[0] for r in rows] == ids
    assert {(r[1], r[2]) for r in rows} == {("bulk", 5)}


def test_read_commands_on_a_database_without_the_job_table_say_so_and_create_nothing(tmp_path, monkeypatch):
    import sqlite3

    path = tmp_path / "new.db"
    monkeypatch.setenv("AIRFLOW_CONN_ROSTER_NEW", f"sqlite:///{path}")
    message = "no job table yet: it is created by the first publish or by `roster jobs update-schema`"

    stats = run("--db-conn-id", "roster_new", "jobs", "stats")
    stats_json = run("--db-conn-id", "roster_new", "jobs", "stats", "--json")
    failed = run("--db-conn-id", "roster_new", "jobs", "failed", "show")

    assert (stats.returncode, stats.stdout.strip()) == (0, message), stats.stderr
    assert orjson.loads(stats_json.stdout) == {"job_table": False, "message": message}
    assert orjson.loads(failed.stdout) == {"job_table": False, "message": message}
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'background_job'").fetchall() == []
