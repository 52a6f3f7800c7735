"""The operator's side of the job queue: statistics, failed jobs (show, retry, remove), cancellation, the
stop-consumers request, and the reads sensors and warmups wait on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from roster.errors import InvalidOptionError
from roster.jobs import fencing
from roster.jobs.lanes import parse_priorities
from roster.jobs.states import State
from roster.jobs.store import Store, ts, utcnow

_FAILED_KEYS = ("id", "callback_name", "parameters", "number_of_attempts", "error_message", "last_attempt_at",
                "serial_group", "identifier")  # fmt: skip


def _when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _only_ids(ids: Sequence[int] | None) -> dict[str, Any]:
    """The ``every_id`` / ``ids`` parameters of the failed-job statements: ``None`` is every failed job."""
    if ids is None:
        return {"every_id": 1, "ids": [0]}
    ids = [int(i) for i in ids]
    if not ids:
        raise InvalidOptionError("no job ids given (use --all for every failed job)")
    return {"every_id": 0, "ids": ids}


@dataclass
class Admin:
    store: Store
    queue: str

    def stats(self) -> dict[str, Any]:
        """Counts per queue and state, per lane (pools.json) for READY jobs, and the age of the oldest READY job."""
        from roster.jobs.lanes import lanes

        now = utcnow()
        with self.store.transaction() as tx:
            rows = tx.rows("stats", now=ts(now))
            superseded = fencing.total(tx)
        per_queue: dict[str, dict[str, int]] = {}
        per_lane: dict[str, int] = {name: 0 for name in lanes()}
        oldest: datetime | None = None
        for queue, state, priority, count, ready_since in rows:
            states = per_queue.setdefault(queue, {})
            name = State(int(state)).name
            states[name] = states.get(name, 0) + int(count)
            if int(state) == State.READY:
                for lane, (low, high) in lanes().items():
                    per_lane[lane] += int(count) if low <= int(priority) <= high else 0
                since = _when(ready_since)
                oldest = since if since is not None and (oldest is None or since < oldest) else oldest
        age = round((now - oldest).total_seconds(), 1) if oldest else None
        return {"queues": per_queue, "ready_per_lane": per_lane, "oldest_ready_age_seconds": age,
                "superseded": superseded}  # fmt: skip

    def failed(self, ids: Sequence[int] | None = None) -> list[dict[str, Any]]:
        with self.store.transaction() as tx:
            rows = tx.rows("failed", queue=self.queue, **_only_ids(ids))
        result = [dict(zip(_FAILED_KEYS, row)) for row in rows]
        for item in result:
            item["parameters"] = orjson.loads(item["parameters"])
            if isinstance(item["last_attempt_at"], datetime):
                item["last_attempt_at"] = item["last_attempt_at"].isoformat()
        return result

    def retry(self, ids: Sequence[int] | None) -> int:
        """PERMANENTLY_FAILED jobs (these ids, or all for ``None``) back to READY with a fresh attempt count."""
        with self.store.transaction() as tx:
            return tx.run("retry_failed", queue=self.queue, now=ts(utcnow()), **_only_ids(ids))

    def remove(self, ids: Sequence[int] | None) -> int:
        """Delete PERMANENTLY_FAILED jobs (these ids, or all for ``None``)."""
        with self.store.transaction() as tx:
            return tx.run("remove_failed", queue=self.queue, **_only_ids(ids))

    def cancel(self, ids: Sequence[int] = (), identifier: str | None = None) -> dict[str, int]:
        """Jobs not running become CANCELLED at once (never claimed afterwards); running ones are flagged. By id
        (any queue), or every job of this queue with ``identifier``."""
        ids = [int(i) for i in ids]
        if bool(ids) == (identifier is not None):
            raise InvalidOptionError("give job ids or an identifier to cancel (one of them)")
        if identifier is not None and not identifier:
            raise InvalidOptionError("identifier must not be empty")
        params = {"ids": ids or [0], "queue": self.queue, "identifier": identifier, "now": ts(utcnow())}
        with self.store.transaction() as tx:
            cancelled = tx.run("cancel", reason="cancelled", **params)
            flagged = tx.run("cancel_flag", **params)
        return {"cancelled": cancelled, "cancel_requested": flagged}

    def ready_count(self, priorities: str | None = None) -> int:
        """How many jobs of the lane a consumer could claim now."""
        low, high = parse_priorities(priorities)
        with self.store.transaction() as tx:
            return int(tx.rows("ready_count", queue=self.queue, now=ts(utcnow()), low=low, high=high)[0][0])

    def unfinished_identifiers(self, identifiers: Sequence[str]) -> list[str]:
        """Which of these identifiers still have a job to come (not finished, failed for good or cancelled)."""
        if not identifiers:
            return []
        with self.store.transaction() as tx:
            found = {row[0] for row in tx.rows("unfinished_identifiers", queue=self.queue, identifiers=list(identifiers))}
        return [identifier for identifier in identifiers if identifier in found]

    def stop_consumers(self) -> None:
        """Ask every consumer running now to stop after its current job (like ``messenger:stop-workers``)."""
        with self.store.transaction() as tx:
            tx.run("control_set", name="stop_consumers", value=ts(utcnow()))
