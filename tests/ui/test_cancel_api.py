"""Cancelling from the Roster page's JSON under a real api-server: the waiting list agrees with the table, an
editor cancels exactly the jobs named (by id or identifier), a viewer or anonymous caller changes nothing, and bad
input is a one-line 4xx naming its field that changes nothing either."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from roster.jobs import State
from tests.ui.jobs_data import fill_jobs, ids_in_state, lane_counts

pytestmark = pytest.mark.slow

CANCEL = "/roster/api/jobs/cancel"
WAITING = "/roster/api/jobs/waiting"


@pytest.fixture
def jobs(mariadb_engine):
    fill_jobs(mariadb_engine)
    return mariadb_engine


def table(engine) -> dict[int, tuple]:
    """Every column of every job, by id: what a cancel may change."""
    with engine.connect() as conn:
        return {row[0]: tuple(row) for row in conn.execute(text("SELECT * FROM background_job"))}


def set_identifier(engine, ids: list[int], identifier: str) -> None:
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE background_job SET identifier = :i WHERE id IN ({', '.join(map(str, ids))})"),
                     {"i": identifier})  # fmt: skip


def waiting_in_claim_order(engine) -> list[int]:
    with engine.connect() as conn:
        return [row[0] for row in conn.execute(
            text("SELECT id FROM background_job WHERE state IN (1, 4, 6) ORDER BY priority, id"))]  # fmt: skip


@pytest.mark.parametrize("who,status", [("anonymous", 401), ("viewer", 403)])
def test_who_may_not_cancel_changes_nothing(clients, jobs, who, status):
    ready = ids_in_state(jobs, State.READY)
    set_identifier(jobs, ready[:2], "order-1")
    before = table(jobs)
    assert clients[who].post(CANCEL, {"ids": ready}).status == status
    assert clients[who].post(CANCEL, {"identifier": "order-1"}).status == status
    assert table(jobs) == before


def test_an_editor_cancels_exactly_the_jobs_named(clients, jobs):
    named = [ids_in_state(jobs, state)[0] for state in (State.READY, State.WAITING, State.TEMPORARILY_FAILED)]
    running = ids_in_state(jobs, State.PROCESSING)[0]
    before = table(jobs)

    answer = clients["editor"].post(CANCEL, {"ids": [*named, running]})

    assert answer.status == 200 and answer.body == {"cancelled": 3, "cancel_requested": 1}, answer
    after = table(jobs)
    with jobs.connect() as conn:
        rows = {r.id: r for r in conn.execute(text("SELECT id, state, cancel_requested FROM background_job"))}
    assert {i: rows[i].state for i in named} == dict.fromkeys(named, int(State.CANCELLED))
    assert (rows[running].state, rows[running].cancel_requested) == (int(State.PROCESSING), 1)
    assert {k: v for k, v in after.items() if k not in (*named, running)} == {
        k: v for k, v in before.items() if k not in (*named, running)}  # fmt: skip
    # Again: nothing left to cancel, and the answer says so.
    assert clients["editor"].post(CANCEL, {"ids": named}).body == {"cancelled": 0, "cancel_requested": 0}


def test_an_editor_cancels_by_identifier(clients, jobs):
    ready, finished = ids_in_state(jobs, State.READY), ids_in_state(jobs, State.FINISHED)
    set_identifier(jobs, [ready[0], ready[-1], finished[0]], "order-7")
    before = table(jobs)

    answer = clients["admin"].post(CANCEL, {"identifier": "order-7"})

    assert answer.status == 200 and answer.body == {"cancelled": 2, "cancel_requested": 0}, answer
    after = table(jobs)
    assert {k for k in after if after[k] != before[k]} == {ready[0], ready[-1]}
    assert set(ids_in_state(jobs, State.CANCELLED)) == {ready[0], ready[-1]}


def waiting_total(counts: dict[str, int]) -> int:
    """Jobs waiting to run, of the counts /waiting answers (ready_to_run and waiting_for_limit split ``ready``)."""
    return counts["ready"] + counts["waiting"] + counts["temporarily_failed"]


def test_the_waiting_list_agrees_with_the_table_before_and_after_a_cancel(clients, jobs):
    for _ in range(2):
        waiting = clients["viewer"].get(WAITING).body
        assert [job["id"] for job in waiting["jobs"]] == waiting_in_claim_order(jobs)
        ready = len(ids_in_state(jobs, State.READY))  # none held back by a concurrency or rate limit here
        assert waiting["counts"] == {"ready": ready, "ready_to_run": ready, "waiting_for_limit": 0,
                                     "temporarily_failed": len(ids_in_state(jobs, State.TEMPORARILY_FAILED)),
                                     "waiting": len(ids_in_state(jobs, State.WAITING))}  # fmt: skip
        lanes = {lane["lane"]: lane["counts"] for lane in clients["viewer"].get("/roster/api/jobs/lanes").body["lanes"]}
        assert lanes == lane_counts(jobs)
        clients["editor"].post(CANCEL, {"ids": [waiting["jobs"][0]["id"], waiting["jobs"][-1]["id"]]})
    assert waiting_total(waiting["counts"]) == 8  # 10 waiting in jobs_data, 2 cancelled by the first round

    top = clients["viewer"].get(WAITING + "?limit=2").body
    assert [job["id"] for job in top["jobs"]] == waiting_in_claim_order(jobs)[:2] and waiting_total(top["counts"]) == 6
    assert {job["state"] for job in waiting["jobs"]} == {"ready", "waiting", "temporarily_failed"}
    for limit in ("0", "501", "x"):
        answer = clients["viewer"].get(f"{WAITING}?limit={limit}")
        assert answer.status == 422 and "limit" in str(answer.body["detail"]), answer


BAD_INPUT = [
    ({"ids": "x"}, 400, "param ids: job id 'x' is not a positive whole number"),
    ({"ids": []}, 400, "param ids is empty"),
    ({"ids": [0]}, 400, "param ids: job id 0 is not a positive whole number"),
    ({"ids": [1.5]}, 400, "param ids: job id 1.5 is not a positive whole number"),
    ({"ids": ["3; DROP TABLE background_job"]}, 400, "param ids: job id '3; DROP TABLE background_job'"),
    ({"ids": 5}, 400, "param ids must be job ids"),
    ({"ids": list(range(1, 1002))}, 400, "param ids: 1001 job ids, at most 1000 at once"),
    ({}, 400, "give param ids (job ids) or param identifier, exactly one of them"),
    ({"ids": [1], "identifier": "order-1"}, 400, "exactly one of them"),
    ({"identifier": ""}, 400, "param identifier must be a non-empty string"),
    ({"identifier": 7}, 400, "param identifier must be a non-empty string of at most 191 characters, got 7"),
    ({"identifier": "x" * 192}, 400, "param identifier must be a non-empty string of at most 191 characters"),
    ({"id": [1]}, 400, "unknown param(s) id (did you mean ids?); known: ids, identifier"),
    ({"ids": [999_999]}, 404, "param ids: no job 999999 in the job table; nothing was cancelled"),
    ({"identifier": "no-such-order"}, 404, "param identifier: no job of queue 'default' has the identifier 'no-such-order'"),
]  # fmt: skip


@pytest.mark.parametrize("body,status,message", BAD_INPUT, ids=[str(i) for i in range(len(BAD_INPUT))])
def test_bad_input_is_one_line_naming_the_field_and_changes_nothing(clients, jobs, body, status, message):
    before = table(jobs)
    answer = clients["editor"].post(CANCEL, body)
    assert answer.status == status, answer
    detail = answer.body["detail"]
    assert isinstance(detail, str) and "\n" not in detail and message in detail, detail
    assert table(jobs) == before


def test_one_unknown_id_among_known_ones_cancels_none(clients, jobs):
    ready = ids_in_state(jobs, State.READY)
    before = table(jobs)
    answer = clients["editor"].post(CANCEL, {"ids": f"{ready[0]}, 999998,{ready[1]}\n999999"})
    assert answer.status == 404 and "no job 999998, 999999 in the job table" in answer.body["detail"], answer
    assert table(jobs) == before
    assert clients["editor"].post(CANCEL, {"ids": f"{ready[0]},{ready[1]}"}).body["cancelled"] == 2
