"""Headless Chromium (Debian's ``chromium``, driven by Playwright) logs in to a real Airflow the way a person
does, opens "Roster" from the navigation, and the counts on the page equal the table's; an editor retries and
removes failed jobs, and the page and the table change together. The viewer's screenshot goes to the test's temporary directory; with ROSTER_UPDATE_SCREENSHOT=1 to
docs/roster-page.png (README shows it)."""

from __future__ import annotations

import os
import re

import pytest
from sqlalchemy import text

from conftest import ROOT
from tests.ui.conftest import PASSWORDS
from roster.jobs import State
from tests.ui.jobs_data import fill_jobs, ids_in_state, lane_counts

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
SCREENSHOT = ROOT / "docs" / "roster-page.png"


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        page.set_default_timeout(30_000)
        yield page
        browser.close()


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
    screenshot = SCREENSHOT if os.environ.get("ROSTER_UPDATE_SCREENSHOT") == "1" else tmp_path / SCREENSHOT.name
    page.set_viewport_size({"width": 1500, "height": 1800})  # the whole page: it scrolls inside Airflow's iframe
    frame.locator("body").evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 10_000
    assert shown == expected
    assert frame.locator("#failed tbody tr").count() == 3  # the three permanent failures of jobs_data
    assert frame.locator("#consumers tbody tr").count() >= 1


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
