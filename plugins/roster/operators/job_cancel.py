"""CancelJobsOperator: cancel jobs from a run's params (``ids`` or ``identifier``), as ``roster jobs cancel``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.sdk.exceptions import AirflowFailException

from roster.errors import InvalidOptionError
from roster.operators.jobs import _JobMaintenanceOperator, job_queue

if TYPE_CHECKING:
    from airflow.sdk import Context


class CancelJobsOperator(_JobMaintenanceOperator):
    """Jobs not running become CANCELLED at once; running ones are flagged (see ``JobQueue.cancel``)."""

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
