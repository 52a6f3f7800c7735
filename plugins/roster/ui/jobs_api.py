"""JSON of the job queue for the Roster page: lanes, consumers, permanent failures, and the operator's actions.
Every action answers with what it changed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from roster.errors import InvalidOptionError
from roster.ui import access
from roster.ui.services import answering, engine, job_queue

router = APIRouter(prefix="/api/jobs", tags=["jobs"])
PARAMETERS_SHOWN = 300  # characters of a failed job's parameters on the page


class JobIds(BaseModel):
    """Which permanently failed jobs: ``ids``, or ``all`` for every one (never both)."""

    ids: list[int] = Field(default_factory=list, description="job ids")
    all: bool = Field(False, description="every permanently failed job")

    def selection(self) -> list[int] | None:
        if self.all == bool(self.ids):
            raise InvalidOptionError("give either ids (a list of job ids) or all=true")
        return None if self.all else self.ids


class Confirmed(JobIds):
    confirm: bool = Field(False, description="removing deletes jobs for good: must be true")


@router.get("/lanes", dependencies=access.READ_JOBS)
def lanes() -> dict[str, Any]:
    """Per lane: jobs per state, oldest ready age, finished per minute over the last hour, pool slots; and lanes
    where jobs are ready but no consumer holds a job."""
    from roster.jobs.lanes_config import lane_specs
    from roster.monitor.overview import QueueOverview
    from roster.ui.airflow_state import pool_slots

    with answering():
        overview = QueueOverview(engine())
        current = overview.lanes()
        throughput = overview.finished_per_minute(60)
    slots = pool_slots()
    out = []
    for name, lane in current.items():
        spec = lane_specs()[name]
        out.append({
            **lane.to_dict(), "priorities": spec["priorities"], "description": spec["description"],
            "finished_per_minute": throughput[name],
            "slots": slots.get(name, {"used": 0, "total": spec["slots"]}),
            "unconsumed": lane.counts["ready"] > 0 and lane.counts["processing"] == 0,
        })  # fmt: skip
    return {"lanes": out}


@router.get("/consumers", dependencies=access.READ_JOBS)
def consumers() -> dict[str, Any]:
    """Who holds PROCESSING jobs now (pid, host, worker, since, lease expiry)."""
    from roster.monitor.overview import QueueOverview

    with answering():
        return {"consumers": QueueOverview(engine()).consumers()}


@router.get("/failed", dependencies=access.READ_JOBS)
def failed() -> dict[str, Any]:
    """Permanently failed jobs: callback, error, attempts, last attempt, parameters (truncated)."""
    import orjson

    with answering():
        jobs = job_queue().failed()
    for job in jobs:
        text = orjson.dumps(job["parameters"]).decode()
        job["parameters"] = text if len(text) <= PARAMETERS_SHOWN else text[:PARAMETERS_SHOWN] + "…"
        job["last_attempt_at"] = str(job["last_attempt_at"]) if job["last_attempt_at"] else None
    return {"failed": jobs}


@router.post("/failed/retry", dependencies=access.EDIT_JOBS)
def retry(body: JobIds) -> dict[str, Any]:
    """Back to READY with a fresh attempt count."""
    with answering():
        return {"retried": job_queue().retry(body.selection())}


@router.post("/failed/remove", dependencies=access.EDIT_JOBS)
def remove(body: Confirmed) -> dict[str, Any]:
    """Delete for good (needs ``confirm: true``)."""
    with answering():
        if not body.confirm:
            raise InvalidOptionError("confirm must be true: removing deletes the jobs for good")
        return {"removed": job_queue().remove(body.selection())}


@router.post("/stop-consumers", dependencies=access.EDIT_JOBS)
def stop_consumers() -> dict[str, Any]:
    """Every consumer running now stops after its current job (like ``messenger:stop-workers``)."""
    with answering():
        job_queue().stop_consumers()
    return {"stop_requested": True}
