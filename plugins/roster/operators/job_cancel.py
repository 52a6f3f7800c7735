"""CancelJobsOperator: cancel jobs from a run's params (``ids`` or ``identifier``), as ``roster jobs cancel``."""

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


class CancelJobsOperator(BaseOperator):
    """Jobs not running become CANCELLED at once; running ones are flagged (see ``JobQueue.cancel``)."""

    template_fields: Sequence[str] = ("queue_name", "db_conn_id")

    def __init__(self, *, queue_name: str = "default", db_conn_id: str = settings.DB_CONN_ID, **kwargs) -> None:
        super().__init__(**kwargs)
        self.queue_name = queue_name
        self.db_conn_id = db_conn_id

    def execute(self, context: Context) -> dict[str, Any]:
        params = context["params"]
        ids, identifier = params.get("ids") or (), params.get("identifier") or None
        try:
            with job_queue(self.db_conn_id, self.queue_name) as queue:
                result = queue.cancel(ids, identifier=identifier)
        except InvalidOptionError as exc:
            raise AirflowFailException(f"{exc} (params ids, identifier)") from exc
        self.log.info("cancel ids=%s identifier=%r: %s", list(ids), identifier, result)
        return result
