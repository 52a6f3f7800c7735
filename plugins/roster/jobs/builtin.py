"""Callbacks roster itself provides."""

from __future__ import annotations

from roster.errors import InvalidOptionError
from roster.jobs.registry import job


def _check_scope(parameters) -> None:
    """At publish: the warmup's scope rule (roster.params): a list or a string of names, never empty."""
    from roster.params import split_list

    if split_list(parameters.get("usernames"), param="usernames") is None:
        raise InvalidOptionError("param usernames is required: the users to warm")


@job("warm_users", priority=50, check=_check_scope)
def warm_users(usernames: list[str] | str, batch: int = 1000) -> dict:
    """Warm the cache documents of these users (the cache warmup as a job, run by the lanes). ``usernames``: a list,
    or a string of names one per line or comma separated (one name is a string, not its letters)."""
    from roster.connections import engine_for
    from roster.jobs.outcome_errors import PermanentError
    from roster.warmup import UserCacheWarmer, redis_for

    engine = engine_for()
    client = redis_for()
    try:
        result = UserCacheWarmer(engine, client).warm_usernames(usernames, batch=batch)
    except InvalidOptionError as exc:  # bad parameters never get better on retry
        raise PermanentError(str(exc)) from exc
    finally:
        engine.dispose()
        client.close()
    if result.usernames_not_found and not result.users_warmed:
        raise PermanentError(f"none of these users exist: {', '.join(result.usernames_not_found[:10])}")
    return {"users_warmed": result.users_warmed, "usernames_not_found": result.usernames_not_found}
