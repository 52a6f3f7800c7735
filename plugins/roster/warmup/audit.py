"""The cache audit (``roster warm --verify``, the Roster page): for a sample of users, or given usernames, compare
the ``user.<username>`` document in Redis with the one the warmup would write from the database now, and count
fresh / stale / missing documents, listing what differs. It writes nothing.

The expected documents come from :class:`UserCacheWarmer` itself, with a writer that keeps them instead of
writing to Redis: whatever the warmup would write is what the audit expects.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import text

from roster import settings
from roster.db import sql_file
from roster.errors import InvalidOptionError
from roster.warmup.options import WarmupOptions
from roster.warmup.shard import UserCacheWarmer
from roster.warmup.writer import user_key

if TYPE_CHECKING:
    from redis import Redis
    from sqlalchemy.engine import Engine

MAX_SAMPLE = 1000
MAX_DIFFERENCES = 50


class _KeepingWriter:
    """Stands in for the CacheWriter: keeps what would be written."""

    def __init__(self) -> None:
        self.documents: dict[str, bytes] = {}

    def write(self, documents: Iterable[tuple[str, bytes]], ttl: int) -> int:
        before = len(self.documents)
        self.documents.update(documents)
        return len(self.documents) - before

    def ping(self) -> None:
        pass

    def reconnected(self) -> bool:
        return False  # nothing went to Redis


def sample_usernames(engine: Engine, size: int, *, rng: random.Random | None = None) -> list[str]:
    """Up to ``size`` usernames from a random point of the users table."""
    if not 1 <= size <= MAX_SAMPLE:
        raise InvalidOptionError(f"sample={size} must be between 1 and {MAX_SAMPLE}")
    with engine.connect() as conn:
        low, high = conn.execute(text(sql_file("warmup/user_id_range.sql", engine.dialect.name))).one()
        if low is None:
            return []
        start = (rng or random).randint(int(low), int(high))
        query = text(sql_file("warmup/audit_sample.sql", engine.dialect.name))
        names = [row[0] for row in conn.execute(query, {"start": start, "size": size})]
        if len(names) < size:  # the random point was near the end: complete from the start
            names += [row[0] for row in conn.execute(query, {"start": int(low), "size": size - len(names)})]
    return list(dict.fromkeys(names))


def expected_documents(engine: Engine, usernames: Sequence[str], *, prefix: str | None = None) -> dict[str, bytes]:
    """``{cache key: document}`` as the warmup would write them now for these users (unknown users absent)."""
    warmer = UserCacheWarmer(engine, None, prefix=prefix)
    writer = _KeepingWriter()
    warmer.__dict__["writer"] = writer  # the cached property, filled with the keeping writer
    warmer.warm_shard(WarmupOptions.from_params({"usernames": list(usernames), "modulo": 1}), 0)
    return {key: value for key, value in writer.documents.items() if not key.startswith(f"{warmer.prefix}lineItem.")}


def differences(cached: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    """What differs between two user documents, field by field and assignment by assignment."""
    found = [f"{name}: cached {cached.get(name)!r}, database {expected.get(name)!r}"
             for name in ("id", "groupId", "roles") if cached.get(name) != expected.get(name)]  # fmt: skip
    cached_by_id = {a["id"]: a for a in cached.get("assignments", [])}
    expected_by_id = {a["id"]: a for a in expected.get("assignments", [])}
    for assignment_id in sorted(cached_by_id.keys() | expected_by_id.keys()):
        old, new = cached_by_id.get(assignment_id), expected_by_id.get(assignment_id)
        if old is None:
            found.append(f"assignment {assignment_id}: missing from the cache")
        elif new is None:
            found.append(f"assignment {assignment_id}: in the cache, no longer in the database")
        elif old != new:
            fields = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
            found.append(f"assignment {assignment_id}: {', '.join(fields)} differ")
    return found or ["documents differ"]


def audit_cache(
    engine: Engine, redis_client: Redis, *, usernames: Sequence[str] | None = None, sample: int = 100,
    prefix: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Count fresh / stale / missing ``user.*`` documents for these usernames (else a random sample)."""
    prefix = settings.cache_key_prefix() if prefix is None else prefix
    names = list(dict.fromkeys(usernames)) if usernames else sample_usernames(engine, sample)
    expected = expected_documents(engine, names, prefix=prefix) if names else {}
    keys = [user_key(prefix, name) for name in names if user_key(prefix, name) in expected]
    cached = dict(zip(keys, redis_client.mget(keys))) if keys else {}
    report: dict[str, Any] = {
        "checked": len(keys), "fresh": 0, "stale": 0, "missing": 0, "differences": [],
        "unknown_usernames": [name for name in names if user_key(prefix, name) not in expected],
    }  # fmt: skip
    for key in keys:
        if cached[key] is None:
            report["missing"] += 1
            _note(report, key, ["not in the cache"])
            continue
        old, new = orjson.loads(cached[key]), orjson.loads(expected[key])
        if old == new:
            report["fresh"] += 1
        else:
            report["stale"] += 1
            _note(report, key, differences(old, new))
    return report


def _note(report: dict[str, Any], key: str, what: list[str]) -> None:
    if len(report["differences"]) < MAX_DIFFERENCES:
        report["differences"].append({"key": key, "differences": what[:20]})


__all__ = ["audit_cache", "differences", "expected_documents", "sample_usernames"]
