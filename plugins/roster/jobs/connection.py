"""A consumer's own database connection, which rides through a database restart.

Every transaction of a consumer run goes through :meth:`HeldConnection.run`. When the server goes away (a restart,
a failover, a dropped connection), the transaction is rolled back by the server; the connection is thrown away
(invalidated, so the pool does not try to reset it), a new one is made with backoff, and the transaction runs again
from the start, until the run's deadline. Jobs the consumer holds stay PROCESSING under its lease meanwhile.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from typing import TypeVar

from roster.errors import ServiceUnavailableError
from roster.jobs.config import Deadline
from roster.jobs.store import Store, Tx

log = logging.getLogger("roster.jobs")

T = TypeVar("T")
FIRST_BACKOFF, MAX_BACKOFF = 0.2, 5.0
MAX_OUTAGE_SECONDS = 600.0  # without a time limit, how long a run waits for its database to come back


class HeldConnection:
    def __init__(self, store: Store, deadline: Deadline = Deadline()) -> None:
        """:param deadline: the run's; once it passed, a lost database fails the run"""
        self.store = store
        self.deadline = deadline
        self.raw = None

    def run(self, work: Callable[[Tx], T]) -> T:
        """``work(tx)`` in one transaction that commits; run again on a new connection after a connection loss."""
        delay, lost_at = FIRST_BACKOFF, None
        while True:
            try:
                if self.raw is None:
                    self.raw = self.store.connect()
                with self.store.transaction(self.raw) as tx:
                    result = work(tx)
            except ServiceUnavailableError as exc:
                lost_at = lost_at or time.monotonic()
                self._drop()
                give_up_at = self.deadline.at if self.deadline.at is not None else lost_at + MAX_OUTAGE_SECONDS
                if time.monotonic() + delay >= give_up_at:
                    raise
                log.warning("database connection lost, reconnecting in %.1f s: %s", delay, exc)
                time.sleep(delay)
                delay = min(MAX_BACKOFF, delay * 2)
                continue
            if lost_at is not None:
                log.warning("database connection back after %.1f s", time.monotonic() - lost_at)
            return result

    def _drop(self) -> None:
        raw, self.raw = self.raw, None
        if raw is not None:
            with contextlib.suppress(Exception):
                raw.invalidate()

    def close(self) -> None:
        raw, self.raw = self.raw, None
        if raw is not None:
            with contextlib.suppress(Exception):
                raw.close()
