"""The lease thread of a consumer run: renews the lease of the jobs it holds, every third of the lease."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from datetime import timedelta

from roster.jobs.store import Store, ts, utcnow

log = logging.getLogger("roster.jobs")


class LeaseKeeper:
    def __init__(self, store: Store, lease_seconds: int) -> None:
        self.store = store
        self.lease_seconds = lease_seconds
        self.held: set[int] = set()
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="roster-job-lease", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def hold(self, ids: Iterable[int]) -> None:
        with self.lock:
            self.held.update(ids)

    def release(self, ids: Iterable[int]) -> None:
        with self.lock:
            self.held.difference_update(ids)

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=10)

    def _run(self) -> None:
        interval = max(0.5, self.lease_seconds / 3)
        while not self.stopped.wait(interval):
            with self.lock:
                ids = list(self.held)
            if ids:
                self.renew(ids)

    def renew(self, ids: list[int]) -> None:
        """On a pooled connection of its own (the consumer's is busy in its thread)."""
        try:
            until = ts(utcnow() + timedelta(seconds=self.lease_seconds))
            with self.store.transaction() as tx:
                tx.run("renew_lease", locked_until=until, ids=ids)
        except Exception as exc:  # the next renewal may succeed; a lost lease only risks a second run
            log.warning("could not renew the lease of %d job(s): %s", len(ids), exc)
