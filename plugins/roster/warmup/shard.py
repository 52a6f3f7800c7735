"""The warmup itself: plan shards, then warm one shard page by page.

Per page: one query for the users (keyset on the primary key, or primary key look-ups for a scoped run), each with
the text of its assignments array made by the server; documents assembled against line items loaded once, and one
Redis round trip. The next page's query runs on the server while this one is built. Memory stays flat whatever the
shard size: nothing outlives its page but counters.
"""

from __future__ import annotations

import functools
import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, closing
from typing import TYPE_CHECKING, Any

import orjson

from roster import settings
from roster.db import describe, is_mysql
from roster.errors import InvalidOptionError, SchemaError
from roster.sql import inline_ints, statement
from roster.warmup.documents import DocumentParts, UserRow, line_item_document, page_documents
from roster.warmup.options import WarmupOptions
from roster.warmup.reads import GuardedConnection, Queries, fetch_pages, interleave, keyset_pages, split_ids
from roster.warmup.result import ShardResult
from roster.warmup.app_schema import Schema, read_schema
from roster.warmup.scope import unknown_usernames
from roster.warmup.writer import CacheWriter, line_item_key, user_key

if TYPE_CHECKING:
    from redis import Redis
    from sqlalchemy.engine import Connection, Engine

log = logging.getLogger("roster.warmup")


class UserCacheWarmer:
    """Warms ``user.<username>`` and ``lineItem.<id>`` documents from the roster database into Redis.

    :param engine: the roster database (see :func:`roster.db.engine_for`)
    :param redis_client: the cache Redis (see :func:`roster.warmup.writer.redis_for`); ``None`` for planning only
    :param prefix: cache key prefix; defaults to ``ROSTER_CACHE_KEY_PREFIX``
    :param schema: the database's schema when the caller already read it (the plan task, for its report)
    """

    def __init__(
        self,
        engine: Engine,
        redis_client: Redis | None,
        *,
        prefix: str | None = None,
        user_ttl: int | None = None,
        line_item_ttl: int | None = None,
        redis_conn_id: str = settings.REDIS_CONN_ID,
        schema: Schema | None = None,
    ) -> None:
        self.engine = engine
        self._redis = redis_client
        self._redis_conn_id = redis_conn_id
        self.prefix = settings.cache_key_prefix() if prefix is None else prefix
        self.user_ttl = user_ttl or settings.user_ttl()
        self.line_item_ttl = line_item_ttl or settings.line_item_ttl()
        self._schema = schema

    @functools.cached_property
    def sql(self) -> Queries:
        """The queries, for the access path the schema offers: read once per warmer (so once per task)."""
        schema = self._schema
        if schema is None:
            with self._connect() as conn:
                schema = read_schema(conn)
        try:
            access_path = schema.access_path()
        except SchemaError as exc:
            raise SchemaError(f"roster database {describe(self.engine)}: {exc}") from None
        log.info("assignments are read through %s", access_path.describe())
        return Queries(self.engine.dialect.name, access_path)

    @functools.cached_property
    def writer(self) -> CacheWriter:
        if self._redis is None:
            raise RuntimeError("this UserCacheWarmer was made without a Redis client: it can plan, not warm")
        return CacheWriter(self._redis, conn_id=self._redis_conn_id)

    # -- planning -------------------------------------------------------------------------------------------

    def plan(self, options: WarmupOptions) -> list[dict[str, int]]:
        """``[{"remainder": r, "users": n}, ...]`` for every shard the request covers (empty shards included)."""
        with self._connect() as conn:
            if options.usernames is None and options.line_item_slugs is None:
                sizes = {r: n for r, n in conn.execute(self.sql.shard_sizes, {"modulo": options.modulo})}
            else:
                sizes = {}
                for user_id in self._scoped_user_ids(conn, options, modulo=1, remainder=0):
                    sizes[user_id % options.modulo] = sizes.get(user_id % options.modulo, 0) + 1
        return [{"remainder": r, "users": int(sizes.get(r, 0))} for r in options.remainders]

    # -- warming --------------------------------------------------------------------------------------------

    def warm_shard(
        self,
        options: WarmupOptions,
        remainder: int,
        *,
        users_total: int | None = None,
        on_page: Callable[[ShardResult], None] | None = None,
    ) -> ShardResult:
        """Warm every user of shard ``remainder`` (of ``options.modulo``) within the options' scope.

        One bad user (unreadable roles, say) is counted in ``users_failed`` and the shard goes on; a database or
        Redis failure raises :class:`~roster.errors.ServiceUnavailableError` so the task is retried.
        """
        if not 0 <= remainder < options.modulo:
            raise InvalidOptionError(f"remainder={remainder} must be between 0 and modulo-1={options.modulo - 1}")
        started = time.monotonic()
        result = ShardResult(remainder=remainder, modulo=options.modulo)
        self.writer.ping()
        with self._connect() as conn:
            line_items = self._load_line_items(conn)
            parts = DocumentParts(line_items)
            self._prepare(conn)
            pages = self._pages(conn, options, remainder, result, users_total)
            # Redis writes run on one helper thread while the next page is read and built: the database and
            # Redis round trips overlap instead of adding up. At most one page is in flight, so memory stays flat.
            # closing(pages): on an error the next page's query in flight is read off before the connection closes.
            with closing(pages), ThreadPoolExecutor(max_workers=1, thread_name_prefix="roster-cache-writer") as executor:
                in_flight: Future | None = None
                for users in pages:
                    documents, without_assignments = self._build_page(users, parts, line_items, result)
                    if in_flight is not None:
                        self._page_written(in_flight, result, options, started, on_page)
                    in_flight = executor.submit(self._write_users, documents, without_assignments)
                if in_flight is not None:
                    self._page_written(in_flight, result, options, started, on_page)
        result.line_items_warmed = self.writer.write(
            ((line_item_key(self.prefix, li_id), orjson.dumps(doc)) for li_id, doc in line_items.items()),
            self.line_item_ttl,
        )
        if self.writer.reconnected():
            result.redis_reconnected = True
            log.warning("shard %d/%d: the cache Redis connection was re-made during the warm: if Redis restarted, keys "
                        "written before are gone; warm again", remainder, options.modulo)  # fmt: skip
        result.seconds = time.monotonic() - started
        return result

    def _pages(self, conn, options: WarmupOptions, remainder: int, result: ShardResult, users_total: int | None):
        """The shard's pages of users: by keyset on the primary key for a whole shard, by id for a scoped run
        (whose ids are resolved first); ``result.users_total`` set."""
        if options.usernames is None and options.line_item_slugs is None:
            result.users_total = users_total if users_total is not None else self._shard_size(conn, options, remainder)
            streams = min(settings.warmup_read_connections(), result.users_total // options.batch)
            streams = max(1, streams) if is_mysql(conn) else 1  # SQLite reads in this process: one at a time
            return self._keyset_pages(conn, options, remainder, self.sql.user_documents_page, streams)
        user_ids = self._scoped_user_ids(conn, options, modulo=options.modulo, remainder=remainder)
        result.users_total = len(user_ids)
        return self._id_pages(conn, user_ids, options.batch, self.sql.user_documents_by_id)

    def warm_usernames(self, usernames: Sequence[str] | str, *, batch: int = 1000) -> ShardResult:
        """Warm exactly these users (the asynchronous worker's entry point); unknown ones are listed, not failed."""
        # A string is one name (or several, comma or newline separated), never a sequence of characters.
        options = WarmupOptions.from_params({"usernames": usernames, "batch": batch, "modulo": 1})
        result = self.warm_shard(options, 0)
        if result.users_total < len(options.usernames or ()):
            with self._connect() as conn:
                result.usernames_not_found = unknown_usernames(conn, options.usernames or ())
        return result

    def shard_usernames(self, options: WarmupOptions, remainder: int) -> Iterator[list[str]]:
        """The usernames of one shard, a page at a time (what asynchronous mode publishes)."""
        with self._connect() as conn:
            if options.usernames is None and options.line_item_slugs is None:
                pages = self._keyset_pages(conn, options, remainder, self.sql.users_page)
            else:
                user_ids = self._scoped_user_ids(conn, options, modulo=options.modulo, remainder=remainder)
                pages = self._id_pages(conn, user_ids, options.batch, self.sql.users_by_id)
            for users in pages:
                yield [user[1] for user in users]

    # -- internals ------------------------------------------------------------------------------------------

    def _connect(self):
        return GuardedConnection(self.engine)

    @staticmethod
    def _prepare(conn: Connection) -> None:
        """A read connection's session: MySQL's group_concat_max_len raised for the assignments' text."""
        if is_mysql(conn):
            conn.exec_driver_sql(statement("warmup/group_concat_max_len", conn.dialect.name))

    def _load_line_items(self, conn: Connection) -> dict[int, dict[str, Any]]:
        return {row[0]: line_item_document(tuple(row)) for row in conn.execute(self.sql.line_items)}

    def _shard_size(self, conn: Connection, options: WarmupOptions, remainder: int) -> int:
        sizes = {r: n for r, n in conn.execute(self.sql.shard_sizes, {"modulo": options.modulo})}
        return int(sizes.get(remainder, 0))

    def _keyset_pages(self, conn: Connection, options: WarmupOptions, remainder: int, sql: str, streams: int = 1):
        """The shard's users in pages of ``options.batch``, by keyset on the primary key (``sql``: users_page or
        user_documents_page), read on ``streams`` connections at once, each over its part of the id range."""
        params = {"modulo": options.modulo, "remainder": remainder, "batch": options.batch}
        low, high = conn.execute(self.sql.user_id_range).one() if streams > 1 else (None, None)
        if low is None:
            yield from keyset_pages(conn, sql, params)
            return
        with ExitStack() as others:
            conns = [conn] + [others.enter_context(self._connect()) for _ in range(streams - 1)]
            for other in conns[1:]:
                self._prepare(other)
            ranges = split_ids(low, high, streams)
            yield from interleave([keyset_pages(c, sql, params, *ids) for c, ids in zip(conns, ranges)])

    def _id_pages(self, conn: Connection, user_ids: list[int], batch: int, sql: str):
        """The users of ``user_ids`` in pages of ``batch`` (``sql``: users_by_id or user_documents_by_id)."""
        pages = iter([inline_ints(sql, {"user_ids": user_ids[i : i + batch]}) for i in range(0, len(user_ids), batch)])
        first = next(pages, None)
        if first is not None:
            yield from (users for users in fetch_pages(conn, first, lambda _: next(pages, None)) if users)

    def _users_by_username(self, conn: Connection, usernames: Sequence[str], modulo: int, remainder: int):
        return conn.execute(
            self.sql.user_ids_by_username, {"usernames": list(usernames), "modulo": modulo, "remainder": remainder}
        ).fetchall()

    def _scoped_user_ids(self, conn: Connection, options: WarmupOptions, *, modulo: int, remainder: int) -> list[int]:
        """Ids of the users in scope, ascending; usernames AND slugs when both are given."""
        scoped: set[int] | None = None
        if options.usernames is not None:
            scoped = {row[0] for row in self._users_by_username(conn, options.usernames, modulo, remainder)}
        if options.line_item_slugs is not None:
            line_item_ids = self._line_item_ids(conn, options.line_item_slugs)
            by_line_item = {
                row[0]
                for row in conn.execute(
                    self.sql.user_ids_by_line_item,
                    {"line_item_ids": line_item_ids, "modulo": modulo, "remainder": remainder},
                )
            }
            scoped = by_line_item if scoped is None else scoped & by_line_item
        return sorted(scoped or ())

    def _line_item_ids(self, conn: Connection, slugs: Sequence[str]) -> list[int]:
        by_slug = {doc["slug"]: li_id for li_id, doc in self._load_line_items(conn).items()}
        unknown = [slug for slug in slugs if slug not in by_slug]
        if unknown:
            raise InvalidOptionError(f"param line_item_slugs: no line item has the slug(s) {', '.join(unknown)}")
        return [by_slug[slug] for slug in slugs]

    def _build_page(self, users: list[UserRow], parts: DocumentParts, line_items, result: ShardResult) -> tuple[list, int]:
        """The page's ``(key, document)`` pairs, and how many of them have no assignment. Bad users are counted
        in ``result`` and left out."""
        key_prefix = user_key(self.prefix, "")
        documents, without_assignments, failed = page_documents(users, parts, key_prefix)
        if failed and any(isinstance(exc, KeyError) for _, exc in failed):
            # A line item created after this shard started: reload them once (on a connection of its own: the
            # shard's has the next page in flight) and try those users again.
            with self._connect() as other:
                line_items.update(self._load_line_items(other))
            parts.add_line_items(line_items)
            again, again_without, failed = page_documents([user for user, _ in failed], parts, key_prefix)
            documents += again
            without_assignments += again_without
        for user, exc in failed:  # one bad user never stops the shard
            result.failed(user[1], exc)
        return documents, without_assignments

    def _write_users(self, documents: list, without_assignments: int) -> tuple[int, int]:
        return self.writer.write(documents, self.user_ttl), without_assignments

    @staticmethod
    def _page_written(written: Future, result: ShardResult, options, started: float, on_page) -> None:
        warmed, without_assignments = written.result()  # re-raises a Redis failure in the shard's thread
        result.users_warmed += warmed
        result.users_without_assignments += without_assignments
        result.seconds = time.monotonic() - started
        log.info(
            "shard %d/%d: %d/%d users warmed (%.0f users/s), %d without assignments, %d failed",
            result.remainder, options.modulo, result.users_warmed + result.users_failed, result.users_total,
            result.users_per_second, result.users_without_assignments, result.users_failed,
        )  # fmt: skip
        if on_page is not None:
            on_page(result)
