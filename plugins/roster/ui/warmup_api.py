"""JSON of the warmup for the Roster page: the latest runs, the cache audit, and publishing a warm_users job."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from roster.ui import access
from roster.ui.services import answering, cache_redis, engine, job_queue

router = APIRouter(prefix="/api/warmup", tags=["warmup"])


class WarmUsers(BaseModel):
    usernames: list[str] | str = Field(description="usernames: a list, or comma separated")


@router.get("/runs", dependencies=access.READ_WARMUP)
def runs(limit: int = Query(10, ge=1, le=50)) -> dict[str, Any]:
    """The latest roster_user_cache_warmup runs: state, duration, totals, per shard."""
    from roster.ui.airflow_state import warmup_runs

    return {"runs": warmup_runs(limit)}


@router.get("/audit", dependencies=access.READ_WARMUP)
def audit(
    usernames: str | None = Query(None, description="comma separated; empty: a random sample"),
    sample: int = Query(100, ge=1, le=1000),
) -> dict[str, Any]:
    """Compare cached user documents with what the database gives now: fresh / stale / missing, with differences."""
    from roster.warmup.audit import audit_cache

    names = [name.strip() for name in (usernames or "").split(",") if name.strip()] or None
    with answering(), cache_redis() as client:
        return audit_cache(engine(), client, usernames=names, sample=sample)


@router.post("/warm-users", dependencies=access.EDIT_WARMUP)
def warm_users(body: WarmUsers) -> dict[str, Any]:
    """Publish a ``warm_users`` job for these usernames (the lanes run it)."""
    from roster.warmup import WarmupOptions

    with answering():
        names = WarmupOptions.from_params({"usernames": body.usernames}).usernames or []
        job_id = job_queue().publish("warm_users", {"usernames": list(names)})
    return {"job_id": job_id, "usernames": list(names)}
