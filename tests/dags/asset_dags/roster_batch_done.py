"""A DAG scheduled on a batch's Asset (tests/dags/test_standalone_batches.py): it records each run in job_runs."""

from __future__ import annotations

import os
import time
from datetime import datetime

from airflow.sdk import DAG, Asset, task

with DAG(
    dag_id="roster_batch_done",
    schedule=[Asset("roster://batches/standalone-import")],
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["roster", "test"],
):

    @task
    def record_batch_done(**context) -> int:
        from sqlalchemy import create_engine, text

        events = context["triggering_asset_events"]  # by asset and by the alias it came through: the same event twice
        count = len({(event.source_run_id, str(event.timestamp)) for found in events.values() for event in found})
        with create_engine(os.environ["ROSTER_TEST_RUNS_URL"]).begin() as conn:
            conn.execute(text("INSERT INTO job_runs (run_key, pid, started, finished) VALUES (:k, :p, :s, :s)"),
                         {"k": f"asset-run {count}", "p": os.getpid(), "s": time.time()})  # fmt: skip
        return count

    record_batch_done()
