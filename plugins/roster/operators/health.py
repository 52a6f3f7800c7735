"""Operators of roster's operations: the maintenance DAG's gauges, and the health DAG's checks, each failing with
the sentence that says what is wrong (so ``on_failure_callback`` notifiers deliver exactly that)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException

from roster import settings
from roster.operators.job_maintenance import JobMaintenanceOperator
from roster.operators.jobs import job_queue

if TYPE_CHECKING:
    from airflow.sdk import Context


class JobQueueGaugesOperator(JobMaintenanceOperator):
    """Send each lane's depth per state and its oldest ready job's age as gauges; returns them."""

    def execute(self, context: Context) -> dict[str, Any]:
        from roster.monitor.overview import QueueOverview
        from roster.operators import metrics

        with job_queue(self.db_conn_id, self.queue_name) as queue:
            sent = metrics.queue_gauges(QueueOverview(queue.engine, queue=self.queue_name))
        self.log.info("lanes: %s", sent)
        return sent


def _raise_problems(problems: list[str]) -> None:
    if problems:
        raise AirflowFailException("; ".join(problems))


class JobQueueHealthCheckOperator(BaseOperator):
    """One check of :mod:`roster.monitor.health` on the job table (``depth``, ``failure_rate``, ``no_consumer``,
    ``oldest_ready``), with the thresholds of the environment. Fails, without retries, when the check finds a
    problem; returns ``"ok"`` otherwise."""

    template_fields: Sequence[str] = ("queue_name", "db_conn_id")
    ui_color = "#d8f0d8"

    def __init__(
        self, *, check: str, queue_name: str = "default", db_conn_id: str = settings.DB_CONN_ID, **kwargs
    ) -> None:
        super().__init__(**kwargs)
        self.check = check
        self.queue_name = queue_name
        self.db_conn_id = db_conn_id

    def execute(self, context: Context) -> str:
        from roster.connections import engine_for
        from roster.monitor.health import QUEUE_CHECKS, Thresholds
        from roster.monitor.overview import QueueOverview

        from roster.monitor.alerts import ALERTS, record

        check = QUEUE_CHECKS[self.check]
        engine = engine_for(self.db_conn_id)
        try:
            overview = QueueOverview(engine, queue=self.queue_name)
            problems = check(overview, Thresholds.from_env())
            if self.check in ALERTS:  # the Roster page shows since when it fires
                record(overview.store, self.check, problems)
        finally:
            engine.dispose()
        _raise_problems(problems)
        self.log.info("%s: healthy", self.check)
        return "ok"


class WarmupHealthCheckOperator(BaseOperator):
    """Fail when the latest roster_user_cache_warmup run failed or warmed nothing."""

    template_fields: Sequence[str] = ("redis_conn_id",)
    ui_color = "#d8f0d8"

    def __init__(self, *, redis_conn_id: str = settings.REDIS_CONN_ID, **kwargs) -> None:
        super().__init__(**kwargs)
        self.redis_conn_id = redis_conn_id

    def execute(self, context: Context) -> dict[str, Any] | None:
        from roster.connections import redis_for
        from roster.monitor.health import check_warmup
        from roster.warmup.runs import last_run

        client = redis_for(self.redis_conn_id)
        try:
            run = last_run(client)
        finally:
            client.close()
        _raise_problems(check_warmup(run))
        self.log.info("last warmup run %s: %s users warmed", run["run_id"], run.get("users_warmed"))
        return run
