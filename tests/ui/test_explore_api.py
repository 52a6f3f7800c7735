"""The Roster page's search, story, bulk and pause JSON under a real api-server: pages of a filter's matches,
one-line 400s naming the field for bad filter values and unknown lanes, 404 for a job that is not there."""

from __future__ import annotations

import pytest

from roster.jobs import State
from tests.ui.jobs_data import fill_jobs, ids_in_state

pytestmark = pytest.mark.slow


@pytest.fixture
def jobs(mariadb_engine):
    fill_jobs(mariadb_engine)
    return mariadb_engine


def test_search_pages_through_the_matches(clients, jobs):
    viewer = clients["viewer"]
    ready = ids_in_state(jobs, State.READY)
    first = viewer.get("/roster/api/jobs/search?state=ready&limit=4")
    assert first.status == 200 and first.body["total"] == len(ready) == 7 and first.body["total_capped"] is False
    second = viewer.get(f"/roster/api/jobs/search?state=ready&limit=4&before={first.body['next_before']}")
    assert [job["id"] for job in first.body["jobs"] + second.body["jobs"]] == sorted(ready, reverse=True)
    assert second.body["next_before"] is None
    urgent = viewer.get("/roster/api/jobs/search?lane=roster_jobs_urgent&state=permanently_failed").body
    assert [job["state"] for job in urgent["jobs"]] == ["permanently_failed"] and urgent["filter"] == {
        "lane": "roster_jobs_urgent", "state": "permanently_failed"}


@pytest.mark.parametrize("query,says", [
    ("lane=nope", "lane 'nope': no such lane (lanes: roster_jobs_urgent, roster_jobs_all)"),
    ("state=done", "param state must be one of"), ("since=yesterday", "param since must be an ISO 8601 time"),
    ("before=-3", "param before must be a job id"),
])  # fmt: skip
def test_bad_filter_values_are_refused_naming_the_field(clients, jobs, query, says):
    answer = clients["viewer"].get(f"/roster/api/jobs/search?{query}")
    assert answer.status == 400 and answer.body["detail"].startswith(says) and "\n" not in answer.body["detail"]


def test_story_bulk_and_pause_answers(clients, jobs):
    failed = ids_in_state(jobs, State.PERMANENTLY_FAILED)
    story = clients["viewer"].get(f"/roster/api/jobs/{failed[0]}/story")
    assert story.status == 200 and story.body["job"]["error_message"] == f"boom {failed[0]}"
    assert clients["viewer"].get("/roster/api/jobs/999999999/story").status == 404
    editor = clients["editor"]
    refused = editor.post("/roster/api/jobs/bulk/remove", {"state": "permanently_failed"})
    assert refused.status == 400 and refused.body["detail"].startswith("confirm must be true")
    done = editor.post("/roster/api/jobs/bulk/retry", {"lane": "roster_jobs_urgent"})
    assert (done.status, done.body["changed"], done.body["next_before"]) == (200, 1, None)
    assert len(ids_in_state(jobs, State.PERMANENTLY_FAILED)) == 2
    unknown = editor.post("/roster/api/jobs/lanes/roster_jobs_nope/pause")
    assert unknown.status == 400 and unknown.body["detail"].startswith("lane 'roster_jobs_nope': no such lane")
    def lanes() -> dict:
        return {lane["lane"]: lane for lane in clients["viewer"].get("/roster/api/jobs/lanes").body["lanes"]}

    assert lanes()["roster_jobs_urgent"]["unconsumed"] is True  # due jobs, nobody holding one of priority 0-9
    assert editor.post("/roster/api/jobs/lanes/roster_jobs_urgent/pause").body["paused"] is True
    urgent = lanes()["roster_jobs_urgent"]
    assert urgent["paused_since"] and urgent["unconsumed"] is False and lanes()["roster_jobs_all"]["paused_since"] is None
    assert editor.post("/roster/api/jobs/lanes/roster_jobs_urgent/resume").body["was_paused"] is True
