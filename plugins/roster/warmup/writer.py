"""Writes cache documents to Redis: one script call per page sets every key with its TTL."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import redis

from roster.errors import ServiceUnavailableError
from roster.settings import REDIS_CONN_ID

if TYPE_CHECKING:
    from redis import Redis


def user_key(prefix: str, username: str) -> str:
    return f"{prefix}user.{username}"


def line_item_key(prefix: str, line_item_id: int) -> str:
    return f"{prefix}lineItem.{line_item_id}"


# SET ... EX for every key of a page in one command: redis-py packs and parses one command instead of one per
# key, which was a third of the warmup's time. Keys of a page may sit on any cluster slot, so this needs a
# standalone (or Sentinel-managed) Redis, which is what the cache is.
_SET_WITH_TTL = """
local ttl = ARGV[1]
for i = 1, #KEYS do
  redis.call('SET', KEYS[i], ARGV[i + 1], 'EX', ttl)
end
return #KEYS
"""
# Keys per script call: bounds how long one call holds Redis (about a millisecond per thousand keys).
CHUNK_KEYS = 1000


class CacheWriter:
    """Sets documents with a TTL, a page at a time, in one round trip per :data:`CHUNK_KEYS` keys.

    A Redis failure raises :class:`ServiceUnavailableError` naming the connection; keys already set are complete
    documents, so a retried task simply overwrites them.
    """

    def __init__(self, client: Redis, *, conn_id: str = REDIS_CONN_ID) -> None:
        self.client = client
        self.conn_id = conn_id
        self._set_with_ttl = client.register_script(_SET_WITH_TTL)

    def write(self, documents: Iterable[tuple[str, bytes]], ttl: int) -> int:
        """Set every ``(key, value)`` with ``ttl`` seconds; return how many were set."""
        keys: list[str] = []
        values: list[int | bytes] = [ttl]
        count = 0
        for key, value in documents:
            keys.append(key)
            values.append(value)
            if len(keys) == CHUNK_KEYS:
                count += self._call(keys, values)
                keys, values = [], [ttl]
        if keys:
            count += self._call(keys, values)
        return count

    def ping(self) -> None:
        try:
            self.client.ping()
        except redis.RedisError as exc:
            raise self._unavailable(exc) from exc

    def _call(self, keys: list[str], values: list[int | bytes]) -> int:
        try:
            return int(self._set_with_ttl(keys=keys, args=values))
        except redis.RedisError as exc:
            raise self._unavailable(exc) from exc

    def _unavailable(self, exc: Exception) -> ServiceUnavailableError:
        kwargs = self.client.connection_pool.connection_kwargs
        where = f"{kwargs.get('host', '?')}:{kwargs.get('port', '?')}/{kwargs.get('db', 0)}"
        return ServiceUnavailableError(f"cache Redis {self.conn_id!r} ({where}) failed: {type(exc).__name__}: {exc}")
