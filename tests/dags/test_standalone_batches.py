"""Under a real scheduler: a DAG scheduled on a batch's Asset (``roster://batches/<name>``) runs once, after
roster_job_queue ran the batch's jobs and its ``announce_batches`` task emitted the event; a later run of
roster_job_queue emits nothing more, so it does not run again."""

from __future__ import annotations

import os
import shutil

import pytest

from conftest import MARIADB_URL, ROOT, TEST_DATABASE
from roster.jobs import JobQueue, State
from tests.jobs.conftest import reset, runs, states
from tests.standalone import StandaloneAirflow

pytestmark = pytest.mark.slow

QUEUE_DAG, ASSET_DAG = "roster_job_queue", "roster_batch_done"


def _runs(airflow: StandaloneAirflow, dag_id: str, state: str | None = None) -> list[dict]:
    return [r for r in airflow.runs(dag_id) if state is None or r["state"] == state]


def test_a_dag_scheduled_on_a_batch_asset_runs_once_under_a_real_scheduler(mariadb_engine, tmp_path_factory):
    reset(mariadb_engine)
    queue = JobQueue(mariadb_engine)
    queue.update_schema()
    dags = tmp_path_factory.mktemp("asset-dags")
    shutil.copy(ROOT / "dags" / "roster_job_queue.py", dags)
    shutil.copy(ROOT / "tests" / "dags" / "asset_dags" / "roster_batch_done.py", dags)
    env = {
        "AIRFLOW_CONN_ROSTER_DB": f"{MARIADB_URL}/{TEST_DATABASE}",
        "AIRFLOW_CONN_ROSTER_REDIS": os.environ["AIRFLOW_CONN_ROSTER_REDIS"],
        "AIRFLOW_CONN_ROSTER_SQS": "aws://testing:testing@/?region_name=us-east-1",
        "ROSTER_JOB_MODULES": "tests.jobs.callbacks",
        "ROSTER_TEST_RUNS_URL": f"{MARIADB_URL}/{TEST_DATABASE}",
        "PYTHONPATH": str(ROOT),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
    }
    with queue.batch("standalone-import", on_complete="batch_report") as batch:
        for i in range(200):
            batch.publish("batch_item", {"key": f"s{i}", "fail": i in (3, 100, 199)})

    with StandaloneAirflow(tmp_path_factory.mktemp("standalone"), env=env, unpause=f"{QUEUE_DAG} {ASSET_DAG}") as airflow:
        try:
            airflow.wait_until(lambda: _runs(airflow, ASSET_DAG, "success"), 420, f"a successful run of {ASSET_DAG}")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\nruns of {QUEUE_DAG}: {_runs(airflow, QUEUE_DAG)}\nbatches: {queue.batches()}"
                                 f"\nruns of {ASSET_DAG}: {_runs(airflow, ASSET_DAG)}") from None
        asset_runs = _runs(airflow, ASSET_DAG)
        first_queue_runs = len(_runs(airflow, QUEUE_DAG))
        # Another run of the consumers' DAG (every minute) announces nothing more: no second run of the Asset's DAG.
        airflow.wait_until(lambda: len(_runs(airflow, QUEUE_DAG, "failed") + _runs(airflow, QUEUE_DAG, "success"))
                           > first_queue_runs, 150, f"another finished run of {QUEUE_DAG}")  # fmt: skip
        assert len(_runs(airflow, ASSET_DAG)) == len(asset_runs) == 1, _runs(airflow, ASSET_DAG)

    by_state = states(mariadb_engine)
    assert sorted(by_state[i] for i in batch.ids).count(State.PERMANENTLY_FAILED) == 3
    keys = [r[0] for r in runs(mariadb_engine)]
    assert keys.count("report standalone-import 200 197 3 0") == 1
    assert keys.count("asset-run 1") == 1  # the Asset DAG's one run saw one event
