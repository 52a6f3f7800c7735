"""No secret in any output at any verbosity: a MariaDB user of this test session with a 12-character password
(URL-quoted characters in it), through ``roster -vv`` and through the hooks' logs at DEBUG (as task logs show them)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

from conftest import MARIADB_URL, ROOT, TEST_DATABASE

ROSTER = str(Path(sys.executable).with_name("roster"))
PASSWORD = "Pw/12+chars!"  # 12 characters; three of them are quoted in a connection URI


@pytest.fixture(scope="module")
def secret_user_url(mariadb_engine):
    """A MariaDB user named after this run's test database, with :data:`PASSWORD`; dropped afterwards."""
    user = f"{TEST_DATABASE}_secret"[:80]
    admin = create_engine(MARIADB_URL + "/")
    with admin.begin() as conn:
        for host in ("%", "localhost"):
            conn.execute(text(f"DROP USER IF EXISTS '{user}'@'{host}'"))
            conn.execute(text(f"CREATE USER '{user}'@'{host}' IDENTIFIED BY :pw"), {"pw": PASSWORD})
            conn.execute(text(f"GRANT ALL ON {TEST_DATABASE}.* TO '{user}'@'{host}'"))
    host = MARIADB_URL.split("@", 1)[1]
    yield f"mysql://{user}:{quote(PASSWORD, safe='')}@{host}/{TEST_DATABASE}"
    with admin.begin() as conn:
        for host_name in ("%", "localhost"):
            conn.execute(text(f"DROP USER IF EXISTS '{user}'@'{host_name}'"))
    admin.dispose()


def _leaks(output: str) -> list[str]:
    return [form for form in (PASSWORD, quote(PASSWORD, safe=""), quote(PASSWORD)) if form in output]


@pytest.mark.parametrize("args", [("-vv", "jobs", "stats", "--json"), ("-vv", "jobs", "publish", "noop"),
                                  ("-vv", "jobs", "failed", "show"), ("-vv", "db", "check")])  # fmt: skip
def test_roster_at_debug_never_prints_the_password(secret_user_url, args):
    hidden = ("AIRFLOW__CORE__UNIT_TEST_MODE", "AIRFLOW__LOGGING__LOGGING_LEVEL")  # -v/-vv choose the level
    env = {k: v for k, v in os.environ.items() if k not in hidden}
    env.update(AIRFLOW_CONN_ROSTER_DB=secret_user_url, ROSTER_JOB_MODULES="tests.jobs.callbacks", PYTHONPATH=str(ROOT))
    done = subprocess.run([ROSTER, *args], capture_output=True, text=True, timeout=300, env=env)

    assert _leaks(done.stdout + done.stderr) == []
    if args[1] == "jobs" and args[2] in ("stats", "failed"):
        assert done.returncode == 0, done.stderr
        assert done.stdout.lstrip().startswith(("{", "[")) and "[debug" not in done.stdout  # stdout: the result only


def test_hook_logs_at_debug_mask_the_password(secret_user_url, monkeypatch):
    import logging

    import structlog

    from roster.connections import engine_for

    monkeypatch.setenv("AIRFLOW_CONN_ROSTER_DB", secret_user_url)
    config = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))  # a task log at DEBUG
    try:
        with structlog.testing.capture_logs() as events:
            engine = engine_for("roster_db")
    finally:
        structlog.configure(**config)
    engine.dispose()

    url_events = [event for event in events if str(event.get("event", "")).startswith("url:")]
    assert url_events, events
    assert "***" in repr(url_events) and _leaks(repr(events)) == []
