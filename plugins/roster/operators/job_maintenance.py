"""Operators of the job queue's upkeep: re-broker and rescue, clear finished jobs, show, retry or remove failed
jobs; and :class:`JobMaintenanceOperator`, the base of one pass of a JobQueue service (cancel and health use it too).

The job queue's name is ``queue_name``: ``queue`` is BaseOperator's (the executor's queue, e.g. Celery's).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException

from roster import settings
from roster.errors import InvalidOptionError
from roster.operators.jobs import job_queue

if TYPE_CHECKING:
    from airflow.sdk import Context


class JobMaintenanceOperator(BaseOperator):
    """One pass of a maintenance service of the job queue: the JobQueue method ``service``, which returns counts."""

    template_fields: Sequence[str] = ("queue_name", "db_conn_id")
    service: str

    def __init__(self, *, queue_name: str = "default", db_conn_id: str = settings.DB_CONN_ID, **kwargs) -> None:
        super().__init__(**kwargs)
        self.queue_name = queue_name
        self.db_conn_id = db_conn_id

    def execute(self, context: Context) -> dict[str, int]:
        with job_queue(self.db_conn_id, self.queue_name) as queue:
            result = getattr(queue, self.service)()
        self.log.info("%s: %s", self.service, result)
        self.report(result)
        return result

    def report(self, result: dict[str, int]) -> None:
        """Send the pass's metrics, if it has any."""


class RebrokerJobsOperator(JobMaintenanceOperator):
    """Send BACK_TO_BROKER and BROKER_FAILED jobs to the broker again (READY without a broker)."""

    service = "rebroker"


class RescueJobsOperator(JobMaintenanceOperator):
    """Jobs stuck in PROCESSING past their lease (their consumer died): READY again, or failed for good."""

    service = "rescue_expired"

    def report(self, result: dict[str, int]) -> None:
        from roster.operators import metrics

        metrics.rescued(result, self.queue_name)


class ClearFinishedJobsOperator(BaseOperator):
    """Delete FINISHED and REDUNDANT jobs older than ``days``, in small batches."""

    template_fields: Sequence[str] = ("days", "queue_name", "db_conn_id")

    def __init__(
        self, *, days: Any = 14, queue_name: str = "default", db_conn_id: str = settings.DB_CONN_ID, **kwargs
    ) -> None:
        super().__init__(**kwargs)
        self.days = days
        self.queue_name = queue_name
        self.db_conn_id = db_conn_id

    def execute(self, context: Context) -> int:
        try:
            days = float(self.days)
        except (TypeError, ValueError):
            raise AirflowFailException(f"param days={self.days!r} must be a number") from None
        try:
            with job_queue(self.db_conn_id, self.queue_name) as queue:
                deleted = queue.clear_finished(days)
        except InvalidOptionError as exc:
            raise AirflowFailException(str(exc)) from exc
        self.log.info("deleted %d finished job(s) older than %s days", deleted, days)
        return deleted


class FailedJobsOperator(BaseOperator):
    """Show, retry or remove PERMANENTLY_FAILED jobs from the run's params (``action``, ``ids``, ``confirm``).

    Removing needs ``confirm`` to be true: a deletion cannot be undone.
    """

    template_fields: Sequence[str] = ("queue_name", "db_conn_id")

    def __init__(self, *, queue_name: str = "default", db_conn_id: str = settings.DB_CONN_ID, **kwargs) -> None:
        super().__init__(**kwargs)
        self.queue_name = queue_name
        self.db_conn_id = db_conn_id

    def execute(self, context: Context) -> dict[str, Any]:
        from roster.params import parse_ids, refuse_unknown

        params = context["params"]
        action = params.get("action", "show")
        try:
            refuse_unknown(params, ("action", "ids", "all", "confirm"))
            ids = parse_ids(params.get("ids"))
        except InvalidOptionError as exc:
            raise AirflowFailException(str(exc)) from exc
        if action in ("retry", "remove") and ids is None and not params.get("all"):
            raise AirflowFailException(f"action {action} needs job ids in param ids, or param all=true")
        if action == "remove" and not params.get("confirm"):
            raise AirflowFailException("action remove deletes jobs for good: set param confirm=true to proceed")
        with job_queue(self.db_conn_id, self.queue_name) as queue:
            failed = queue.failed(ids)
            if action == "show":
                result: dict[str, Any] = {"action": "show", "jobs": failed}
            elif action == "retry":
                result = {"action": "retry", "retried": queue.retry(ids), "ids": [job["id"] for job in failed]}
            else:
                result = {"action": "remove", "removed": queue.remove(ids), "ids": [job["id"] for job in failed]}
        for job in failed:
            self.log.info(
                "job %s %s attempts=%s last=%s: %s", job["id"], job["callback_name"], job["number_of_attempts"],
                job["last_attempt_at"], (job["error_message"] or "")[:500],
            )  # fmt: skip
        self.log.info("%s: %s", action, {k: v for k, v in result.items() if k != "jobs"})
        return result
