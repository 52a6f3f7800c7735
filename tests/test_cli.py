"""The roster CLI: the same warmup as the DAG, one-line errors and non-zero exits on bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson

ROSTER = str(Path(sys.executable).with_name("roster"))


def run(*args: str) -> subprocess.CompletedProcess:
    # As a user runs it: not in Airflow's unit test mode, which logs to stdout while Airflow is imported.
    env = {k: v for k, v in os.environ.items() if k != "AIRFLOW__CORE__UNIT_TEST_MODE"}
    return subprocess.run([ROSTER, *args], capture_output=True, text=True, timeout=300, env=env)


def test_seed_then_warm_in_shards(mariadb_engine, redis_client):
    seeded = run("seed", "--users", "900", "--assignments-per-user", "4", "--line-items", "20", "--reset")
    assert seeded.returncode == 0, seeded.stderr
    assert orjson.loads(seeded.stdout)["assignments"] == 900 * 4 - (900 // 11) * 4

    warmed = run("warm", "--modulo", "3", "--batch", "100")

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
