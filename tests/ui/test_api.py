"""The Roster page's JSON under a real api-server, with real Airflow auth (simple auth manager): a viewer reads, an
editor (role user) acts, anonymous and bad tokens are refused; each action changes exactly the rows it names."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from roster.jobs import State
from tests.ui.jobs_data import fill_jobs, ids_in_state, lane_counts, snapshot

pytestmark = pytest.mark.slow

READS = ["/roster/", "/roster/static/roster.js", "/roster/api/jobs/lanes", "/roster/api/jobs/consumers",
         "/roster/api/jobs/waiting", "/roster/api/jobs/batches", "/roster/api/jobs/failed", "/roster/api/warmup/runs",
         "/roster/api/warmup/audit?sample=5", "/roster/static/charts.js", "/roster/static/explore.js",
         "/roster/static/chart.umd.min.js", "/roster/static/batches.js", "/roster/api/jobs/charts", "/roster/api/jobs/alerts",
         "/roster/api/jobs/search?state=permanently_failed"]  # fmt: skip
ACTIONS = [("/roster/api/jobs/failed/retry", {"all": True}), ("/roster/api/jobs/failed/remove", {"all": True, "confirm": True}),
           ("/roster/api/jobs/stop-consumers", {}), ("/roster/api/warmup/warm-users", {"usernames": ["a"]}),
           ("/roster/api/jobs/bulk/retry", {}), ("/roster/api/jobs/lanes/roster_jobs_all/pause", {})]  # fmt: skip


@pytest.fixture
def jobs(mariadb_engine, roster_users):
    fill_jobs(mariadb_engine)
    return mariadb_engine


@pytest.mark.parametrize("who,status", [("anonymous", 401), ("viewer", 200), ("editor", 200)])
@pytest.mark.parametrize("path", READS)
def test_who_may_read(clients, jobs, who, status, path):
    assert clients[who].get(path).status == status


@pytest.mark.parametrize("who,status", [("anonymous", 401), ("viewer", 403)])
@pytest.mark.parametrize("path,body", ACTIONS)
def test_who_may_not_act_changes_nothing(clients, jobs, who, status, path, body):
    before = snapshot(jobs), control_rows(jobs)
    assert clients[who].post(path, body).status == status
    assert (snapshot(jobs), control_rows(jobs)) == before


def test_a_bad_token_is_refused(roster_airflow, jobs):
    from tests.ui.conftest import Client

    assert Client(roster_airflow.base, "not-a-jwt").get("/roster/api/jobs/lanes").status in (401, 403)


def control_rows(engine) -> list:
    with engine.connect() as conn:
        return conn.execute(text("SELECT name, value FROM background_job_control")).fetchall()


def test_lanes_show_the_tables_counts(clients, jobs):
    lanes = {lane["lane"]: lane for lane in clients["viewer"].get("/roster/api/jobs/lanes").body["lanes"]}
    for name, counts in lane_counts(jobs).items():
        assert lanes[name]["counts"] == counts, name
        assert sum(lanes[name]["finished_per_minute"]) == (5 if name == "roster_jobs_all" else 0)
        assert lanes[name]["oldest_ready_age_seconds"] >= 120
        assert lanes[name]["slots"]["total"] >= 1
    consumers = clients["viewer"].get("/roster/api/jobs/consumers").body["consumers"]
    assert sum(c["jobs"] for c in consumers) == 2 and {c["hostname"] for c in consumers} == {"worker-host"}
    failed = clients["viewer"].get("/roster/api/jobs/failed").body["failed"]
    assert [job["id"] for job in failed] == ids_in_state(jobs, State.PERMANENTLY_FAILED)
    assert all(job["error_message"] == f"boom {job['id']}" for job in failed)


def test_batches_show_their_progress_and_waiting_counts_their_limits(clients, jobs):
    from roster.jobs import JobQueue

    with JobQueue(jobs).batch("api-import") as batch:
        for i in range(3):
            batch.publish("batch_item", {"key": f"a{i}"})
    body = clients["viewer"].get("/roster/api/jobs/batches").body
    (found,) = [b for b in body["batches"] if b["name"] == "api-import"]
    assert (found["id"], found["total"], found["unfinished"], found["finished"], found["state"], found["asset"]) == (
        batch.id, 3, 3, 0, "running", "roster://batches/api-import")
    counts = clients["viewer"].get("/roster/api/jobs/waiting").body["counts"]
    assert counts["waiting_for_limit"] == 0 and counts["ready_to_run"] == counts["ready"]


def test_an_editor_retries_exactly_the_job_named(clients, jobs):
    target, *others = ids_in_state(jobs, State.PERMANENTLY_FAILED)
    before = snapshot(jobs)
    answer = clients["editor"].post("/roster/api/jobs/failed/retry", {"ids": [target]})
    assert answer.status == 200 and answer.body == {"retried": 1}
    after = snapshot(jobs)
    assert after[target][:2] == (int(State.READY), 0)
    assert {k: v for k, v in after.items() if k != target} == {k: v for k, v in before.items() if k != target}


def test_an_editor_removes_only_with_confirmation(clients, jobs):
    target = ids_in_state(jobs, State.PERMANENTLY_FAILED)[0]
    before = snapshot(jobs)
    refused = clients["editor"].post("/roster/api/jobs/failed/remove", {"ids": [target]})
    assert refused.status == 400 and "confirm" in refused.body["detail"]
    assert snapshot(jobs) == before
    assert clients["editor"].post("/roster/api/jobs/failed/remove", {"ids": [target], "confirm": True}).body == {"removed": 1}
    assert snapshot(jobs) == {k: v for k, v in before.items() if k != target}


def test_retry_all_touches_only_failed_jobs(clients, jobs):
    failed = set(ids_in_state(jobs, State.PERMANENTLY_FAILED))
    before = snapshot(jobs)
    assert clients["admin"].post("/roster/api/jobs/failed/retry", {"all": True}).body == {"retried": len(failed)}
    after = snapshot(jobs)
    assert {k for k in after if after[k] != before[k]} == failed


def test_bad_input_names_the_field(clients, jobs):
    answer = clients["editor"].post("/roster/api/jobs/failed/retry", {"ids": [1], "all": True})
    assert answer.status == 400 and "ids" in answer.body["detail"]
    answer = clients["editor"].post("/roster/api/jobs/failed/retry", {"ids": "x"})
    assert answer.status == 422 and "ids" in str(answer.body["detail"])


def test_stop_consumers_and_warm_users(clients, jobs, roster_users):
    users = roster_users
    assert clients["editor"].post("/roster/api/jobs/stop-consumers").body == {"stop_requested": True}
    with jobs.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM background_job_control WHERE name = 'stop_consumers'")).scalar() == 1
    answer = clients["editor"].post("/roster/api/warmup/warm-users", {"usernames": f"{users[0]}, {users[1]}"})
    assert answer.status == 200, answer
    with jobs.connect() as conn:
        row = conn.execute(text("SELECT callback_name, parameters, state FROM background_job WHERE id = :id"),
                           {"id": answer.body["job_id"]}).one()  # fmt: skip
    assert row[0] == "warm_users" and users[0] in row[1] and row[2] == State.READY


def test_the_audit_compares_the_cache_with_the_database(clients, jobs, roster_users):
    known = roster_users[0]
    answer = clients["viewer"].get(f"/roster/api/warmup/audit?usernames={known},nobody_here")
    assert answer.status == 200, answer
    assert answer.body["checked"] == 1 and answer.body["unknown_usernames"] == ["nobody_here"]
    assert answer.body["fresh"] + answer.body["stale"] + answer.body["missing"] == 1


def test_warmup_runs_show_a_real_run_per_shard(roster_airflow, clients, roster_users):
    """A roster_user_cache_warmup run under the scheduler, then its totals and shards as the page reads them."""
    import time

    roster_airflow.cli("dags", "unpause", "roster_user_cache_warmup")
    try:
        roster_airflow.cli("dags", "trigger", "roster_user_cache_warmup", "-c", '{"modulo": 2}', "-r", "ui_test_warmup")
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            runs = {run["run_id"]: run for run in clients["viewer"].get("/roster/api/warmup/runs").body["runs"]}
            if runs.get("ui_test_warmup", {}).get("state") in ("success", "failed"):
                break
            time.sleep(2)
    finally:
        roster_airflow.cli("dags", "pause", "roster_user_cache_warmup")
    run = runs["ui_test_warmup"]
    assert run["state"] == "success", roster_airflow.log_tail()
    with_users = len(roster_users)  # plain usernames only: the dataset has a few more
    assert run["summary"]["users_warmed"] >= with_users and run["summary"]["shards_done"] == 2
    assert [shard["remainder"] for shard in run["shards"]] == [0, 1]
    assert sum(shard["users_warmed"] for shard in run["shards"]) == run["summary"]["users_warmed"]
    assert run["seconds"] > 0
