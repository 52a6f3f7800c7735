"""
### roster_health

Every 5 minutes, the alerts of the operations guide: one task per check, which fails (without retries) with a
message saying exactly what is wrong, so the DAG's `on_failure_callback` notifiers (docs/operations.md: SMTP, Slack)
deliver it. The Roster page shows the four of the operations guide (no_consumer, queue_depth, failure_rate, memory)
with since when each fires, which these tasks record. Thresholds are environment variables:

| task | fails when | setting (default) |
| --- | --- | --- |
| `queue_depth` | a lane has more jobs READY than the threshold | `ROSTER_ALERT_DEPTH` (500) |
| `failure_rate` | more than this share of the jobs attempted in the window failed | `ROSTER_ALERT_FAILURE_RATE` (0.10), `ROSTER_ALERT_FAILURE_WINDOW_MINUTES` (15), `ROSTER_ALERT_FAILURE_MIN_JOBS` (20) |
| `no_consumer` | a lane has jobs due for this long and nothing claimed from it for this long | `ROSTER_ALERT_NO_CONSUMER_MINUTES` (5) |
| `oldest_ready` | a lane's oldest due job has waited longer | `ROSTER_ALERT_OLDEST_READY_MINUTES` (15) |
| `memory` | a job attempted in the failure window ran in a consumer process above this resident size | `ROSTER_ALERT_MEMORY_MB` (512) |
| `warmup` | the latest `roster_user_cache_warmup` run failed or warmed nothing | |
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG

from roster.operators.health import JobQueueHealthCheckOperator, WarmupHealthCheckOperator

CHECKS = {"queue_depth": "depth", "failure_rate": "failure_rate", "no_consumer": "no_consumer",
          "oldest_ready": "oldest_ready", "memory": "memory"}  # fmt: skip

with DAG(
    dag_id="roster_health",
    description="Alerts: queue depth, failure rate, lanes without consumers, old jobs, failed warmups",
    schedule="*/5 * * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(minutes=4),
    default_args={"retries": 0},
    tags=["roster", "operations"],
    doc_md=__doc__,
) as dag:
    for task_id, check in CHECKS.items():
        JobQueueHealthCheckOperator(task_id=task_id, check=check)
    WarmupHealthCheckOperator(task_id="warmup")
