"""
### roster_failed_jobs

For the operator, from the trigger form: `show` the permanently failed jobs (all, or the ids given), `retry` them
(back to READY with a fresh attempt count), or `remove` them (needs `confirm`). The result is in the task log and
its XCom.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG, Param

from roster.operators.jobs import FailedJobsOperator

with DAG(
    dag_id="roster_failed_jobs",
    description="Show, retry or remove failed jobs",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    params={
        "action": Param("show", enum=["show", "retry", "remove"], description="What to do with the failed jobs"),
        "ids": Param(None, type=["null", "array"], items={"type": "integer", "minimum": 1},
                     description="Job ids; empty: every failed job (retry and remove also need all=true)"),
        "all": Param(False, type="boolean", description="Retry or remove every failed job"),
        "confirm": Param(False, type="boolean", description="Required to remove: deleting cannot be undone"),
    },  # fmt: skip
    tags=["roster", "jobs", "operations"],
    doc_md=__doc__,
):
    FailedJobsOperator(task_id="failed_jobs", retries=0)
