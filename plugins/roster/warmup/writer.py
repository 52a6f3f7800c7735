"""Writes cache documents to Redis: one round trip per page sets every key with its TTL (standalone or cluster)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING

from roster.connections import redis_unavailable
from roster.settings import REDIS_CONN_ID

if TYPE_CHECKING:
    from redis import Redis
    from redis.cluster import RedisCluster


def user_key(prefix: str, username: str) -> str:
    return f"{prefix}user.{username}"


def line_item_key(prefix: str, line_item_id: int) -> str:
    return f"{prefix}lineItem.{line_item_id}"


# SET ... EX for every key of a page in one command: redis-py packs and parses one command instead of one per
# key, which was a third of the warmup's time. A script may only touch keys of one hash slot on a Redis Cluster,
# and a page's keys sit on all of them: there the page goes as one pipeline instead (see CacheWriter).
_SET_WITH_TTL = """
local ttl = ARGV[1]
for i = 1, #KEYS do
  redis.call('SET', KEYS[i], ARGV[i + 1], 'EX', ttl)
end
return #KEYS
"""
# Keys per round trip: bounds how long one call holds Redis (about a millisecond per thousand keys).
CHUNK_KEYS = 1000
MARKER_TTL = 86400  # a marker left by a crashed warm goes away by itself


class CacheWriter:
    """Sets documents with a TTL, a page at a time, in one round trip per :data:`CHUNK_KEYS` keys.

    On a standalone (or Sentinel-managed) Redis that round trip is one script call. On a Redis Cluster it is one
    pipeline of ``SET key value EX ttl``, which redis-py groups by node: each node gets its keys in one write, and
    all nodes are written before any reply is read. Either way every key holds one complete document.
    A Redis failure raises :class:`ServiceUnavailableError` naming the connection; keys already set are complete
    documents, so a retried task simply overwrites them.
    """

    def __init__(self, client: Redis | RedisCluster, *, conn_id: str = REDIS_CONN_ID) -> None:
        # redis-py is imported here, not with the module: a command's first query need not wait for it.
        import redis
        from redis.cluster import RedisCluster
        from redis.exceptions import RedisClusterException

        self._errors = (redis.RedisError, RedisClusterException)
        self.client = client
        self.conn_id = conn_id
        self._set_chunk = self._set_in_pipeline if isinstance(client, RedisCluster) else self._set_by_script
        self._set_with_ttl = None if isinstance(client, RedisCluster) else client.register_script(_SET_WITH_TTL)
        self._marker: str | None = None

    def write(self, documents: Iterable[tuple[str, bytes]], ttl: int) -> int:
        """Set every ``(key, value)`` with ``ttl`` seconds; return how many were set."""
        chunk: list[tuple[str, bytes]] = []
        count = 0
        if self._marker is None:  # before the first key: its disappearance tells of a restart (see reconnected)
            self._marker = f"roster.warm-marker.{uuid.uuid4().hex}"
            self._call([(self._marker, b"1")], MARKER_TTL)
        for document in documents:
            chunk.append(document)
            if len(chunk) == CHUNK_KEYS:
                count += self._call(chunk, ttl)
                chunk = []
        if chunk:
            count += self._call(chunk, ttl)
        return count

    def ping(self) -> None:
        try:
            self.client.ping()
        except self._errors as exc:
            raise redis_unavailable(self.client, self.conn_id, exc) from exc

    def reconnected(self) -> bool:
        """Whether Redis was restarted (or flushed) since the first :meth:`write`: redis-py re-makes the connection
        silently, and keys written before are gone. The marker key is removed: the next write starts afresh."""
        if self._marker is None:
            return False
        try:
            return not self.client.delete(self._marker)
        except self._errors as exc:
            raise redis_unavailable(self.client, self.conn_id, exc) from exc
        finally:
            self._marker = None

    def _call(self, chunk: list[tuple[str, bytes]], ttl: int) -> int:
        try:
            return self._set_chunk(chunk, ttl)
        except self._errors as exc:
            raise redis_unavailable(self.client, self.conn_id, exc) from exc

    def _set_by_script(self, chunk: list[tuple[str, bytes]], ttl: int) -> int:
        return int(self._set_with_ttl(keys=[key for key, _ in chunk], args=[ttl, *(value for _, value in chunk)]))

    def _set_in_pipeline(self, chunk: list[tuple[str, bytes]], ttl: int) -> int:
        pipe = self.client.pipeline(transaction=False)
        for key, value in chunk:
            pipe.set(key, value, ex=ttl)
        return sum(1 for done in pipe.execute() if done)
