"""The outcome of the latest warmup run, kept in the cache Redis beside the documents it warmed
(``<prefix>roster.warmup.last_run``, no TTL), so the health check can tell a failed or empty run without reading
Airflow's metadata database."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from roster import settings

if TYPE_CHECKING:
    from redis import Redis

LAST_RUN_KEY = "roster.warmup.last_run"


def record_last_run(client: Redis, run: dict[str, Any], *, prefix: str | None = None) -> None:
    """Keep ``run`` (run_id, failed, error, users_warmed, users_published, finished_at, ...) as the latest run."""
    prefix = settings.cache_key_prefix() if prefix is None else prefix
    client.set(prefix + LAST_RUN_KEY, orjson.dumps(run))


def last_run(client: Redis, *, prefix: str | None = None) -> dict[str, Any] | None:
    prefix = settings.cache_key_prefix() if prefix is None else prefix
    raw = client.get(prefix + LAST_RUN_KEY)
    return orjson.loads(raw) if raw else None
