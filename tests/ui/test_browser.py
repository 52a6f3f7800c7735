"""Headless Chromium (Debian's ``chromium``, driven by Playwright) logs in to a real Airflow the way a person
does, opens "Roster" from the navigation, and the counts on the page equal the table's. The screenshot goes to
the test's temporary directory; with ROSTER_UPDATE_SCREENSHOT=1 to docs/roster-page.png (README shows it)."""

from __future__ import annotations

import os
import re

import pytest

from conftest import ROOT
from tests.ui.conftest import PASSWORDS
from tests.ui.jobs_data import fill_jobs, lane_counts

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


def test_the_roster_page_shows_the_tables_counts(roster_airflow, mariadb_engine, roster_users, browser_page, tmp_path):
    fill_jobs(mariadb_engine)
    expected = lane_counts(mariadb_engine)
    page = browser_page
    log_in(page, roster_airflow.base, "viewer")

    page.get_by_role("link", name="Roster").or_(page.get_by_role("button", name="Roster")).first.click()
    page.wait_for_url(re.compile(r".*/plugin/roster.*"))
    frame = page.frame_locator("iframe")
    frame.locator("body[data-loaded=true]").wait_for()
    shown = {
        lane: {state: int(frame.locator(f"tr[data-lane={lane}] td[data-state={state}]").inner_text()) for state in counts}
        for lane, counts in expected.items()
    }
    # The cache audit from its form: the users' documents checked against the database.
    frame.locator("#audit-form input[name=usernames]").fill(",".join(roster_users[:3]))
    frame.locator("#audit-form button").click()
    frame.locator("#audit-result", has_text='"checked": 3').wait_for()
    screenshot = SCREENSHOT if os.environ.get("ROSTER_UPDATE_SCREENSHOT") == "1" else tmp_path / SCREENSHOT.name
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 10_000
    assert shown == expected
    assert frame.locator("#failed tbody tr").count() == 3  # the three permanent failures of jobs_data
    assert frame.locator("#consumers tbody tr").count() >= 1
