"""The four alerts of the operations guide as the Roster page shows them: worker down (a lane with due jobs and no
consumer), queue depth, failure rate and memory, each with what is wrong and since when.

roster_health evaluates them every 5 minutes (one task each, failing so Airflow's notifiers deliver the message) and
records here since when each has been firing: an ``alert:<check>`` row of the control table, written when it starts
firing and deleted when it stops. The page evaluates the same checks when it loads (reads only) and shows the
recorded since-when; an alert firing that roster_health has not seen yet shows as firing since its check ran now.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from roster.jobs.store import Store, ts
from roster.monitor.health import QUEUE_CHECKS, Thresholds
from roster.monitor.overview import QueueOverview, _iso, as_datetime, utcnow

PREFIX = "alert:"
# The operations guide's four, by check name, as the page titles them.
ALERTS = {"no_consumer": "worker down", "depth": "queue depth", "failure_rate": "failure rate", "memory": "memory"}


def record(store: Store, check: str, problems: list[str], now: datetime | None = None) -> datetime | None:
    """Remember since when ``check`` fires (kept while it goes on firing), or forget it; the since-when or None."""
    with store.transaction() as tx:
        if not problems:
            tx.run("control_delete", name=PREFIX + check)
            return None
        tx.run("control_add", name=PREFIX + check, value=ts(now or utcnow()))
        return as_datetime(dict(tx.rows("control_all"))[PREFIX + check])


def alerts(overview: QueueOverview, limits: Thresholds | None = None) -> list[dict[str, Any]]:
    """Each alert now: ``firing``, its ``problems`` (sentences), and ``since`` (roster_health's record, or now)."""
    limits = limits or Thresholds.from_env()
    now = utcnow()
    with overview.store.reading() as tx:
        since = {name[len(PREFIX) :]: as_datetime(value) for name, value in tx.rows("control_all") if name.startswith(PREFIX)}
    out = []
    for check, title in ALERTS.items():
        problems = QUEUE_CHECKS[check](overview, limits)
        out.append({
            "check": check, "title": title, "firing": bool(problems), "problems": problems,
            "since": _iso(since.get(check, now)) if problems else None,
            "seen_by_health_check": check in since,
        })  # fmt: skip
    return out
