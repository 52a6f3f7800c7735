"""Flow control in the claim: concurrency per key and rate limits, checked under the keys' lock rows.

``claim_candidates.sql`` already leaves out jobs whose ``concurrency_key`` is at its limit (a plain read). When a
candidate carries a concurrency or rate key, :func:`admit` takes the keys' rows of ``background_job_limit``
(``flow_lock.sql``, in name order), so claims of one key take turns until their commit, then counts what the keys
hold now: PROCESSING jobs per concurrency key (``flow_running.sql``), starts in the window per rate key
(``flow_rate_used.sql``). It admits candidates in their order (most urgent first) while their keys have room; a
job over its rate is deferred (``flow_defer.sql``: READY, due when the window's oldest start leaves it), never failed
and never read again before then. Candidates without keys cost nothing here.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson

from roster.errors import InvalidOptionError
from roster.jobs.store import Tx, ts, utcnow

_RATE = re.compile(r"^(\d+)/(\d*)(s|min|h|d)$")
UNIT_SECONDS = {"s": 1, "min": 60, "h": 3600, "d": 86400}
MAX_CONCURRENCY = 100_000


@dataclass(frozen=True)
class Rate:
    """At most ``limit`` starts in any window of ``seconds``."""

    limit: int
    seconds: int

    @classmethod
    def parse(cls, field: str, value: str) -> Rate:
        """``"100/min"``, ``"20/2s"``, ``"5000/h"``, ``"10/d"`` (stored as ``"100/60s"``); anything else refused
        naming ``field``."""
        found = _RATE.match(value.replace(" ", "")) if isinstance(value, str) else None
        if not found or int(found[1]) < 1 or found[2] == "0":
            raise InvalidOptionError(
                f'{field} must be starts per window, like "100/min", "20/2s", "5000/h" or "10/d", got {value!r}'[:300]
            )
        return cls(int(found[1]), int(found[2] or 1) * UNIT_SECONDS[found[3]])

    def __str__(self) -> str:
        return f"{self.limit}/{self.seconds}s"


def concurrency(field: str, value: Any) -> int:
    """A concurrency limit: a whole number from 1."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CONCURRENCY:
        raise InvalidOptionError(f"{field} must be a whole number from 1 to {MAX_CONCURRENCY}, got {value!r}")
    return value


@dataclass(frozen=True)
class Candidate:
    """A row of ``claim_candidates``: a job id and its flow-control columns."""

    id: int
    concurrency_key: str | None = None
    concurrency_limit: int | None = None
    rate_key: str | None = None
    rate_limit: str | None = None


@dataclass
class RateWindow:
    """What one rate key may still start in this claim, and when its next slot frees."""

    rate: Rate
    room: int
    next_free: datetime


def admit(tx: Tx, rows: list[tuple], batch: int, depth: int) -> tuple[list[int], datetime | None]:
    """The ids of the candidates (``claim_candidates`` rows) a claim may take (at most ``depth``, in their order),
    over-rate ones deferred; and the time the keys were locked (the claim's start time, then), ``None`` when no
    candidate has a key: that case reads the rows once and builds nothing, as the no-op claim path must stay fast.

    ``depth`` leaves room for rows other consumers lock first (SKIP LOCKED); rate-limited jobs are admitted up to
    ``batch`` only (nobody else can take them while this claim holds their key), so a window's room is not spent on
    jobs this claim will not take."""
    if all(row[1] is None and row[3] is None for row in rows):
        return [row[0] for row in rows], None
    candidates = [Candidate(*row) for row in rows]
    keys = {c.concurrency_key for c in candidates if c.concurrency_key is not None}
    rates = {c.rate_key: Rate.parse("rate_limit", c.rate_limit) for c in candidates if c.rate_key is not None}
    names = sorted({f"c\x1f{key}" for key in keys} | {f"r\x1f{key}" for key in rates})
    tx.run("flow_lock", names=orjson.dumps(names).decode(), now=ts(utcnow()))
    now = utcnow()  # after the lock: starts are stamped in the order the claims took the keys
    running = Counter(dict(tx.rows("flow_running", keys=sorted(keys)))) if keys else Counter()
    windows = {key: _window(tx, key, rate, now) for key, rate in rates.items()}
    admitted: list[int] = []
    deferred: dict[datetime, list[int]] = {}
    for candidate in candidates:
        if len(admitted) >= depth:
            break
        key, window = candidate.concurrency_key, windows.get(candidate.rate_key)
        if key is not None and running[key] >= (candidate.concurrency_limit or 1):
            continue  # waits READY for a PROCESSING job of its key to end; no attempt used
        if window is not None and len(admitted) >= batch:
            continue  # the claim is full: left READY for the next one
        if window is not None and window.room <= 0:
            deferred.setdefault(window.next_free, []).append(candidate.id)
            continue
        admitted.append(candidate.id)
        running[key] += key is not None
        if window is not None:
            window.room -= 1
    for until, ids in deferred.items():
        tx.run("flow_defer", ids=ids, until=ts(until), now=ts(now))
    return admitted, now


def _window(tx: Tx, rate_key: str, rate: Rate, now: datetime) -> RateWindow:
    since = ts(now - timedelta(seconds=rate.seconds))
    tx.run("flow_rate_prune", rate_key=rate_key, since=since)
    ((used, oldest),) = tx.rows("flow_rate_used", rate_key=rate_key, since=since)
    oldest = datetime.fromisoformat(oldest) if isinstance(oldest, str) else oldest
    next_free = (oldest or now) + timedelta(seconds=rate.seconds)
    return RateWindow(rate, rate.limit - int(used), next_free)


def record_starts(tx: Tx, claimed_rate_keys: list[str | None], now: datetime) -> None:
    """The claim's starts per rate key, in its transaction: they count against the window from ``now``."""
    for rate_key, starts in Counter(key for key in claimed_rate_keys if key is not None).items():
        tx.run("flow_rate_start", rate_key=rate_key, now=ts(now), starts=starts)
