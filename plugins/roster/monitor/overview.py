"""What an operator looks at, read from the job table: each lane's depth by state and the age of its oldest ready
job, its throughput over the last hour, the consumers holding jobs now, the jobs waiting to run, and recent
outcomes.

Read-only and Airflow-free: the Roster page, the maintenance DAG's gauges and the health DAG's checks all read
these. A lane is a priority range of roster/pools.json; ranges may overlap (the general lane ``0-`` also holds
the urgent lane's jobs), so a job is counted in every lane whose range holds its priority.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from roster.jobs.lanes import lanes
from roster.jobs.states import State
from roster.jobs.store import Store, Tx, ts

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

# The states the page shows per lane, by the names operators know from Messenger and Akeneo.
LANE_STATES = {
    State.READY: "ready",
    State.PROCESSING: "processing",
    State.WAITING: "waiting",
    State.TEMPORARILY_FAILED: "temporarily_failed",
    State.PERMANENTLY_FAILED: "permanently_failed",
}
# The states of a job waiting to run: what the page lists for cancelling.
WAITING_STATES = {State.READY: "ready", State.TEMPORARILY_FAILED: "temporarily_failed", State.WAITING: "waiting"}
_WAITING_KEYS = ("id", "state", "priority", "callback_name", "parameters", "identifier", "available_at",
                 "number_of_attempts", "error_message")  # fmt: skip
# How far back a lane's latest claim is looked for (the worker-down alert's window is shorter): a range of recent
# attempts, whatever the table's size.
LAST_CLAIM_WINDOW = timedelta(minutes=30)
_LISTED_KEYS = ("id", "state", "priority", "callback_name", "identifier", "serial_group", "created_at",
                "last_attempt_at", "number_of_attempts", "error_message")  # fmt: skip


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def as_datetime(value: Any) -> datetime | None:
    """A DATETIME column as a naive UTC datetime (SQLite hands back text)."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _iso(value: datetime | None) -> str | None:
    return value.replace(tzinfo=timezone.utc).isoformat(timespec="seconds") if value else None


@dataclass
class LaneOverview:
    """One lane now: jobs per state, the oldest due READY job's age, and its latest claim."""

    lane: str
    priorities: tuple[int, int]
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LANE_STATES.values(), 0))
    oldest_ready_age_seconds: float | None = None
    last_claim_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["last_claim_at"] = _iso(self.last_claim_at)
        return data


class QueueOverview:
    """Read-only views of one ``queue`` of the ``background_job`` table.

    :param engine: the roster database (see :func:`roster.connections.engine_for`)
    """

    def __init__(self, engine: Engine, *, queue: str = "default") -> None:
        self.engine = engine
        self.queue = queue
        self.store = Store(engine)  # its statements run the job queue's way: one loader, one executor

    def _rows(self, name: str, **params: Any) -> list[Any]:
        with self.store.reading() as tx:
            return _read(tx, name, self.queue, params)

    def lanes(self, now: datetime | None = None) -> dict[str, LaneOverview]:
        """Every lane of roster/pools.json with its counts (lanes without jobs included), the age of its oldest due
        job and its latest claim within LAST_CLAIM_WINDOW (older: None); read in one transaction."""
        now = now or utcnow()
        result = {name: LaneOverview(name, bounds) for name, bounds in lanes().items()}
        with self.store.reading() as tx:
            counts = _read(tx, "lane_states", self.queue, {})
            claims = _read(tx, "lane_last_claims", self.queue, {"since": now - LAST_CLAIM_WINDOW})
            for lane in result.values():
                low, high = lane.priorities
                for (oldest_due,) in _read(tx, "lane_oldest_due", self.queue, {"now": now, "low": low, "high": high}):
                    lane.oldest_ready_age_seconds = round((now - as_datetime(oldest_due)).total_seconds(), 1)
        for state, priority, jobs in counts:
            for lane in _holding(result, priority):
                lane.counts[LANE_STATES[State(int(state))]] += int(jobs)
        for priority, last_claim in claims:
            for lane in _holding(result, priority):
                lane.last_claim_at = max(filter(None, (lane.last_claim_at, as_datetime(last_claim))))
        return result

    def finished_per_minute(self, minutes: int = 60, now: datetime | None = None) -> dict[str, list[int]]:
        """Per lane, jobs finished in each of the last ``minutes`` minutes, oldest first (the current one last)."""
        now = (now or utcnow()).replace(second=0, microsecond=0)
        since = now - timedelta(minutes=minutes - 1)
        series = {name: [0] * minutes for name in lanes()}
        for priority, minute, jobs in self._rows("finished_per_minute", since=since):
            slot = int((datetime.strptime(minute, "%Y-%m-%d %H:%M") - since).total_seconds() // 60)
            for name, (low, high) in lanes().items():
                if low <= int(priority) <= high and 0 <= slot < minutes:
                    series[name][slot] += int(jobs)
        return series

    def consumers(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """Who holds PROCESSING jobs now: pid, host, worker (Airflow task instance), since, lease expiry."""
        now = now or utcnow()
        out = []
        for pid, host, worker, jobs, since, lease_until, low, high, renewed, first_expiry in self._rows("consumers"):
            lease_until = as_datetime(lease_until)
            out.append({
                "pid": pid, "hostname": host, "worker": worker, "jobs": int(jobs), "since": _iso(as_datetime(since)),
                "lease_until": _iso(lease_until), "lease_expired": bool(lease_until and lease_until < now),
                "lanes": [name for name, (lo, hi) in lanes().items() if lo <= int(low) and int(high) <= hi],
                **heartbeat(as_datetime(renewed), as_datetime(first_expiry), now),
            })  # fmt: skip
        return out

    def outcomes_since(self, since: datetime) -> dict[str, int]:
        """Jobs last attempted since ``since``, by outcome: finished, temporarily_failed, permanently_failed."""
        names = {State.FINISHED: "finished", State.TEMPORARILY_FAILED: "temporarily_failed",
                 State.PERMANENTLY_FAILED: "permanently_failed"}  # fmt: skip
        counts = dict.fromkeys(names.values(), 0)
        for state, jobs in self._rows("outcomes_since", since=since):
            counts[names[State(int(state))]] += int(jobs)
        return counts

    def memory_peaks(self, since: datetime) -> dict[int, int]:
        """Peak resident kB of the consumer process, by job, for jobs last attempted since ``since``."""
        import orjson

        peaks = {}
        for job_id, memory in self._rows("memory_since", since=since):
            try:
                peaks[int(job_id)] = int(orjson.loads(memory).get("peak_rss_kb") or 0)
            except (ValueError, AttributeError, TypeError):
                continue  # a row written by another system: not roster's shape
        return peaks

    def waiting(self, limit: int = 50) -> dict[str, Any]:
        """Jobs waiting to run (READY, TEMPORARILY_FAILED, WAITING): ``counts`` per state, and the ``limit`` most
        urgent ``jobs`` (claim order: priority, then id), read in one transaction (one snapshot on MariaDB/MySQL)
        so they agree. Of the READY ones, ``waiting_for_limit`` are held back by flow control (their concurrency
        key full, or deferred by their rate); ``ready_to_run`` are the others."""
        counts = dict.fromkeys(WAITING_STATES.values(), 0)
        with self.store.reading() as tx:
            for state, jobs in _read(tx, "waiting_counts", self.queue, {}):
                counts[WAITING_STATES[State(int(state))]] = int(jobs)
            rows = _read(tx, "waiting_jobs", self.queue, {"limit": int(limit)})
            limited = int(_read(tx, "waiting_for_limit", self.queue, {"now": utcnow()})[0][0])
        counts.update(waiting_for_limit=limited, ready_to_run=max(0, counts["ready"] - limited))
        jobs = [dict(zip(_WAITING_KEYS, row)) for row in rows]
        for job in jobs:
            job["state"] = WAITING_STATES[State(int(job["state"]))]
            job["available_at"] = _iso(as_datetime(job["available_at"]))
        return {"counts": counts, "jobs": jobs}

    def jobs_by_id(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        """The page's columns of these jobs, newest first (a page of a filter's matches)."""
        if not ids:
            return []
        jobs = [dict(zip(_LISTED_KEYS, row)) for row in self._rows("jobs_by_id", ids=list(ids))]
        for job in jobs:
            job["state"] = State(int(job["state"])).name.lower()
            for key in ("created_at", "last_attempt_at"):
                job[key] = _iso(as_datetime(job[key]))
        return jobs

    def job_states(self, ids: Sequence[int]) -> dict[int, State]:
        """The state of each of these jobs, by id, in any queue; ids not in the table are left out."""
        return {int(job_id): State(int(state)) for job_id, state in self._rows("job_states", ids=list(ids))}

    def identifier_jobs(self, identifier: str) -> int:
        """How many jobs of the queue carry ``identifier``, in any state."""
        return int(self._rows("identifier_jobs", identifier=identifier)[0][0])

    def due_times(self, ids: Sequence[int]) -> dict[int, datetime]:
        """When each of these jobs became due (``available_at``), by id; read in chunks of primary-key look-ups."""
        found: dict[int, datetime] = {}
        ids = list(ids)
        for start in range(0, len(ids), 500):
            for job_id, available_at in self._rows("jobs_started", ids=ids[start : start + 500]):
                found[int(job_id)] = as_datetime(available_at)
        return found


def _read(tx: Tx, name: str, queue: str, params: dict[str, Any]) -> list[tuple]:
    """Rows of ``monitor/<name>.sql`` for ``queue``; datetimes bound as the job table stores them."""
    bound = {key: ts(value) if isinstance(value, datetime) else value for key, value in params.items()}
    return tx.rows(f"monitor/{name}", queue=queue, **bound)


def heartbeat(renewed: datetime | None, first_expiry: datetime | None, now: datetime) -> dict[str, Any]:
    """A consumer's lease renewals: when last renewed, and late when more than half its lease went by without one
    (it renews every third: a stalled or starved consumer shows here before its jobs are rescued)."""
    if renewed is None or first_expiry is None:
        return {"renewed_at": None, "renewal_late": False}
    lease = (first_expiry - renewed).total_seconds()
    silent = (now - renewed).total_seconds()
    return {"renewed_at": _iso(renewed), "renewed_seconds_ago": round(silent, 1), "lease_seconds": round(lease),
            "renewal_late": silent > lease / 2}  # fmt: skip


def _holding(lanes_by_name: dict[str, LaneOverview], priority: Any) -> list[LaneOverview]:
    """The lanes whose priority range holds ``priority`` (ranges may overlap)."""
    return [lane for lane in lanes_by_name.values() if lane.priorities[0] <= int(priority) <= lane.priorities[1]]
