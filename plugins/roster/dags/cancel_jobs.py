"""
### roster_cancel_jobs

For the operator, from the trigger form: cancel jobs by `ids`, or every job of the queue with `identifier`.
READY, WAITING and TEMPORARILY_FAILED jobs (and jobs waiting for the broker) become CANCELLED at once and never
run; a job running now is flagged: its callback can check `current_job().cancel_requested`, and if its run does
not finish it ends CANCELLED. The counts are in the task log and its XCom.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG, Param

from roster.operators.job_cancel import CancelJobsOperator
from roster.params import ID_LIST_SCHEMA

with DAG(
    dag_id="roster_cancel_jobs",
    description="Cancel jobs by id or identifier",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    params={
        "ids": Param(None, **ID_LIST_SCHEMA, title="Job ids",
                     description="Jobs to cancel: ids one per line or comma separated (or give Identifier)."),
        "identifier": Param(None, type=["null", "string"], minLength=1, maxLength=191, title="Identifier",
                            description="Cancel every job of the queue with this identifier (or give Job ids)."),
    },  # fmt: skip
    tags=["roster", "jobs", "operations"],
    doc_md=__doc__,
) as dag:
    CancelJobsOperator(task_id="cancel_jobs", retries=0)
