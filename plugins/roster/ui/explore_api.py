"""JSON for looking into the job table and acting on what one finds: jobs by filter (paginated on the server), a
job's story, bulk retry / remove / cancel of a filter's matches (a batch per call, with progress), and pausing a
lane. Bad filter values are refused with a one-line 400 naming the field."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from roster.errors import InvalidOptionError, NotFoundError
from roster.ui import access
from roster.ui.services import QUEUE, answering, engine, job_queue, no_job_table

router = APIRouter(prefix="/api/jobs", tags=["jobs"])
COUNT_CAP = 100_000  # matches counted for the page; more shows as "100000+"
ERROR_SHOWN = 300  # characters of a listed job's error


def _filter(**raw: Any):
    from roster.jobs.job_filter import JobFilter

    return JobFilter.parse(**raw)


class BulkAction(BaseModel):
    """A filter (the search's fields), where to go on (``before``: the previous answer's ``next_before``), and for
    remove ``confirm: true``."""

    model_config = ConfigDict(extra="forbid")

    lane: Any = None
    state: Any = None
    callback: Any = None
    identifier: Any = None
    serial_group: Any = None
    since: Any = None
    until: Any = None
    before: Any = None
    confirm: bool = Field(False, description="remove deletes jobs for good: must be true")


@router.get("/search", dependencies=access.READ_JOBS)
def search(
    lane: str | None = None, state: str | None = None, callback: str | None = None, identifier: str | None = None,
    serial_group: str | None = None, since: str | None = None, until: str | None = None,
    before: str | None = Query(None, description="the previous page's next_before"),
    limit: int = Query(50, ge=1, le=500),
) -> dict[str, Any]:
    """Jobs matching the filter, newest first, ``limit`` a page; ``total`` counts matches up to COUNT_CAP."""
    from roster.jobs.job_filter import cursor
    from roster.monitor.overview import QueueOverview

    if (empty := no_job_table({"jobs": [], "total": 0, "next_before": None})) is not None:
        return empty
    with answering():
        chosen = _filter(lane=lane, state=state, callback=callback, identifier=identifier, serial_group=serial_group,
                         since=since, until=until)  # fmt: skip
        start = cursor(before)
        store = job_queue().store
        ids = chosen.ids(store, QUEUE, before=start, limit=limit + 1)
        matches = chosen.count(store, QUEUE, cap=COUNT_CAP + 1)
        jobs = QueueOverview(engine(), queue=QUEUE).jobs_by_id(ids[:limit])
    for job in jobs:
        job["error_message"] = (job["error_message"] or "")[:ERROR_SHOWN] or None
    return {"jobs": jobs, "next_before": ids[limit - 1] if len(ids) > limit else None,
            "total": min(matches, COUNT_CAP), "total_capped": matches > COUNT_CAP, "filter": chosen.to_dict()}  # fmt: skip


@router.get("/{job_id}/story", dependencies=access.READ_JOBS)
def story(job_id: int) -> dict[str, Any]:
    """A job's story: what it is, where it stands, every attempt with its error, traceback and task log."""
    from roster.monitor.job_story import job_story

    with answering():
        job_queue().require_table()
        found = job_story(job_queue().store, job_id)
        if found is None:
            raise NotFoundError(f"job {job_id}: no such job in the job table")
    return found


@router.post("/bulk/{action}", dependencies=access.EDIT_JOBS)
def bulk(action: str, body: BulkAction) -> dict[str, Any]:
    """One step of a bulk action over the filter's matches (about two seconds of batches); call again with
    ``before`` = ``next_before`` until it is null."""
    from roster.jobs.bulk import bulk_step
    from roster.jobs.job_filter import cursor

    with answering():
        fields = body.model_dump(exclude={"before", "confirm"})
        chosen = _filter(**fields)
        if action == "remove" and not body.confirm:
            raise InvalidOptionError("confirm must be true: removing deletes the jobs for good")
        job_queue().require_table()
        return {**bulk_step(job_queue().store, QUEUE, chosen, action, before=cursor(body.before)),
                "filter": chosen.to_dict()}  # fmt: skip


@router.post("/lanes/{lane}/pause", dependencies=access.EDIT_JOBS)
def pause_lane(lane: str) -> dict[str, Any]:
    """The lane's consumers claim nothing from their next claim cycle on; its jobs keep their place."""
    from roster.jobs import pause

    with answering():
        pause.check_lane(lane)
        return pause.pause(job_queue().store, lane)


@router.post("/lanes/{lane}/resume", dependencies=access.EDIT_JOBS)
def resume_lane(lane: str) -> dict[str, Any]:
    from roster.jobs import pause

    with answering():
        pause.check_lane(lane)
        return pause.resume(job_queue().store, lane)
