"""Headless Chromium (Debian's ``chromium``, driven by Playwright) logs in to a real Airflow the way a person
does, opens "Roster" from the navigation, and the counts on the page equal the table's; an editor cancels waiting
jobs (one by its button, others by identifier) and retries a failed one, and the page and the table change
together. The viewer's screenshot goes to the test's temporary directory (docs/roster-page.png is written by
test_operations_page, after real runs)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from conftest import ROOT
from tests.ui.conftest import PASSWORDS
from roster.jobs import JobQueue, State
from tests.ui.jobs_data import fill_jobs, ids_in_state, lane_counts

pytestmark = pytest.mark.slow

SCREENSHOT = ROOT / "docs" / "roster-page.png"


def log_in(page, base: str, username: str) -> None:
    page.goto(base + "/")
    page.wait_for_url(re.compile(r".*/auth/login.*"))
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORDS[username])
    page.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"^(?!.*/auth/login).*$"))


def open_roster(page, base: str, username: str):
    """Log in, pick "Roster" in the navigation; the page's frame once its data has loaded."""
    log_in(page, base, username)
    page.get_by_role("link", name="Roster").or_(page.get_by_role("button", name="Roster")).first.click()
    page.wait_for_url(re.compile(r".*/plugin/roster.*"))
    frame = page.frame_locator("iframe")
    frame.locator("body[data-loaded=true]").wait_for()
    return frame


def click_and_confirm(button) -> None:
    """A button that asks first: its label turns into the question's answer, a second click acts."""
    button.click()
    button.filter(has_text="Click again to confirm").wait_for()
    button.click()


def shown_counts(frame, lanes) -> dict[str, dict[str, int]]:
    return {
        lane: {state: int(frame.locator(f"tr[data-lane={lane}] td[data-state={state}]").inner_text()) for state in counts}
        for lane, counts in lanes.items()
    }


def test_the_roster_page_shows_the_tables_counts(roster_airflow, mariadb_engine, roster_users, browser_page, tmp_path):
    fill_jobs(mariadb_engine)
    expected = lane_counts(mariadb_engine)
    page = browser_page
    frame = open_roster(page, roster_airflow.base, "viewer")
    shown = shown_counts(frame, expected)
    # The cache audit from its form: the users' documents checked against the database.
    frame.locator("#audit-form input[name=usernames]").fill(",".join(roster_users[:3]))
    frame.locator("#audit-form button").click()
    frame.locator("#audit-result", has_text='"checked": 3').wait_for()
    screenshot = tmp_path / SCREENSHOT.name  # docs/roster-page.png comes from test_operations_page
    page.set_viewport_size({"width": 1500, "height": 1800})  # the whole page: it scrolls inside Airflow's iframe
    frame.locator("body").evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 10_000
    assert shown == expected
    assert frame.locator("#failed tbody tr").count() == 3  # the three permanent failures of jobs_data
    assert frame.locator("#consumers tbody tr").count() >= 1
    assert frame.locator("#waiting tbody tr").count() == 10  # ready, waiting and temporarily failed in jobs_data
    assert frame.locator("#waiting-summary").inner_text() == (
        "10 job(s) waiting to run: 7 ready, 1 waiting, 2 temporarily failed")


def test_an_editor_retries_and_removes_failed_jobs_from_the_page(roster_airflow, mariadb_engine, browser_page):
    engine = mariadb_engine
    fill_jobs(engine)
    retried, removed, kept = ids_in_state(engine, State.PERMANENTLY_FAILED)
    frame = open_roster(browser_page, roster_airflow.base, "editor")

    frame.locator(f"#failed tr[data-job='{retried}'] button", has_text="Retry").click()
    frame.locator(f"#failed tr[data-job='{retried}']").wait_for(state="detached")
    frame.locator("#message", has_text=f'job {retried} back to ready: {{"retried":1}}').wait_for()
    # Removing asks first, on the page: one click removes nothing.
    remove = frame.locator(f"#failed tr[data-job='{removed}'] button.danger")
    remove.click()
    frame.locator("#message", has_text=f"Remove job {removed} for good?").wait_for()
    assert ids_in_state(engine, State.PERMANENTLY_FAILED) == [removed, kept]
    remove.click()
    frame.locator(f"#failed tr[data-job='{removed}']").wait_for(state="detached")

    assert ids_in_state(engine, State.PERMANENTLY_FAILED) == [kept]
    assert retried in ids_in_state(engine, State.READY)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM background_job WHERE id = :id"), {"id": removed}).scalar() == 0
    assert shown_counts(frame, lane_counts(engine)) == lane_counts(engine)


def test_an_editor_cancels_waiting_jobs_from_the_page(roster_airflow, mariadb_engine, browser_page, tmp_path):
    engine = mariadb_engine
    fill_jobs(engine)
    ready = ids_in_state(engine, State.READY)
    target, tagged = ready[0], ready[-2:]
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE background_job SET identifier = 'order-7' WHERE id IN ({tagged[0]}, {tagged[1]})"))
    frame = open_roster(browser_page, roster_airflow.base, "editor")
    summary = frame.locator("#waiting-summary")
    assert summary.inner_text().startswith("10 job(s) waiting to run: 7 ready")

    # The most urgent waiting job, by its own button (which asks first).
    click_and_confirm(frame.locator(f"#waiting tr[data-job='{target}'] button"))
    frame.locator(f"#waiting tr[data-job='{target}']").wait_for(state="detached")
    frame.locator("#message", has_text=f"job {target}: 1 cancelled").wait_for()
    summary.filter(has_text="9 job(s) waiting to run: 6 ready").wait_for()
    assert ids_in_state(engine, State.CANCELLED) == [target]
    assert shown_counts(frame, lane_counts(engine)) == lane_counts(engine)

    # Every job with an identifier, from the form.
    frame.locator("#cancel-form input[name=identifier]").fill("order-7")
    click_and_confirm(frame.locator("#cancel-form button"))
    frame.locator("#message", has_text="identifier order-7: 2 cancelled").wait_for()
    summary.filter(has_text="7 job(s) waiting to run: 4 ready").wait_for()
    assert ids_in_state(engine, State.CANCELLED) == sorted([target, *tagged])
    assert all(frame.locator(f"#waiting tr[data-job='{job}']").count() == 0 for job in tagged)
    assert frame.locator("#waiting tbody tr").count() == 7
    assert shown_counts(frame, lane_counts(engine)) == lane_counts(engine)

    # An identifier nobody has: the page says so, naming the field.
    frame.locator("#cancel-form input[name=identifier]").fill("order-404")
    click_and_confirm(frame.locator("#cancel-form button"))
    frame.locator("#message.error", has_text="param identifier: no job of queue 'default'").wait_for()
    browser_page.screenshot(path=str(tmp_path / "after-cancel.png"), full_page=True)


def test_a_new_roster_database_without_the_job_table_shows_its_state(
    roster_airflow, mariadb_engine, clients, browser_page, tmp_path
):
    """First run: nothing published yet, so no background_job table. The page and the job API answer 200 with the
    state (no traceback, no 500) and the warmup part loads as usual; a job action is refused with the same line."""
    from roster.errors import NoJobTableError

    with mariadb_engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS background_job"))
    try:
        for path in ("lanes", "consumers", "waiting", "failed"):
            answer = clients["viewer"].get(f"/roster/api/jobs/{path}")
            assert answer.status == 200, answer
            assert answer.body["job_table"] is False and answer.body["message"] == NoJobTableError.MESSAGE
        refused = clients["editor"].post("/roster/api/jobs/failed/retry", {"all": True})
        assert refused.status == 409 and refused.body["detail"] == NoJobTableError.MESSAGE
        frame = open_roster(browser_page, roster_airflow.base, "viewer")
        frame.locator("#message", has_text="no job table yet").wait_for()
        assert "roster jobs update-schema" in frame.locator("#message").inner_text()
        assert frame.locator("#lanes tbody tr").count() == 0
        browser_page.screenshot(path=str(tmp_path / "no-job-table.png"), full_page=True)
        with mariadb_engine.connect() as conn:  # looking created nothing
            assert conn.execute(text("SHOW TABLES LIKE 'background_job'")).fetchall() == []
    finally:
        JobQueue(mariadb_engine).update_schema()


def test_the_page_shows_batches_and_the_jobs_a_limit_holds_back(roster_airflow, mariadb_engine, browser_page):
    from tests.jobs.conftest import reset

    queue = JobQueue(reset(mariadb_engine))
    with queue.batch("nightly-import") as batch:
        for n in range(3):
            batch.publish("noop", {"n": n})
    queue.publish("fail_permanently", {})
    assert queue.process(time_limit=60)["finished"] == 3
    held = [queue.publish("noop", {"n": n}, concurrency_key="tenant-42", concurrency=1) for n in range(2)]
    with mariadb_engine.begin() as conn:  # the key's one slot taken by a job running elsewhere
        conn.execute(text("UPDATE background_job SET state = 2 WHERE id = :id"), {"id": held[0]})

    frame = open_roster(browser_page, roster_airflow.base, "viewer")

    row = frame.locator("#batches tbody tr").first
    row.wait_for()
    cells = row.locator("td").all_inner_texts()
    assert cells[1:9] == ["nightly-import", "complete", "3", "3", "0", "0", "0", "100%"], cells
    assert cells[11] == "roster://batches/nightly-import"
    assert frame.locator("#waiting-summary").inner_text() == (
        "1 job(s) waiting to run: 1 ready (0 to run, 1 held by a limit), 0 waiting, 0 temporarily failed")
