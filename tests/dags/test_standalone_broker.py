"""roster_job_broker under a real scheduler and triggerer (``scripts/standalone.sh`` with its moto SQS server),
where ``dag.test()`` cannot tell: the sensor starts and ends in the triggerer, no worker process ever runs it, and
the lanes it wakes run the delivered jobs, each once, most urgent first."""

from __future__ import annotations

import os
import sqlite3
import time

import pytest
from sqlalchemy import text

from conftest import MARIADB_URL, ROOT, TEST_DATABASE
from roster.jobs import JobQueue, State
from roster.jobs.broker import SqsBroker
from tests.jobs.conftest import reset, runs, states
from tests.standalone import StandaloneAirflow

pytestmark = pytest.mark.slow

DAG_ID = "roster_job_broker"


@pytest.fixture(scope="module")
def airflow(mariadb_engine, tmp_path_factory):
    env = {
        "AIRFLOW_CONN_ROSTER_DB": f"{MARIADB_URL}/{TEST_DATABASE}",
        "AIRFLOW_CONN_ROSTER_REDIS": os.environ["AIRFLOW_CONN_ROSTER_REDIS"],
        "ROSTER_JOB_MODULES": "tests.jobs.callbacks",
        "ROSTER_TEST_RUNS_URL": f"{MARIADB_URL}/{TEST_DATABASE}",
        "ROSTER_BROKER_IDLE_WAIT": "1",  # short runs: the test sees several wake-ups
        "PYTHONPATH": str(ROOT),
    }
    reset(mariadb_engine)
    JobQueue(mariadb_engine).update_schema()
    with StandaloneAirflow(tmp_path_factory.mktemp("standalone-broker"), env=env, unpause=DAG_ID) as running:
        yield running


def _sensor_instances(airflow: StandaloneAirflow) -> list[tuple]:
    """(run_id, state, hostname, pid) of every wait_for_job_ids task instance, from the metadata DB."""
    with sqlite3.connect(airflow.home / "airflow" / "airflow.db", timeout=30) as db:
        return db.execute(
            "SELECT run_id, state, hostname, pid FROM task_instance WHERE dag_id = ? AND task_id = 'wait_for_job_ids'",
            (DAG_ID,),
        ).fetchall()


def test_the_broker_sensor_waits_and_wakes_in_the_triggerer_only(airflow, mariadb_engine):
    import boto3

    url = airflow.environment()["ROSTER_JOBS_QUEUE_URL"]
    client = boto3.client("sqs", endpoint_url=url.rsplit("/", 2)[0], region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
    queue = JobQueue(mariadb_engine, broker=SqsBroker(url, client=client))
    airflow.wait_until(lambda: any(s[1] == "deferred" for s in _sensor_instances(airflow)), 120, "sensor deferred")

    for wave in range(2):  # two wake-ups: the second after the first run has ended
        with queue.bulk() as ids:  # one message per lane after the commit
            for i in range(6):
                queue.publish("record", {"key": f"w{wave}-{i}"}, priority=(5 if i % 2 else 50))
        assert len(ids) == 6
        airflow.wait_until(lambda: set(states(mariadb_engine).values()) == {State.FINISHED}, 120, f"wave {wave}")
        time.sleep(3)  # the run settles and ends (idle wait 1 s)

    done = runs(mariadb_engine)
    assert len(done) == 12 and len({r[0] for r in done}) == 12  # each job ran, and ran once
    with mariadb_engine.connect() as conn:
        workers = {w.split(".")[0] for (w,) in conn.execute(text("SELECT DISTINCT worker FROM background_job"))}
    assert workers == {DAG_ID}  # the broker's lanes ran them (the every-minute DAG is paused)
    sensors = _sensor_instances(airflow)
    finished = [s for s in sensors if s[1] == "success"]
    assert len(finished) >= 2, sensors  # each wave woke a run
    # Started and ended in the triggerer: no worker ever took these task instances.
    assert all(hostname in ("", None) and pid is None for _, _, hostname, pid in finished), sensors
    # The messages are settled once their jobs are done (by the run's last task, which a busy machine reaches a few
    # seconds later): the queue then holds none, neither waiting nor in flight.
    def depth() -> tuple[str, str]:
        attributes = client.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        return attributes["ApproximateNumberOfMessages"], attributes["ApproximateNumberOfMessagesNotVisible"]

    airflow.wait_until(lambda: depth() == ("0", "0"), 60, f"messages settled (waiting, in flight: {depth()})")
    assert depth() == ("0", "0")
