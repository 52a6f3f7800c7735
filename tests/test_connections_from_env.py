"""Connections read from ``AIRFLOW_CONN_<ID>`` without Airflow (the CLI's fast start) are the hooks' connections."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from roster import connections


def _fast_then_hooked(monkeypatch, uri: str, fast, hooked):
    """``fast()`` with the connection in the environment and Airflow not loaded (as in the CLI), then ``hooked()``
    with Airflow loaded: both results."""
    monkeypatch.setenv("AIRFLOW_CONN_ROSTER_X", uri)
    monkeypatch.delitem(sys.modules, "airflow", raising=False)
    without_airflow = fast()
    monkeypatch.undo()
    monkeypatch.setenv("AIRFLOW_CONN_ROSTER_X", uri)
    import airflow  # noqa: F401

    return without_airflow, hooked()


@pytest.mark.parametrize(
    "uri",
    [
        "sqlite:////tmp/roster-x.db",
        "sqlite:///tmp/roster-x.db",
        "mysql://root@127.0.0.1:3306/roster_test",
        "mysql://u%40x:p%2Bw%2F%3Ad@db.example:3307/roster?charset=utf8mb4",
        "mysql://u:pass@h/db?ssl_mode=REQUIRED&charset=utf8",
    ],
)
def test_the_fast_url_is_the_one_the_hook_builds(uri, monkeypatch):
    fast, hooked = _fast_then_hooked(monkeypatch, uri, lambda: connections._url_from_env("roster_x"),
                                     lambda: connections._engine_through_hook("roster_x").url)  # fmt: skip
    assert fast is not None
    assert connections._engine(fast).url == hooked


@pytest.mark.parametrize(
    "uri",
    ["redis://127.0.0.1:6379/13", "redis://127.0.0.1:6379", "redis://u%40x:p%2Bw%2F%3Ad@127.0.0.1:6380/2"],
)
def test_the_fast_redis_client_is_configured_as_the_hooks(uri, monkeypatch):
    fast, hooked = _fast_then_hooked(
        monkeypatch, uri, lambda: connections._plain_redis_from_env("roster_x"),
        lambda: connections._redis_client(connections._redis_connection(connections._connection("roster_x"))),
    )  # fmt: skip
    assert fast is not None
    wanted = ("host", "port", "username", "password", "db")
    import redis

    built = redis.Redis(**fast).connection_pool.connection_kwargs
    assert {k: built[k] for k in wanted} == {k: hooked.connection_pool.connection_kwargs[k] for k in wanted}


@pytest.mark.parametrize("uri", ["rediss://h:6380/0", "redis://h:6379/0?cluster=true", "redis://h:6379/?db=3"])
def test_other_redis_urls_go_through_the_hook(uri, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_ROSTER_X", uri)
    monkeypatch.delitem(sys.modules, "airflow", raising=False)
    assert connections._plain_redis_from_env("roster_x") is None


@pytest.mark.parametrize(
    "uri",
    [
        "aws://testing:secret%2Fkey@/?region_name=us-east-1&endpoint_url=http%3A%2F%2F127.0.0.1%3A4566",
        "aws://AKIDEXAMPLE:s3cr3t@/?region_name=eu-west-1",
    ],
)
def test_the_fast_sqs_client_is_configured_as_the_hooks(uri, monkeypatch):
    fast, hooked = _fast_then_hooked(monkeypatch, uri, lambda: connections.sqs_client("roster_x"),
                                     lambda: connections.sqs_client("roster_x"))  # fmt: skip
    for client in (fast, hooked):
        assert client.meta.region_name == hooked.meta.region_name
        assert client.meta.endpoint_url == hooked.meta.endpoint_url
        assert client._request_signer._credentials.get_frozen_credentials()[:2] == (
            hooked._request_signer._credentials.get_frozen_credentials()[:2]
        )


def test_a_cli_publish_does_not_import_airflow(mariadb_engine):
    code = (
        "import sys; from roster.cli import main; rc = main(['jobs', 'publish', 'warm_users', '--params', "
        "'{\"usernames\": [\"user_1\"]}']); assert 'airflow' not in sys.modules, 'airflow imported'; sys.exit(rc)"
    )
    env = {**os.environ, "ROSTER_JOBS_QUEUE_URL": ""}  # set and empty: no broker, and no Variable to ask Airflow for
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().isdigit()
