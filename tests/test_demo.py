"""``make demo``, README's first command, as written: the warmup end to end on embedded defaults (a SQLite roster
database in .demo/, a local AIRFLOW_HOME, ``airflow dags test``), printing the run's summary and one cached
document. After ``make test`` it has nothing to install. The test's own Redis database stands in for the demo's
default (db 0 of 127.0.0.1:6379), and no roster connection of the test session leaks into it."""

from __future__ import annotations

import json
import os
import re
import subprocess

from conftest import REDIS_URL, ROOT


def test_make_demo_warms_the_embedded_database_and_prints_a_document(redis_client):
    redis_client.flushdb()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "ROSTER_"))}
    env["AIRFLOW_CONN_ROSTER_REDIS"] = REDIS_URL
    env["DEMO_USERS"] = "300"
    done = subprocess.run(["make", "demo"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)

    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    assert "installing" not in done.stdout, "make demo after make test has nothing to install"
    summary = re.search(r"^summary of run (\S+) \(success\):\n(\{.*?^\})$", done.stdout, re.M | re.S)
    assert summary, done.stdout[-3000:]
    assert json.loads(summary.group(2))["users_warmed"] == 300
    cached = re.search(r"^one cached document: (user\.\S+) \(TTL \d+ s\)\n(\{.*\})\s*$", done.stdout, re.M | re.S)
    key, document = cached.groups()
    assert json.loads(document)["username"] == key.removeprefix("user.")
    assert len(list(redis_client.scan_iter(match="user.*", count=1000))) == 300
