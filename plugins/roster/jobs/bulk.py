"""Bulk actions on a filter's matches (the Roster page's retry / remove / cancel of everything a filter shows): a
batch of ids at a time, newest first, each batch its own short transaction, for about ``seconds`` per call; the
answer says where to go on (``next_before``), so the page shows progress and a filter of 100,000 jobs never holds
locks on all of them at once. Each action changes only the jobs its state allows, as its single-job form does:
retry and remove take PERMANENTLY_FAILED jobs, cancel takes jobs not running (and flags running ones)."""

from __future__ import annotations

import time
from typing import Any

from roster.errors import InvalidOptionError
from roster.jobs.job_filter import NO_CURSOR, JobFilter
from roster.jobs.store import Store, Tx, ts, utcnow

BATCH = 5000  # ids per statement: short transactions, few round trips
ACTIONS = ("retry", "remove", "cancel")


def _act(tx: Tx, action: str, queue: str, ids: list[int]) -> tuple[int, int]:
    """(jobs changed, running jobs flagged) among ``ids``."""
    now = ts(utcnow())
    if action == "retry":
        return tx.run("retry_failed", queue=queue, now=now, every_id=0, ids=ids), 0
    if action == "remove":
        return tx.run("remove_failed", queue=queue, every_id=0, ids=ids), 0
    params = {"ids": ids, "queue": queue, "identifier": None, "now": now}
    return tx.run("cancel", reason="cancelled", **params), tx.run("cancel_flag", **params)


def bulk_step(store: Store, queue: str, job_filter: JobFilter, action: str, *, before: int = NO_CURSOR,
              seconds: float = 2.0) -> dict[str, Any]:  # fmt: skip
    """Act on the matches below ``before`` until they run out or ``seconds`` pass; ``next_before`` is None when
    every match was seen."""
    if action not in ACTIONS:
        raise InvalidOptionError(f"action must be one of {', '.join(ACTIONS)}, got {action!r:.40}")
    started = time.monotonic()
    changed = flagged = scanned = 0
    next_before: int | None = before
    while next_before is not None:  # at least one batch per call
        ids = job_filter.ids(store, queue, before=next_before, limit=BATCH)
        if ids:
            with store.transaction() as tx:
                done, marked = _act(tx, action, queue, ids)
            changed, flagged, scanned = changed + done, flagged + marked, scanned + len(ids)
        next_before = ids[-1] if len(ids) == BATCH else None
        if time.monotonic() - started >= seconds:
            break
    return {"action": action, "changed": changed, "flagged": flagged, "scanned": scanned, "next_before": next_before}
