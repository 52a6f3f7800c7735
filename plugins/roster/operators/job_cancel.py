"""CancelJobsOperator: cancel jobs from a run's params (``ids`` or ``identifier``), as ``roster jobs cancel``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.sdk.exceptions import AirflowFailException

from roster.errors import InvalidOptionError
from roster.operators.job_maintenance import JobMaintenanceOperator
from roster.operators.jobs import job_queue

if TYPE_CHECKING:
    from airflow.sdk import Context


class CancelJobsOperator(JobMaintenanceOperator):
    """Jobs not running become CANCELLED at once; running ones are flagged (see ``JobQueue.cancel``)."""

    def execute(self, context: Context) -> dict[str, Any]:
        from roster.params import parse_ids, refuse_unknown

        params = context["params"]
        identifier = params.get("identifier") or None
        try:
            refuse_unknown(params, ("ids", "identifier"))
            ids = parse_ids(params.get("ids")) or ()
            with job_queue(self.db_conn_id, self.queue_name) as queue:
                result = queue.cancel(ids, identifier=identifier)
        except InvalidOptionError as exc:
            raise AirflowFailException(f"{exc} (params ids, identifier)") from exc
        self.log.info("cancel ids=%s identifier=%r: %s", list(ids), identifier, result)
        return result
