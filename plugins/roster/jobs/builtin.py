"""Callbacks roster itself provides."""

from __future__ import annotations

from roster.jobs.registry import job


@job("warm_users", priority=50)
def warm_users(usernames: list[str], batch: int = 1000) -> dict:
    """Warm the cache documents of these users (the cache warmup as a job, run by the lanes)."""
    from roster.connections import engine_for
    from roster.jobs.errors import PermanentError
    from roster.warmup import UserCacheWarmer, redis_for

    engine = engine_for()
    client = redis_for()
    try:
        result = UserCacheWarmer(engine, client).warm_usernames(usernames, batch=batch)
    finally:
        engine.dispose()
        client.close()
    if result.usernames_not_found and not result.users_warmed:
        raise PermanentError(f"none of these users exist: {', '.join(result.usernames_not_found[:10])}")
    return {"users_warmed": result.users_warmed, "usernames_not_found": result.usernames_not_found}
