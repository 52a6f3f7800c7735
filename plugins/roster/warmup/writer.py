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


# A page goes to a standalone Redis as one write of SET key value EX ttl commands packed here, then every reply is
# read: redis-py's per-command packing and reply parsing was a third of the warmup's time, and a Lua script setting
# every key copies each document twice more inside Redis (into Lua and back), which made Redis the slowest stage of
# a shard. A command is the small head of its key, the document as it is (copied once, by the page's join) and the
# TTL's tail. A Redis Cluster takes a redis-py pipeline, which groups keys by node.
_SET_HEAD = b"*5\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n"
# Keys per round trip: bounds the memory of one write and how long Redis is busy with it.
CHUNK_KEYS = 1000
MARKER_TTL = 86400  # a marker left by a crashed warm goes away by itself


class CacheWriter:
    """Sets documents with a TTL, a page at a time, in one round trip per :data:`CHUNK_KEYS` keys.

    On a standalone (or Sentinel-managed) Redis that round trip is one write of ``SET key value EX ttl`` commands on
    a connection of the client's pool (retried as redis-py retries a command: SET is idempotent). On a Redis Cluster
    it is one redis-py pipeline, which groups the keys by node: each node gets its keys in one write, and all nodes
    are written before any reply is read. Either way every key holds one complete document.
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
        self._set_chunk = self._set_in_pipeline if isinstance(client, RedisCluster) else self._set_packed
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

    def _set_packed(self, chunk: list[tuple[str, bytes]], ttl: int) -> int:
        tail = b"\r\n$2\r\nEX\r\n$%d\r\n%d\r\n" % (len(str(ttl)), ttl)
        pieces: list[bytes] = []
        add = pieces.extend
        for key, value in chunk:
            key_bytes = key.encode()
            add((_SET_HEAD % (len(key_bytes), key_bytes, len(value)), value, tail))
        packed = b"".join(pieces)
        pool = self.client.connection_pool
        connection = pool.get_connection()
        try:
            return connection.retry.call_with_retry(
                lambda: self._send(connection, packed, len(chunk)), lambda _error: connection.disconnect()
            )
        finally:
            pool.release(connection)

    @staticmethod
    def _send(connection, packed: bytes, commands: int) -> int:
        """Write the packed commands, then read every reply (all of them, so the connection stays in step, before
        raising the first error reply)."""
        from redis.exceptions import ResponseError

        connection.send_packed_command([packed])
        first_error = None
        for _ in range(commands):
            try:
                connection.read_response()
            except ResponseError as exc:
                first_error = first_error or exc
        if first_error is not None:
            raise first_error
        return commands

    def _set_in_pipeline(self, chunk: list[tuple[str, bytes]], ttl: int) -> int:
        pipe = self.client.pipeline(transaction=False)
        for key, value in chunk:
            pipe.set(key, value, ex=ttl)
        return sum(1 for done in pipe.execute() if done)
