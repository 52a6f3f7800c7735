"""The lease thread of a consumer run: renews the lease of the jobs it holds, every third of the lease, each under
the claim that took it (a job rescued and claimed again is no longer renewed by this consumer)."""

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
        self.held: dict[int, int] = {}  # job id -> claim id
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="roster-job-lease", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def hold(self, claimed: Iterable[tuple[int, int]]) -> None:
        """Hold jobs given as (job id, claim id)."""
        with self.lock:
            self.held.update(claimed)

    def release(self, ids: Iterable[int]) -> None:
        with self.lock:
            for job_id in ids:
                self.held.pop(job_id, None)

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=10)

    def _run(self) -> None:
        interval = max(0.5, self.lease_seconds / 3)
        while not self.stopped.wait(interval):
            with self.lock:
                held = dict(self.held)
            if held:
                self.renew(held)

    def renew(self, held: dict[int, int]) -> None:
        """On a pooled connection of its own (the consumer's is busy in its thread): one statement per claim."""
        try:
            now = utcnow()
            until = ts(now + timedelta(seconds=self.lease_seconds))
            with self.store.transaction() as tx:
                for claim_id, ids in by_claim(held.items()).items():
                    tx.run("renew_lease", locked_until=until, now=ts(now), ids=ids, claim_id=claim_id)
        except Exception as exc:  # the next renewal may succeed; a lost lease only risks a second run
            log.warning("could not renew the lease of %d job(s): %s", len(held), exc)


def by_claim(claimed: Iterable[tuple[int, int]]) -> dict[int, list[int]]:
    """Job ids grouped by the claim that took them: (job id, claim id) pairs -> {claim id: [job ids]}."""
    groups: dict[int, list[int]] = {}
    for job_id, claim_id in claimed:
        groups.setdefault(claim_id, []).append(job_id)
    return groups
