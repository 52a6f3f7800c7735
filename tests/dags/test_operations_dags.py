"""Operations: roster_health's alerts as failed tasks under dag.test(), and the metrics docs/operations.md lists arriving at a
real UDP socket acting as StatsD while the job queue, its maintenance and a warmup run."""

from __future__ import annotations

import re
import socket
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from conftest import ROOT
from roster.jobs import JobQueue, State
from roster.warmup.runs import last_run, record_last_run
from tests.jobs.conftest import reset

DOCS_METRIC = re.compile(r"^\| `(roster\.[a-z_.]+)` \|", re.M)


def _states(dagrun) -> dict[str, str]:
    return {ti.task_id: ti.state for ti in dagrun.get_task_instances()}


@pytest.fixture
def maria(mariadb_engine):
    reset(mariadb_engine)
    JobQueue(mariadb_engine).update_schema()
    return mariadb_engine


def test_health_fails_only_the_check_whose_condition_holds(dagbag, maria, redis_client, monkeypatch):
    monkeypatch.setenv("ROSTER_ALERT_DEPTH", "5")
    queue = JobQueue(maria)
    for _ in range(6):
        queue.publish("noop", {}, priority=50)
    record_last_run(redis_client, {"run_id": "scheduled__x", "failed": False, "users_warmed": 10})

    dagrun = dagbag.dags["roster_health"].test()

    assert _states(dagrun) == {"queue_depth": "failed", "failure_rate": "success", "no_consumer": "success",
                               "oldest_ready": "success", "memory": "success", "warmup": "success"}  # fmt: skip
    with maria.connect() as conn:  # since when it fires, for the Roster page
        assert [row[0] for row in conn.execute(text("SELECT name FROM background_job_control"))] == ["alert:depth"]


def test_health_is_green_after_a_real_warmup_and_red_after_a_failed_one(dagbag, maria, warmup_data, redis_client):
    warmup = dagbag.dags["roster_user_cache_warmup"].test(run_conf={"modulo": 2})
    assert warmup.state == "success"
    recorded = last_run(redis_client)
    assert recorded["run_id"] == warmup.run_id and recorded["users_warmed"] == len(warmup_data[0])
    assert _states(dagbag.dags["roster_health"].test())["warmup"] == "success"

    record_last_run(redis_client, {**recorded, "failed": True, "error": "shard(s) [1] failed"})
    assert _states(dagbag.dags["roster_health"].test())["warmup"] == "failed"


@pytest.fixture
def statsd(monkeypatch):
    """A UDP socket as the StatsD server; Airflow's Stats pointed at it (tags in InfluxDB line style)."""
    from airflow.sdk.observability import stats
    from airflow.sdk.observability.metrics import stats_utils

    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    server.settimeout(0.2)
    for name, value in {"STATSD_ON": "True", "STATSD_HOST": "127.0.0.1", "STATSD_PORT": str(server.getsockname()[1]),
                        "STATSD_PREFIX": "airflow", "STATSD_INFLUXDB_ENABLED": "True"}.items():  # fmt: skip
        monkeypatch.setenv(f"AIRFLOW__METRICS__{name}", value)
    stats.initialize(factory=stats_utils.get_stats_factory(), export_legacy_names=False)
    yield server
    monkeypatch.undo()
    stats.initialize(factory=stats_utils.get_stats_factory(), export_legacy_names=False)
    server.close()


def received(server: socket.socket, seconds: float = 2.0) -> list[str]:
    lines: list[str] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            lines += server.recv(65535).decode().splitlines()
        except TimeoutError:
            continue
    return lines


def test_the_metrics_the_docs_list_arrive_at_statsd(dagbag, maria, warmup_data, redis_client, statsd):
    listed = set(DOCS_METRIC.findall((ROOT / "docs" / "operations.md").read_text()))
    assert len(listed) >= 10, listed
    queue = JobQueue(maria)
    for callback in ("noop", "noop", "fail_permanently", "fail_temporarily"):
        queue.publish(callback, {}, priority=50)
    stuck = queue.publish("noop", {}, priority=50)
    past = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(minutes=10)
    with maria.begin() as conn:  # a consumer died holding this job: the rescuer's work
        conn.execute(text("UPDATE background_job SET state = :s, locked_until = :t WHERE id = :id"),
                     {"s": int(State.PROCESSING), "t": past, "id": stuck})  # fmt: skip

    jobs_run = dagbag.dags["roster_job_queue"].test()
    # fail_permanently failed for good: the consumers succeed, the outcomes task (and so the run) fails.
    failed_tasks = {ti.task_id for ti in jobs_run.get_task_instances() if ti.state != "success"}
    assert jobs_run.state == "failed" and failed_tasks == {"outcomes"}, failed_tasks
    assert dagbag.dags["roster_job_maintenance"].test().state == "success"
    assert dagbag.dags["roster_user_cache_warmup"].test(run_conf={"modulo": 2}).state == "success"

    lines = received(statsd)
    names = {match.group(1) for line in lines if (match := re.match(r"airflow\.(roster\.[a-z_.]+)", line))}
    assert listed <= names, f"listed in docs/operations.md but not received: {sorted(listed - names)}"
    assert any(line.startswith("airflow.roster.jobs.finished,lane=roster_jobs_all:2|c") for line in lines), lines
    assert any(line.startswith("airflow.roster.jobs.depth,lane=roster_jobs_all,state=temporarily_failed:1|g")
               for line in lines)  # fmt: skip
    assert any(line.startswith(f"airflow.roster.warmup.users_warmed:{len(warmup_data[0])}|c") for line in lines)
