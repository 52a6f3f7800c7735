"""Who may do what on the Roster page: Airflow's own auth manager decides, through the core API's security
dependencies, by the user's access to the roster DAGs. Reading needs read access to the DAG whose data is shown;
acting needs edit access to the DAG that does the same thing in Airflow (roster_failed_jobs: retry, remove, stop
consumers; roster_cancel_jobs: cancel). No token or cookie: 401/403."""

from __future__ import annotations

from fastapi import Depends

from airflow.api_fastapi.core_api.security import requires_access_dag

READ_JOBS = [Depends(requires_access_dag("GET", param_dag_id="roster_job_queue"))]
EDIT_JOBS = [Depends(requires_access_dag("PUT", param_dag_id="roster_failed_jobs"))]
CANCEL_JOBS = [Depends(requires_access_dag("PUT", param_dag_id="roster_cancel_jobs"))]
READ_WARMUP = [Depends(requires_access_dag("GET", param_dag_id="roster_user_cache_warmup"))]
EDIT_WARMUP = [Depends(requires_access_dag("PUT", param_dag_id="roster_user_cache_warmup"))]
