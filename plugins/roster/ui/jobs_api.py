"""JSON of the job queue for the Roster page: lanes, consumers, jobs waiting to run, batches, permanent failures, and the
operator's actions. Every action answers with what it changed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from roster.errors import InvalidOptionError, NotFoundError
from roster.ui import access
from roster.ui.services import QUEUE, answering, engine, job_queue, no_job_table

router = APIRouter(prefix="/api/jobs", tags=["jobs"])
PARAMETERS_SHOWN = 300  # characters of a job's parameters on the page
CANCEL_IDS_MAX = 1000  # job ids one cancel may name
IDENTIFIER_MAX = 191  # characters: the identifier column's size


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


class CancelJobs(BaseModel):
    """Which jobs to cancel: ``ids`` (any queue), or every job of the queue with ``identifier`` (never both). Both
    are checked here, so every bad value gets a one-line 400 naming its field."""

    model_config = ConfigDict(extra="allow")  # an unknown field is refused by name, not ignored

    ids: Any = Field(None, description="job ids: a list, or a string of ids separated by commas, spaces or newlines")
    identifier: Any = Field(None, description="every job of the queue with this identifier")

    def targets(self) -> tuple[list[int], str | None]:
        """``(ids, None)`` or ``([], identifier)``."""
        from roster.params import parse_ids, refuse_unknown

        refuse_unknown(self.model_extra or {}, ["ids", "identifier"])
        if (self.ids is None) == (self.identifier is None):
            raise InvalidOptionError("give param ids (job ids) or param identifier, exactly one of them")
        if self.identifier is not None:
            if not isinstance(self.identifier, str) or not self.identifier.strip() or len(self.identifier) > IDENTIFIER_MAX:
                raise InvalidOptionError(f"param identifier must be a non-empty string of at most {IDENTIFIER_MAX} "
                                         f"characters, got {self.identifier!r:.60}")  # fmt: skip
            return [], self.identifier
        ids = parse_ids(self.ids, param="ids") or []
        if len(ids) > CANCEL_IDS_MAX:
            raise InvalidOptionError(f"param ids: {len(ids)} job ids, at most {CANCEL_IDS_MAX} at once")
        return ids, None


def _shown(parameters: str) -> str:
    return parameters if len(parameters) <= PARAMETERS_SHOWN else parameters[:PARAMETERS_SHOWN] + "…"


@router.get("/lanes", dependencies=access.READ_JOBS)
def lanes() -> dict[str, Any]:
    """Per lane: jobs per state, oldest ready age, finished per minute over the last hour, pool slots, since when it
    is paused (or null); and lanes where jobs are due but no consumer holds a job (``unconsumed``)."""
    from roster.jobs.lanes import lane_specs
    from roster.jobs.pause import paused_lanes
    from roster.monitor.overview import QueueOverview
    from roster.ui.airflow_state import pool_slots

    if (state := no_job_table({"lanes": []})) is not None:
        return state
    with answering():
        overview = QueueOverview(engine())
        current = overview.lanes()
        throughput = overview.finished_per_minute(60)
        paused = paused_lanes(overview.store)
    slots = pool_slots()
    out = []
    for name, lane in current.items():
        spec = lane_specs()[name]
        out.append({
            **lane.to_dict(), "priorities": spec["priorities"], "description": spec["description"],
            "finished_per_minute": throughput[name],
            "slots": slots.get(name, {"used": 0, "total": spec["slots"]}),
            # due jobs and nobody holding one, unless paused on purpose (ready jobs due later wait as they should)
            "unconsumed": (lane.oldest_ready_age_seconds is not None and lane.counts["processing"] == 0
                           and name not in paused),
            "paused_since": paused[name].isoformat(timespec="seconds") + "+00:00" if name in paused else None,
        })  # fmt: skip
    return {"lanes": out}


@router.get("/consumers", dependencies=access.READ_JOBS)
def consumers() -> dict[str, Any]:
    """Who holds PROCESSING jobs now (pid, host, worker, since, lease expiry, last renewal and whether it is late),
    and how many outcomes of stale claims were discarded (``superseded``)."""
    from roster.monitor.overview import QueueOverview

    if (state := no_job_table({"consumers": [], "superseded": 0})) is not None:
        return state
    with answering():
        return {"consumers": QueueOverview(engine()).consumers(), "superseded": job_queue().superseded()}


@router.get("/waiting", dependencies=access.READ_JOBS)
def waiting(limit: int = Query(50, ge=1, le=500, description="jobs listed, most urgent first")) -> dict[str, Any]:
    """Jobs waiting to run (ready, waiting, temporarily failed): how many per state, and the ``limit`` most urgent
    in claim order (priority, then id) with callback, identifier, due time, attempts, parameters (truncated)."""
    from roster.monitor.overview import QueueOverview

    empty = dict.fromkeys(("ready", "waiting", "temporarily_failed", "waiting_for_limit", "ready_to_run"), 0)
    if (state := no_job_table({"jobs": [], "counts": empty, "limit": limit})) is not None:
        return state
    with answering():
        result = QueueOverview(engine(), queue=QUEUE).waiting(limit)
    for job in result["jobs"]:
        job["parameters"] = _shown(str(job["parameters"]))
    return {**result, "limit": limit}


@router.get("/batches", dependencies=access.READ_JOBS)
def batches(limit: int = Query(50, ge=1, le=500, description="batches listed, newest first")) -> dict[str, Any]:
    """Batches of the queue, newest first, with their progress: total, finished, failed, cancelled, unfinished,
    state (publishing, running, complete), their on_complete callback and Asset, when completed and announced."""
    if (state := no_job_table({"batches": [], "limit": limit})) is not None:
        return state
    with answering():
        return {"batches": job_queue().batches(limit), "limit": limit}


@router.get("/failed", dependencies=access.READ_JOBS)
def failed(limit: int = Query(100, ge=1, le=500, description="the newest failures listed")) -> dict[str, Any]:
    """The ``limit`` newest permanently failed jobs, in id order: callback, error, attempts, last attempt,
    parameters (truncated). Find older ones with the search's filters."""
    import orjson

    from roster.jobs.job_filter import JobFilter
    from roster.jobs.states import State

    if (state := no_job_table({"failed": []})) is not None:
        return state
    with answering():
        newest = JobFilter(state=State.PERMANENTLY_FAILED).ids(job_queue().store, QUEUE, limit=limit)
        jobs = job_queue().failed(newest) if newest else []
    for job in jobs:
        job["parameters"] = _shown(orjson.dumps(job["parameters"]).decode())
        job["last_attempt_at"] = str(job["last_attempt_at"]) if job["last_attempt_at"] else None
    return {"failed": jobs}


@router.post("/failed/retry", dependencies=access.EDIT_JOBS)
def retry(body: JobIds) -> dict[str, Any]:
    """Back to READY with a fresh attempt count."""
    with answering():
        job_queue().require_table()
        return {"retried": job_queue().retry(body.selection())}


@router.post("/failed/remove", dependencies=access.EDIT_JOBS)
def remove(body: Confirmed) -> dict[str, Any]:
    """Delete for good (needs ``confirm: true``)."""
    with answering():
        job_queue().require_table()
        if not body.confirm:
            raise InvalidOptionError("confirm must be true: removing deletes the jobs for good")
        return {"removed": job_queue().remove(body.selection())}


@router.post("/cancel", dependencies=access.CANCEL_JOBS)
def cancel(body: CancelJobs) -> dict[str, Any]:
    """Cancel jobs by ``ids`` (any queue) or every job of the queue with ``identifier``, as roster_cancel_jobs does:
    ready, waiting and temporarily failed jobs become CANCELLED at once; a running one is flagged. Ids or an
    identifier that match no job are refused (404) and nothing is cancelled."""
    from roster.monitor.overview import QueueOverview

    with answering():
        ids, identifier = body.targets()
        job_queue().require_table()
        overview = QueueOverview(engine(), queue=QUEUE)
        if ids:
            unknown = sorted(set(ids) - set(overview.job_states(ids)))
            if unknown:
                named = ", ".join(map(str, unknown[:10])) + (f" and {len(unknown) - 10} more" if len(unknown) > 10 else "")
                raise NotFoundError(f"param ids: no job {named} in the job table; nothing was cancelled")
        elif not overview.identifier_jobs(identifier):
            raise NotFoundError(f"param identifier: no job of queue {QUEUE!r} has the identifier {identifier!r}")
        return job_queue().cancel(ids, identifier=identifier)


@router.post("/stop-consumers", dependencies=access.EDIT_JOBS)
def stop_consumers() -> dict[str, Any]:
    """Every consumer running now stops after its current job (like ``messenger:stop-workers``)."""
    with answering():
        job_queue().stop_consumers()
    return {"stop_requested": True}
