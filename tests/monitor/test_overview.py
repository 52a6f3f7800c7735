"""The overview's reads behind the page's waiting list and its cancel checks, on MariaDB and SQLite: the most
urgent waiting jobs in claim order, bounded, with counts that agree with the table."""

from __future__ import annotations

from sqlalchemy import text

from roster.jobs import JobQueue, State
from roster.monitor.overview import QueueOverview
from tests.monitor.conftest import put


def _waiting_in_claim_order(engine) -> list[int]:
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(text(
            "SELECT id FROM background_job WHERE queue = 'default' AND state IN (1, 4, 6) ORDER BY priority, id"))]  # fmt: skip


def test_waiting_lists_the_most_urgent_first_and_counts_them_all(jobs_engine):
    put(jobs_engine, priority=50, state=State.READY, count=3)
    put(jobs_engine, priority=5, state=State.TEMPORARILY_FAILED, count=2)
    put(jobs_engine, priority=20, state=State.WAITING, count=1)
    put(jobs_engine, priority=1, state=State.READY, count=2)
    for state in (State.PROCESSING, State.FINISHED, State.PERMANENTLY_FAILED, State.CANCELLED):
        put(jobs_engine, priority=0, state=state)  # the most urgent, but not waiting
    JobQueue(jobs_engine, queue="other").publish("noop", {}, priority=0)  # another queue

    everything = QueueOverview(jobs_engine).waiting(limit=50)
    top = QueueOverview(jobs_engine).waiting(limit=3)

    assert everything["counts"] == {"ready": 5, "temporarily_failed": 2, "waiting": 1}
    assert [job["id"] for job in everything["jobs"]] == _waiting_in_claim_order(jobs_engine)
    assert [(job["priority"], job["state"]) for job in everything["jobs"]][:4] == [
        (1, "ready"), (1, "ready"), (5, "temporarily_failed"), (5, "temporarily_failed")]  # fmt: skip
    assert top["counts"] == everything["counts"] and top["jobs"] == everything["jobs"][:3]
    job = everything["jobs"][0]
    assert job["callback_name"] == "noop" and job["available_at"].endswith("+00:00") and "{" in job["parameters"]


def test_job_states_and_identifier_jobs_find_only_what_exists(jobs_engine):
    ready = put(jobs_engine, priority=50, state=State.READY, count=2)
    done = put(jobs_engine, priority=50, state=State.FINISHED)
    elsewhere = JobQueue(jobs_engine, queue="other").publish("noop", {}, identifier="order-7")
    JobQueue(jobs_engine).publish("noop", {}, identifier="order-7")
    overview = QueueOverview(jobs_engine)

    assert overview.job_states([*ready, *done, elsewhere, 999_999]) == {
        ready[0]: State.READY, ready[1]: State.READY, done[0]: State.FINISHED, elsewhere: State.READY}  # fmt: skip
    assert overview.identifier_jobs("order-7") == 1  # this queue's only
    assert overview.identifier_jobs("order-8") == 0
