"""Claiming: ``claim`` -> ``select_candidates`` -> ``lock_candidates`` -> ``mark_claimed``, in one transaction.

Candidates are read without locks, several batches deep; the first of them nobody else holds are locked
(``FOR UPDATE SKIP LOCKED``, which re-checks READY) and marked PROCESSING with a lease. SQLite has no row locks and
serialises writers: there the mark itself takes the candidates still READY.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from roster.jobs import flow
from roster.jobs.model import Job
from roster.jobs.store import Tx, ts, utcnow

CANDIDATE_DEPTH = 5  # candidates read per claim, in batches: room for several consumers claiming at once
CLAIM_TRIES = 20  # re-reads when every candidate was locked by another consumer


@dataclass(frozen=True)
class ClaimRequest:
    """What a consumer asks for: a lane (priority range) of a queue, a batch, and who it is."""

    queue: str
    low: int
    high: int
    batch: int
    lease_seconds: int
    worker: str | None = None
    job_ids: Sequence[int] | None = None  # only these (what a broker delivered)

    def params(self) -> dict[str, Any]:
        now = utcnow()
        return {
            "queue": self.queue, "low": self.low, "high": self.high, "now": ts(now), "batch": int(self.batch),
            "locked_until": ts(now + timedelta(seconds=self.lease_seconds)), "pid": os.getpid(),
            "hostname": socket.gethostname()[:255], "worker": (self.worker or "")[:255] or None,
            "by_broker": 1 if self.job_ids is not None else 0, "every_id": 1 if self.job_ids is None else 0,
            "only": list(self.job_ids or ()) or [0], "claim_id": new_claim_id(),
        }  # fmt: skip


def new_claim_id() -> int:
    """A claim's identity: random, positive, fits BIGINT and SQLite's INTEGER."""
    return secrets.randbits(62) or 1


def claim(tx: Tx, request: ClaimRequest) -> list[Job]:
    """Claim up to ``request.batch`` READY jobs: most urgent first, then oldest; within their flow-control limits."""
    params = request.params()
    rows: list[tuple] = []
    for _ in range(CLAIM_TRIES):
        candidates = select_candidates(tx, params)
        if not candidates:
            break
        ids, locked_at = flow.admit(tx, candidates, request.batch, request.batch * CANDIDATE_DEPTH)
        if locked_at is not None:
            params["now"] = ts(locked_at)
        if not ids:
            break  # every candidate waits for its key: nothing to claim now
        if tx.dialect == "sqlite":  # no row locks: claim the first candidates still READY
            rows = mark_claimed(tx, ids[: request.batch], params)
        else:
            rows = lock_candidates(tx, ids, request.batch)
            if rows:
                mark_claimed(tx, [row[0] for row in rows], params)
        if rows:
            if locked_at is not None:
                flow.record_starts(tx, [row[8] for row in rows], locked_at)
            break
        # Every candidate was being claimed by other consumers: look again, they are not empty.
    claimed = (Job.from_row(row, params["claim_id"]) for row in rows)
    return sorted(claimed, key=lambda job: (job.priority, job.id))


def select_candidates(tx: Tx, params: dict[str, Any]) -> list[tuple]:
    """Rows of ``claim_candidates``: the id, then the flow-control columns (see :func:`roster.jobs.flow.admit`)."""
    return tx.rows("claim_candidates", **{**params, "batch": params["batch"] * CANDIDATE_DEPTH})


def lock_candidates(tx: Tx, candidates: list[int], batch: int) -> list[tuple]:
    return tx.rows("claim_lock", ids=candidates, batch=int(batch))


def mark_claimed(tx: Tx, ids: list[int], params: dict[str, Any]) -> list[tuple]:
    """Mark ``ids`` PROCESSING; on SQLite, the claimed rows (RETURNING)."""
    names = ("locked_until", "now", "pid", "hostname", "worker", "by_broker", "claim_id")
    return tx.rows("claim_mark", ids=ids, **{name: params[name] for name in names})
