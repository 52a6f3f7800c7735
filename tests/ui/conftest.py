"""One real Airflow (``scripts/standalone.sh``: api-server, scheduler, ...) with the roster plugin, simple auth
manager users of three roles, and a job table with known contents; clients that log in the way the UI does."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass

import pytest
from sqlalchemy import text

from conftest import MARIADB_URL, ROOT, TEST_DATABASE
from roster.jobs import JobQueue
from tests.jobs.conftest import reset
from tests.standalone import StandaloneAirflow

USERS = {"admin": "admin", "viewer": "viewer", "editor": "user"}  # username: simple auth manager role
PASSWORDS = {name: f"{name}-password-for-tests" for name in USERS}


@dataclass
class Answer:
    status: int
    body: dict


class Client:
    """HTTP to the api-server as one user: a bearer token from POST /auth/token, or anonymous."""

    def __init__(self, base: str, token: str | None = None) -> None:
        self.base = base
        self.token = token

    def request(self, method: str, path: str, body: dict | None = None) -> Answer:
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                status = response.status
        except urllib.error.HTTPError as exc:
            raw, status = exc.read(), exc.code
        try:
            return Answer(status, json.loads(raw or b"{}"))
        except ValueError:
            return Answer(status, {"text": raw.decode(errors="replace")})

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post(self, path: str, body: dict | None = None) -> Answer:
        return self.request("POST", path, body if body is not None else {})


def login(base: str, username: str) -> str:
    answer = Client(base).post("/auth/token", {"username": username, "password": PASSWORDS[username]})
    assert answer.status in (200, 201), answer
    return answer.body["access_token"]


@pytest.fixture(scope="session")
def roster_airflow(mariadb_engine, tmp_path_factory):
    """Airflow standalone on the test database, the roster DAGs paused (the tests decide what runs)."""
    home = tmp_path_factory.mktemp("ui-standalone")
    passwords = home / "passwords.json"
    passwords.write_text(json.dumps(PASSWORDS))
    env = {
        "AIRFLOW_CONN_ROSTER_DB": f"{MARIADB_URL}/{TEST_DATABASE}",
        "AIRFLOW_CONN_ROSTER_REDIS": os.environ["AIRFLOW_CONN_ROSTER_REDIS"],
        "AIRFLOW_CONN_ROSTER_SQS": "aws://testing:testing@/?region_name=us-east-1",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(f"{u}:{r}" for u, r in USERS.items()),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        "ROSTER_JOB_MODULES": "tests.jobs.callbacks",
        "ROSTER_TEST_RUNS_URL": f"{MARIADB_URL}/{TEST_DATABASE}",
        "PYTHONPATH": str(ROOT),
    }
    reset(mariadb_engine)
    JobQueue(mariadb_engine).update_schema()
    with StandaloneAirflow(home, env=env, unpause="") as running:
        running.base = f"http://127.0.0.1:{running.port}"
        yield running


@pytest.fixture(scope="session")
def clients(roster_airflow) -> dict[str, Client]:
    base = roster_airflow.base
    return {"anonymous": Client(base), **{name: Client(base, login(base, name)) for name in USERS}}


@pytest.fixture(scope="module")
def roster_users(mariadb_engine) -> list[str]:
    """The warmup test dataset, loaded anew (other test modules reseed the database); its plain usernames."""
    from tests.warmup.conftest import load_dataset

    load_dataset(mariadb_engine)
    with mariadb_engine.connect() as conn:
        names = [row[0] for row in conn.execute(text("SELECT username FROM users ORDER BY id"))]
    return [name for name in names if name.isascii() and name.replace("_", "").isalnum()]


CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


@pytest.fixture
def browser_page():
    """A page of Debian's headless Chromium, driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        page.set_default_timeout(30_000)
        yield page
        browser.close()
