"""The operations part of the Roster page in headless Chromium, after real runs of roster_job_queue (jobs that
finished, failed for good, and wait for later) and of roster_user_cache_warmup: every chart has drawn its data (the
canvas has painted pixels, and its chart holds non-zero points), the alerts are listed, a failed job's story shows
its traceback and a task log link that resolves, a filter drives a bulk retry with progress, and a lane pauses and
resumes from the page. The page is used at 1280 px; ROSTER_UPDATE_SCREENSHOT=1 writes docs/roster-page.png."""

from __future__ import annotations

import os
import urllib.request
from datetime import timedelta

import pytest
from sqlalchemy import text

from roster.jobs import JobQueue, State
from roster.monitor.overview import utcnow
from tests.jobs.conftest import reset
from tests.ui.jobs_data import ids_in_state
from tests.ui.test_browser import SCREENSHOT, click_and_confirm, open_roster

pytestmark = pytest.mark.slow

LANES = ("roster_jobs_urgent", "roster_jobs_all")
# Per canvas: which dataset (by label) must hold a non-zero point.
EXPECTED = {**{f"chart-{lane}-throughput": "finished" for lane in LANES}, **{f"chart-{lane}-depth": "ready" for lane in LANES},
            **{f"chart-{lane}-latency": "p95" for lane in LANES}, "chart-warmup": "users/s"}  # fmt: skip
CANVASES = """(canvases) => canvases.map((canvas) => {
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
  const chart = Chart.getChart(canvas);
  const nonZero = Object.fromEntries(chart.data.datasets.map((d) => [d.label, d.data.filter((v) => v > 0).length]));
  return { id: canvas.id, painted, size: canvas.width * canvas.height, nonZero };
})"""


def _publish(engine) -> None:
    reset(engine)
    queue = JobQueue(engine)
    later = utcnow() + timedelta(hours=1)
    with queue.bulk():
        for i in range(40):
            queue.publish("record", {"key": f"ops-{i}", "sleep": 0.05}, priority=5 if i % 4 == 0 else 50)
        for i in range(3):
            queue.publish("fail_permanently", {}, priority=50, identifier=f"ops-fail-{i}", serial_group="ops")
        for priority in (5, 50):  # due in an hour: the depth the charts show
            queue.publish("noop", {"later": priority}, priority=priority, available_at=later)
    with queue.batch("nightly-import") as batch:  # a batch the consumers complete: its row on the page
        for i in range(10):
            batch.publish("record", {"key": f"ops-batch-{i}"}, priority=50)


def _run_dags(airflow, engine) -> None:
    """roster_job_queue until the due jobs are done, and a warmup run; both DAGs paused again after."""
    for dag_id in ("roster_job_queue", "roster_user_cache_warmup"):
        airflow.cli("dags", "unpause", dag_id)
    try:
        airflow.cli("dags", "trigger", "roster_user_cache_warmup")

        def settled() -> bool:
            with engine.connect() as conn:
                left = conn.execute(text("SELECT COUNT(*) FROM background_job WHERE state IN (1, 2, 4)"
                                         " AND available_at < :soon"), {"soon": utcnow() + timedelta(minutes=30)}).scalar()  # fmt: skip
            return left == 0

        airflow.wait_until(settled, 240, "roster_job_queue ran the due jobs")
        airflow.wait_until(lambda: any(run["state"] == "success" for run in airflow.runs("roster_user_cache_warmup")),
                           240, "a roster_user_cache_warmup run succeeded")  # fmt: skip
    finally:
        for dag_id in ("roster_job_queue", "roster_user_cache_warmup"):
            airflow.cli("dags", "pause", dag_id)


def _screenshot(page, tmp_path, name: str):
    path = SCREENSHOT if name == "roster-page.png" and os.environ.get("ROSTER_UPDATE_SCREENSHOT") == "1" else tmp_path / name
    page.screenshot(path=str(path), full_page=True)
    return path


def test_the_operations_page_after_real_runs(roster_airflow, mariadb_engine, roster_users, clients, browser_page, tmp_path):
    engine = mariadb_engine
    _publish(engine)
    _run_dags(roster_airflow, engine)
    failed = ids_in_state(engine, State.PERMANENTLY_FAILED)
    assert len(failed) == 3
    page = browser_page
    page.set_viewport_size({"width": 1280, "height": 1000})
    frame = open_roster(page, roster_airflow.base, "editor")
    frame.locator("body[data-charts=drawn]").wait_for()

    # Every chart drew its data.
    drawn = {found["id"]: found for found in frame.locator("canvas").evaluate_all(CANVASES)}
    assert set(drawn) == set(EXPECTED)
    for canvas, dataset in EXPECTED.items():
        assert drawn[canvas]["painted"] > drawn[canvas]["size"] * 0.01, (canvas, drawn[canvas])
        assert drawn[canvas]["nonZero"][dataset] > 0, (canvas, drawn[canvas])
    assert drawn["chart-roster_jobs_all-throughput"]["nonZero"]["failed"] > 0
    assert frame.locator("#alerts li").count() == 4
    assert frame.locator("#unconsumed").inner_text() == ""  # the jobs left are due in an hour: nothing is wrong
    batch = frame.locator("#batches tbody tr").first.locator("td").all_inner_texts()
    assert batch[1:9] == ["nightly-import", "complete", "10", "10", "0", "0", "0", "100%"], batch
    page.set_viewport_size({"width": 1280, "height": 2400})
    frame.locator("body").evaluate("() => window.scrollTo(0, 0)")
    assert _screenshot(page, tmp_path, "roster-page.png").stat().st_size > 50_000

    # A filter: the failed jobs; the story of one of them.
    frame.locator("#search-form select[name=state]").select_option("permanently_failed")
    frame.locator("#search-form button").click()
    frame.locator("#search-summary", has_text="3 job(s) match").wait_for()
    assert sorted(int(row) for row in frame.locator("#search tbody tr").evaluate_all("(rows) => rows.map((r) => r.dataset.job)")) == failed
    frame.locator(f"#search tr[data-job='{failed[0]}'] a").click()
    story = frame.locator(f"#story[data-job='{failed[0]}']")
    story.wait_for()
    attempt = story.locator("#story-attempts tbody tr").first
    assert "PermanentError: this can never work" in attempt.inner_text()
    below = story.locator("#story-attempts tr.traceback-row[data-attempt='1']")
    below.locator("summary").click()
    traceback = below.locator("pre.traceback").inner_text()
    assert traceback.startswith("Traceback (most recent call last)") and "fail_permanently" in traceback
    link = attempt.locator("a.task-log").get_attribute("href")
    assert "/dags/roster_job_queue/runs/" in link and "/tasks/consume_roster_jobs_all" in link
    with urllib.request.urlopen(link, timeout=30) as answer:  # Airflow's UI route for the task instance
        assert answer.status == 200
    ti = clients["viewer"].get(f"/roster/api/jobs/{failed[0]}/story").body["attempts"][0]["task_instance"]
    log = clients["admin"].get(ti["api_path"])  # the task instance exists and has its log
    assert log.status == 200, log
    assert "job" in str(log.body)
    _screenshot(page, tmp_path, "job-story.png")

    # The same filter drives a bulk retry, with its progress.
    click_and_confirm(frame.locator("#bulk-retry"))
    frame.locator("#bulk-progress[data-done=true]", has_text="done: retried 3 of 3 matching job(s)").wait_for()
    assert ids_in_state(engine, State.PERMANENTLY_FAILED) == [] and set(failed) <= set(ids_in_state(engine, State.READY))

    # Pause and resume a lane.
    frame.locator("tr[data-lane=roster_jobs_urgent] button", has_text="Pause").click()
    frame.locator("tr[data-lane=roster_jobs_urgent][data-paused=true]", has_text="paused since").wait_for()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM background_job_control WHERE name = 'pause:roster_jobs_urgent'")).scalar() == 1
    _screenshot(page, tmp_path, "paused-lane.png")
    frame.locator("tr[data-lane=roster_jobs_urgent] button", has_text="Resume").click()
    frame.locator("tr[data-lane=roster_jobs_urgent][data-paused=false]").wait_for()
