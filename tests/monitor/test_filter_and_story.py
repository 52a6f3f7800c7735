"""The operator's filter, its bulk actions and a job's story, on MariaDB and SQLite: pages of matches newest first
that never repeat or skip a job, bulk actions that change only what their state allows, a batch at a time, and the
story of a job that failed twice and then finished, with its tracebacks and the task instance that ran it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from roster.errors import InvalidOptionError
from roster.jobs import JobQueue, State, bulk
from roster.jobs.job_filter import JobFilter
from roster.monitor.job_story import job_story, task_instance
from tests.monitor.conftest import put


def _ids(engine, where: str) -> list[int]:
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(text(f"SELECT id FROM background_job WHERE {where} ORDER BY id DESC"))]


def test_a_filter_pages_through_its_matches_newest_first(jobs_engine):
    queue = JobQueue(jobs_engine)
    for i in range(23):
        queue.publish("noop", {"i": i}, priority=5 if i % 2 else 50, identifier=f"order-{i % 3}",
                      serial_group="g" if i < 4 else None)  # fmt: skip
    store = queue.store
    urgent = JobFilter.parse(lane="roster_jobs_urgent", state="READY")
    pages, before = [], 2**63 - 1
    for _ in range(10):  # bounded: 11 matches, pages of 4
        page = urgent.ids(store, "default", before=before, limit=4)
        if not page:
            break
        pages.append(page)
        before = page[-1]
    assert [len(page) for page in pages] == [4, 4, 3]
    assert sum(pages, []) == _ids(jobs_engine, "priority = 5")
    assert JobFilter.parse(identifier="order-1").ids(store, "default", limit=100) == _ids(jobs_engine, "identifier = 'order-1'")
    assert JobFilter.parse(serial_group="g", callback="noop").ids(store, "default", limit=100) == _ids(jobs_engine, "serial_group = 'g'")
    assert urgent.count(store, "default", cap=100) == 11 and urgent.count(store, "default", cap=5) == 5
    future = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    assert JobFilter.parse(since=future).ids(store, "default") == []
    assert len(JobFilter.parse(until=future, state="ready").ids(store, "default", limit=100)) == 23


@pytest.mark.parametrize("field,value,says", [
    ("lane", "nope", "lane 'nope': no such lane"), ("state", "done", "param state must be one of back_to_broker"),
    ("callback", "x" * 192, "param callback must be a string of at most 191"),
    ("since", "yesterday", "param since must be an ISO 8601 time"), ("identifier", 5, "param identifier must be"),
])  # fmt: skip
def test_bad_filter_values_are_refused_by_name(field, value, says):
    with pytest.raises(InvalidOptionError) as refused:
        JobFilter.parse(**{field: value})
    assert str(refused.value).startswith(says) and "\n" not in str(refused.value)
    with pytest.raises(InvalidOptionError, match="^param until .* must be later than param since"):
        JobFilter.parse(since="2026-01-02", until="2026-01-01")


def test_bulk_actions_go_batch_by_batch_and_touch_only_what_they_may(jobs_engine, monkeypatch):
    monkeypatch.setattr(bulk, "BATCH", 7)
    failed = put(jobs_engine, priority=50, state=State.PERMANENTLY_FAILED, count=20)
    ready = put(jobs_engine, priority=50, state=State.READY, count=5)
    store = JobQueue(jobs_engine).store
    everything, steps, before = JobFilter(), [], 2**63 - 1
    for _ in range(10):  # bounded; a step of no time does one batch
        step = bulk.bulk_step(store, "default", everything, "retry", before=before, seconds=0)
        steps.append(step)
        if step["next_before"] is None:
            break
        before = step["next_before"]
    assert [s["scanned"] for s in steps] == [7, 7, 7, 4] and sum(s["changed"] for s in steps) == 20
    assert sorted(_ids(jobs_engine, "state = 1")) == sorted(failed + ready)
    with jobs_engine.begin() as conn:
        conn.execute(text("UPDATE background_job SET state = 5 WHERE id IN (%s)" % ",".join(map(str, failed[:3]))))
    cancelled = bulk.bulk_step(store, "default", JobFilter.parse(state="ready"), "cancel")
    assert cancelled["changed"] == 22 and cancelled["next_before"] is None
    removed = bulk.bulk_step(store, "default", everything, "remove")
    assert removed["changed"] == 3 and _ids(jobs_engine, "state = 5") == []
    with pytest.raises(InvalidOptionError, match="^action must be one of retry, remove, cancel"):
        bulk.bulk_step(store, "default", everything, "delete")


def test_a_jobs_story_has_every_attempt_with_its_traceback(jobs_engine):
    queue = JobQueue(jobs_engine, max_attempts=5)
    job_id = queue.publish("fail_temporarily", {}, serial_group="g-1", identifier="order-9")
    worker = "roster_job_queue.consume_roster_jobs_all[2] manual__2026-12-07T06:00:00+00:00 try 1"
    for _ in range(2):
        queue.process(worker=worker)
        with jobs_engine.begin() as conn:  # due again now, not after the backoff
            conn.execute(text("UPDATE background_job SET state = 1, available_at = '2000-01-01' WHERE id = :id"), {"id": job_id})
    with jobs_engine.begin() as conn:  # and now it succeeds
        conn.execute(text("UPDATE background_job SET callback_name = 'noop' WHERE id = :id"), {"id": job_id})
    queue.process(worker="cli")

    story = job_story(queue.store, job_id)
    job, attempts = story["job"], story["attempts"]
    assert (job["state"], job["serial_group"], job["identifier"], job["parameters"]) == ("finished", "g-1", "order-9", {})
    assert [(a["attempt"], a["state"]) for a in attempts] == [(1, "temporarily_failed"), (2, "temporarily_failed"), (3, "finished")]
    first = attempts[0]
    assert "Traceback (most recent call last)" in first["traceback"] and "fail_temporarily" in first["traceback"]
    assert first["error_message"] == "ConnectionError: remote API down"
    assert first["memory"]["peak_rss_kb"] > 0 and first["execution_time_ms"] >= 0 and first["hostname"]
    assert first["task_instance"]["dag_id"] == "roster_job_queue" and first["task_instance"]["map_index"] == 2
    assert attempts[2]["task_instance"] is None and attempts[2]["worker"] == "cli"
    assert job_story(queue.store, job_id + 1000) is None


def test_the_task_instance_of_a_worker_string():
    ti = task_instance("roster_job_queue.consume_roster_jobs_all[0] scheduled__2026-12-07T06:00:00+00:00 try 3")
    assert ti["ui_path"] == ("/dags/roster_job_queue/runs/scheduled__2026-12-07T06%3A00%3A00%2B00%3A00/tasks/"
                             "consume_roster_jobs_all/mapped/0?try_number=3")  # fmt: skip
    assert ti["api_path"].endswith("/taskInstances/consume_roster_jobs_all/logs/3?map_index=0")
    assert task_instance("worker-host") is None and task_instance(None) is None
