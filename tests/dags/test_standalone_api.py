"""The warmup's scope through Airflow's REST API (``POST /api/v2/dags/.../dagRuns``) under a real scheduler.

What a user sends is what runs: an empty scope is refused before a run exists (HTTP 400 naming the param); an
unknown param name fails the plan and warms nobody; names typed one per line are split; unknown usernames are
reported and the rest warmed; a scope of only unknown users fails. Cron scheduling is off in this Airflow
(``use_job_schedule``), so the only runs are the ones the test triggers and the users in Redis are theirs.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request

import pytest

from conftest import MARIADB_URL, ROOT, TEST_DATABASE
from tests.standalone import StandaloneAirflow
from tests.warmup.test_shard import cached_users

pytestmark = pytest.mark.slow

DAG_ID = "roster_user_cache_warmup"


class Api:
    """The REST API of a StandaloneAirflow, with a token of the simple auth manager's admin (POST /auth/token)."""

    def __init__(self, airflow: StandaloneAirflow) -> None:
        self.base = f"http://127.0.0.1:{airflow.port}"
        passwords = airflow.home / "airflow" / "simple_auth_manager_passwords.json.generated"
        password = json.loads(passwords.read_text())["admin"]
        self.token = self.call("POST", "/auth/token", {"username": "admin", "password": password})[1]["access_token"]

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        headers = {"Content-Type": "application/json"}
        if getattr(self, "token", None):
            headers["Authorization"] = f"Bearer {self.token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def trigger(self, conf: dict) -> tuple[int, dict]:
        return self.call("POST", f"/api/v2/dags/{DAG_ID}/dagRuns", {"logical_date": None, "conf": conf})

    def wait(self, run_id: str, timeout: float = 180) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.call("GET", f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}")[1]["state"]
            if state in ("success", "failed"):
                return state
            time.sleep(1)
        raise TimeoutError(f"run {run_id} not done after {timeout:.0f} s")

    def xcom(self, run_id: str, task_id: str, key: str = "return_value"):
        status, entry = self.call(
            "GET", f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/{key}?deserialize=true"
        )
        assert status == 200, entry
        value = entry["value"]
        return json.loads(value) if isinstance(value, str) else value

    def task_log(self, run_id: str, task_id: str, map_index: int = -1) -> str:
        path = f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances/{task_id}/logs/1?map_index={map_index}"
        status, body = self.call("GET", path)
        assert status == 200, body
        content = body.get("content", "")
        return content if isinstance(content, str) else json.dumps(content)


@pytest.fixture(scope="module")
def api(warmup_data, tmp_path_factory):
    env = {
        "AIRFLOW_CONN_ROSTER_DB": f"{MARIADB_URL}/{TEST_DATABASE}",
        "AIRFLOW_CONN_ROSTER_REDIS": os.environ["AIRFLOW_CONN_ROSTER_REDIS"],
        "AIRFLOW_CONN_ROSTER_SQS": "aws://testing:testing@/?region_name=us-east-1",
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",  # manual runs only
        "PYTHONPATH": str(ROOT),
    }
    with StandaloneAirflow(tmp_path_factory.mktemp("standalone-api"), env=env, unpause=DAG_ID) as airflow:
        yield Api(airflow)


def _run(api: Api, conf: dict) -> tuple[str, str]:
    status, run = api.trigger({"modulo": 1, **conf})
    assert status == 200, run
    return run["dag_run_id"], api.wait(run["dag_run_id"])


@pytest.mark.parametrize("usernames", [[], "", ",,,", " \n , ", [""]])
def test_an_empty_scope_is_refused_before_a_run_exists(api, usernames):
    status, body = api.trigger({"usernames": usernames})

    assert status == 400, body
    assert "usernames" in json.dumps(body)


def test_names_one_per_line_warm_exactly_those_users(api, warmup_data, redis_client):
    users, _ = warmup_data
    run_id, state = _run(api, {"usernames": "user_10\nzoë_ünïcødé\n"})

    assert state == "success"
    assert cached_users(redis_client) == {n: users[n] for n in ("user_10", "zoë_ünïcødé")}
    shard_log = ""
    for _ in range(20):  # the worker's log may reach the api-server a moment after the run ends
        shard_log = api.task_log(run_id, "warm_shard", map_index=0)
        if "users warmed" in shard_log:
            break
        time.sleep(0.5)
    assert "users warmed" in shard_log and "Skipping masking" not in shard_log


def test_unknown_usernames_are_reported_and_the_known_ones_warmed(api, warmup_data, redis_client):
    users, _ = warmup_data
    run_id, state = _run(api, {"usernames": ["user_10", "nobody_11"]})

    assert state == "success"
    assert cached_users(redis_client) == {"user_10": users["user_10"]}
    summary = api.xcom(run_id, "summary")
    assert summary["users_warmed"] == 1
    assert summary["users_unknown"] == 1 and summary["usernames_unknown"] == ["nobody_11"]
    assert "nobody_11" in api.task_log(run_id, "plan")


@pytest.mark.parametrize(
    ("conf", "message"),
    [
        ({"unknown_param": 1}, "unknown param(s) unknown_param; known: usernames"),
        ({"username": ["user_10"]}, "unknown param(s) username (did you mean usernames?)"),
        ({"usernames": ["nobody_1", "nobody_2"]}, "none of these users exist: nobody_1, nobody_2"),
    ],
)
def test_a_typo_or_an_unknown_scope_fails_the_plan_and_warms_nobody(api, warmup_data, redis_client, conf, message):
    run_id, state = _run(api, conf)

    assert state == "failed"
    assert redis_client.dbsize() == 0
    assert message in api.task_log(run_id, "plan")
