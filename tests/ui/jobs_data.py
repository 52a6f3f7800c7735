"""A job table with every state the page shows, written directly so the counts are known."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import text

from roster.jobs import JobQueue, State
from roster.jobs.lanes import lanes
from tests.jobs.conftest import reset

# (priority, state, how many)
LAYOUT = [
    (5, State.READY, 3), (50, State.READY, 4), (50, State.PROCESSING, 2), (50, State.WAITING, 1),
    (50, State.TEMPORARILY_FAILED, 2), (5, State.PERMANENTLY_FAILED, 1), (50, State.PERMANENTLY_FAILED, 2),
    (50, State.FINISHED, 5),
]  # fmt: skip


def fill_jobs(engine) -> None:
    reset(engine)
    queue = JobQueue(engine)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    for priority, state, count in LAYOUT:
        for i in range(count):
            job_id = queue.publish("noop", {"n": i, "state": state.name}, priority=priority)
            with engine.begin() as conn:
                conn.execute(
                    text(
                        "UPDATE background_job SET state = :state, available_at = :due, number_of_attempts = :tries,"
                        " error_message = :error, last_attempt_at = :last, finished_at = :finished, pid = :pid,"
                        " hostname = :host, worker = :worker, locked_until = :lease WHERE id = :id"
                    ),
                    {
                        "id": job_id, "state": int(state), "due": now - timedelta(minutes=2 + i),
                        "tries": 0 if state is State.READY else 3,
                        "error": f"boom {job_id}" if state is State.PERMANENTLY_FAILED else None,
                        "last": None if state is State.READY else now - timedelta(minutes=1),
                        "finished": now if state is State.FINISHED else None,
                        "pid": 4242 if state is State.PROCESSING else None,
                        "host": "worker-host" if state is State.PROCESSING else None,
                        "worker": f"roster_job_queue.consume[{i}]" if state is State.PROCESSING else None,
                        "lease": now + timedelta(minutes=5) if state is State.PROCESSING else None,
                    },
                )  # fmt: skip


def lane_counts(engine) -> dict[str, dict[str, int]]:
    """Per lane and state, counted independently of roster.monitor: what the page must show."""
    names = {State.READY: "ready", State.PROCESSING: "processing", State.WAITING: "waiting",
             State.TEMPORARILY_FAILED: "temporarily_failed", State.PERMANENTLY_FAILED: "permanently_failed"}  # fmt: skip
    out = {}
    with engine.connect() as conn:
        for lane, (low, high) in lanes().items():
            rows = conn.execute(
                text("SELECT state, COUNT(*) FROM background_job WHERE priority BETWEEN :l AND :h GROUP BY state"),
                {"l": low, "h": high},
            ).fetchall()
            counts = dict.fromkeys(names.values(), 0)
            for state, count in rows:
                if State(state) in names:
                    counts[names[State(state)]] = count
            out[lane] = counts
    return out


def ids_in_state(engine, state: State) -> list[int]:
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(text("SELECT id FROM background_job WHERE state = :s ORDER BY id"),
                                               {"s": int(state)})]  # fmt: skip


def snapshot(engine) -> dict[int, tuple]:
    with engine.connect() as conn:
        return {row[0]: tuple(row[1:]) for row in conn.execute(
            text("SELECT id, state, number_of_attempts, error_message FROM background_job"))}  # fmt: skip
