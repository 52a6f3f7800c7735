"""JSON of the Roster page's charts (per lane and minute: finished, failed, depth, due -> start latency; see
:mod:`roster.monitor.minutes` for where it comes from) and of the alerts as roster's health check sees them now."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from roster.ui import access
from roster.ui.services import QUEUE, answering, job_queue, no_job_table

router = APIRouter(prefix="/api/jobs", tags=["jobs"])
WINDOWS = {"hour": 60, "day": 1440}


@router.get("/charts", dependencies=access.READ_JOBS)
def charts(window: str = Query("hour", pattern="^(hour|day)$", description="hour or day")) -> dict[str, Any]:
    """One point a minute over the window, per lane; the last point is the minute in progress."""
    from roster.monitor.minutes import record_minutes_quietly, series

    if (empty := no_job_table({"minutes": [], "lanes": {}})) is not None:
        return empty
    with answering():
        # Minutes no consumer task was there to write (the job DAG paused, say) are filled in first.
        record_minutes_quietly(job_queue().store, QUEUE)
        return {**series(job_queue().store, QUEUE, WINDOWS[window]), "window": window}


@router.get("/alerts", dependencies=access.READ_JOBS)
def alerts() -> dict[str, Any]:
    """The operations guide's four alerts now (worker down, queue depth, failure rate, memory): firing or not, what
    is wrong, and since when (as roster_health recorded it)."""
    from roster.monitor.alerts import alerts as evaluate
    from roster.monitor.overview import QueueOverview
    from roster.ui.services import engine

    if (empty := no_job_table({"alerts": []})) is not None:
        return empty
    with answering():
        return {"alerts": evaluate(QueueOverview(engine(), queue=QUEUE))}
