"""Maintenance services of the job queue, each one pass (``run_once``) that returns counts: the rescuer (expired
leases), the re-broker (BACK_TO_BROKER / BROKER_FAILED jobs), the cleaner (old finished jobs)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from roster.jobs import limits
from roster.jobs.publisher import mark_state
from roster.jobs.states import State
from roster.jobs.store import Store, ts, utcnow

if TYPE_CHECKING:
    from roster.jobs.broker import Broker

log = logging.getLogger("roster.jobs")

CLEAR_BATCH = 1000
_BROKER_STATES = (State.BACK_TO_BROKER, State.BROKER_FAILED)


@dataclass
class Rescuer:
    """PROCESSING jobs past their lease (their consumer died): READY again, or PERMANENTLY_FAILED once they used
    ``max_attempts`` (CANCELLED when their cancel was requested); the reason goes to error_message."""

    store: Store
    queue: str
    max_attempts: int

    def run_once(self) -> dict[str, int]:
        now = ts(utcnow())
        reason = f"lease expired (consumer died?) after {self.max_attempts} attempts: giving up"
        with self.store.transaction() as tx:
            failed = tx.run("rescue_fail", queue=self.queue, now=now, max_attempts=self.max_attempts, reason=reason)
            retried = tx.run("rescue_retry", queue=self.queue, now=now, reason="rescued: lease expired (consumer died?)")
        if failed or retried:
            log.warning("rescued %d job(s) whose lease expired; %d failed for good", retried, failed)
        return {"rescued": retried, "failed": failed}


@dataclass
class Rebroker:
    """Send BACK_TO_BROKER and BROKER_FAILED jobs to the broker again (READY once sent; READY at once without
    a broker)."""

    store: Store
    queue: str
    broker: Broker | None

    def run_once(self, batch: int = 500) -> dict[str, int]:
        if self.broker is None:
            with self.store.transaction() as tx:
                ids = [row[0] for row in tx.rows("rebroker_candidates", queue=self.queue, batch=1_000_000)]
                made_ready = mark_state(tx, ids, State.READY, _BROKER_STATES) if ids else 0
            return {"sent": 0, "ready": made_ready, "failed": 0}
        sent = failed = 0
        for _ in range(100_000):  # bounded
            with self.store.transaction() as tx:
                ids = [row[0] for row in tx.rows("rebroker_candidates", queue=self.queue, batch=batch)]
            if not ids:
                break
            try:
                self.broker.send(ids)
            except Exception as exc:
                log.error("re-broker of %d job(s) failed: %s", len(ids), exc)
                with self.store.transaction() as tx:
                    mark_state(tx, ids, State.BROKER_FAILED, (State.BACK_TO_BROKER,))
                failed += len(ids)
                break
            with self.store.transaction() as tx:
                sent += mark_state(tx, ids, State.READY, _BROKER_STATES)
        return {"sent": sent, "ready": sent, "failed": failed}


@dataclass
class Cleaner:
    """Delete FINISHED, REDUNDANT and CANCELLED jobs finished more than ``days`` ago, in small batches."""

    store: Store
    queue: str

    def run_once(self, days: float = 14) -> int:
        limits.number("days", days, high=limits.MAX_DELAY_SECONDS / 86400)
        before = ts(utcnow() - timedelta(days=days))
        deleted = 0
        for _ in range(1_000_000):  # bounded: stops at the first short batch
            with self.store.transaction() as tx:
                count = tx.run("clear_finished", queue=self.queue, before=before, batch=CLEAR_BATCH)
            deleted += count
            if count < CLEAR_BATCH:
                break
        return deleted
