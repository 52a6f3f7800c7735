"""
### roster_failed_jobs

For the operator, from the trigger form: `show` the permanently failed jobs (all, or the ids given), `retry` them
(back to READY with a fresh attempt count), or `remove` them (needs `confirm`). The result is in the task log and
its XCom.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG, Param

from roster.operators.job_maintenance import FailedJobsOperator
from roster.params import ID_LIST_SCHEMA

with DAG(
    dag_id="roster_failed_jobs",
    description="Show, retry or remove failed jobs",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    params={
        "action": Param("show", enum=["show", "retry", "remove"], title="Action",
                        description="show: list the failed jobs. retry: back to READY with a fresh attempt count. "
                        "remove: delete them (needs Confirm)."),
        "ids": Param(None, **ID_LIST_SCHEMA, title="Job ids",
                     description="Only these jobs: ids one per line or comma separated. Leave empty for every failed "
                     "job (retry and remove then also need All failed jobs)."),
        "all": Param(False, type="boolean", title="All failed jobs",
                     description="Retry or remove every failed job when no ids are given."),
        "confirm": Param(False, type="boolean", title="Confirm",
                         description="Required to remove: deleting cannot be undone."),
    },  # fmt: skip
    tags=["roster", "jobs", "operations"],
    doc_md=__doc__,
) as dag:
    FailedJobsOperator(task_id="failed_jobs", retries=0)
