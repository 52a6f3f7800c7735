"""The last task of the job DAGs: what the lanes' consumers did, and a failed task when a job failed for good.

A job that fails for good is the job's outcome, not the consumer's: the lane task that ran it succeeds, like the
jobs that went well. This task makes the failure visible where operators look, the run's grid: it adds up the
lanes' counts, logs each job that failed for good (id, callback, error), and then fails, so the run is red and
its log says what to do (``roster_failed_jobs``). Runs with no such job stay green.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException

if TYPE_CHECKING:
    from airflow.sdk import Context

COUNTS = ("claimed", "finished", "skipped", "temporarily_failed", "permanently_failed", "waiting", "released", "superseded")


def _results(outputs: Any) -> list[dict[str, Any]]:
    """The non-empty consumer summaries in ``outputs``: one XCom, or (lazy) sequences of mapped ones."""
    found: list[dict[str, Any]] = []
    for output in outputs or []:
        if isinstance(output, dict):
            found.append(output)
        elif output is not None:
            # Indexed up to len(): iterating a lazy XCom sequence probes one past its end, which Airflow logs.
            found.extend(output[i] for i in range(len(output)) if output[i])
    return found


class JobOutcomesOperator(BaseOperator):
    """Add up the consumers' summaries; fail when any job failed for good (the lanes stay green).

    :param lane_results: the lane tasks' outputs (``task.output``; a mapped task's is the list of its consumers')
    """

    template_fields: Sequence[str] = ("lane_results",)
    ui_color = "#f7d7d7"

    def __init__(self, *, lane_results: Sequence[Any], **kwargs) -> None:
        kwargs.setdefault("trigger_rule", "all_done")
        kwargs.setdefault("retries", 0)
        super().__init__(**kwargs)
        self.lane_results = lane_results

    def execute(self, context: Context) -> dict[str, Any]:
        results = _results(self.lane_results)
        totals: dict[str, Any] = {key: sum(int(r.get(key, 0)) for r in results) for key in COUNTS}
        failed = [job for r in results for job in r.get("failed_for_good", [])]
        totals["failed_for_good"] = failed[:50]
        self.log.info("%d consumer(s): %s", len(results), ", ".join(f"{k} {totals[k]}" for k in COUNTS))
        for job in failed:
            self.log.error("job %s (%s) failed for good in lane %s: %s",
                           job.get("id"), job.get("callback"), job.get("lane"), job.get("error"))  # fmt: skip
        context["ti"].xcom_push(key="outcomes", value=totals)  # pushed before failing, unlike a return value
        if totals["permanently_failed"]:
            ids = ", ".join(str(job.get("id")) for job in failed[:20]) or "see the lanes' logs"
            raise AirflowFailException(
                f"{totals['permanently_failed']} job(s) failed for good (ids {ids}); the other jobs are done. "
                "Show, retry or remove them with roster_failed_jobs or `roster jobs failed show`."
            )
        return totals
