"""roster from its wheel, not from the checkout: the wheel holds everything roster loads, and installed into a fresh
virtualenv outside the checkout (pinned by constraints.txt, no ``-e``) it works with nothing of the checkout on
``sys.path``: the README's "Install into your Airflow" commands run as written (plugin, pools, DAGs through the
bundle, db check, seed, warm, a job, ``airflow dags test``), and the api-server serves the Roster page.

The virtualenv is built once per module, from pip's cache: about 40 s; the whole module takes about two minutes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from conftest import MARIADB_URL, ROOT, TEST_DATABASE, free_port
from roster import __version__
from roster.dags import MODULES
from roster.sql import sql_names

WHEEL = f"roster-{__version__}-py3-none-any.whl"
PACKAGE = ROOT / "plugins" / "roster"
BUILT_FROM = ["pyproject.toml", "README.md", "LICENSE", "MANIFEST.in", "requirements.txt", "constraints.txt"]
DATABASE = f"{TEST_DATABASE}_wheel"
REDIS_DB = 11
DAG_IDS = {
    "roster_user_cache_warmup", "roster_user_cache_warmup_worker", "roster_job_queue", "roster_job_broker",
    "roster_job_maintenance", "roster_clear_finished_jobs", "roster_failed_jobs", "roster_cancel_jobs", "roster_health",
}  # fmt: skip
# How the code names its SQL files (roster.sql.sql_file / statement and the modules' small wrappers around them):
# (package folder whose modules say it that way, pattern, the file's name).
SQL_REFERENCES = [
    ("", r"""(?:sql_file|run_script)\((?:conn, )?"([\w/]+\.sql)\"""", "{}"),
    ("jobs", r"""\.(?:run|rows)\("(\w+)\"""", "jobs/{}.sql"),
    ("warmup", r"""\b(?:load|by_user_index)\("(\w+)\"""", "warmup/{}.sql"),
    ("monitor", r"""\b(?:_statement|_rows)\("(\w+)\"""", "monitor/{}.sql"),
]


def run(args: list[str], timeout: float, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kwargs)
    assert done.returncode == 0, f"{args[:4]} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built by ``python -m pip wheel --no-deps`` from a copy of what docker/Dockerfile builds it from
    (a build in the checkout would leave build/ there, whose stale files a later build would package)."""
    source = tmp_path_factory.mktemp("source")
    for name in BUILT_FROM:
        shutil.copy(ROOT / name, source)
    shutil.copytree(PACKAGE, source / "plugins" / "roster", ignore=shutil.ignore_patterns("__pycache__"))
    dist = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(source)], timeout=300)
    assert [path.name for path in dist.iterdir()] == [WHEEL]
    return dist / WHEEL


def test_the_image_builds_the_wheel_from_the_same_files():
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text()
    assert f"COPY --chown=airflow:root {' '.join(BUILT_FROM)} /opt/roster/src/\n" in dockerfile
    assert "COPY --chown=airflow:root plugins/roster /opt/roster/src/plugins/roster\n" in dockerfile


def referenced_sql_files() -> set[str]:
    names = set()
    for folder, pattern, name in SQL_REFERENCES:
        for module in (PACKAGE / folder).rglob("*.py"):
            names.update(name.format(found) for found in re.findall(pattern, module.read_text(encoding="utf-8")))
    return names


def test_the_wheel_holds_every_sql_file_the_code_loads(wheel):
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = {name.removeprefix("roster/sql/") for name in archive.namelist() if name.endswith(".sql")}
    assert in_wheel == set(sql_names())  # the package's sql directory, file for file
    referenced = referenced_sql_files()
    assert len(referenced) >= 50, sorted(referenced)  # the patterns still find how the code names its files
    assert referenced <= in_wheel, sorted(referenced - in_wheel)


def test_the_wheel_holds_pools_dags_page_and_plugin_entry_point(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        dist_info = f"roster-{__version__}.dist-info"
        entry_points = archive.read(f"{dist_info}/entry_points.txt").decode()
        metadata = archive.read(f"{dist_info}/METADATA").decode()
    expected = {"roster/pools.json", "roster/plugin.py", "roster/dags/.airflowignore", "roster/ui/static/index.html",
                "roster/ui/static/chart.umd.min.js", "roster/ui/static/chart.js-LICENSE.md"}  # Chart.js, vendored
    assert expected | {f"roster/dags/{module}.py" for module in MODULES} <= names
    assert not [name for name in names if not name.startswith(("roster/", dist_info))]
    assert re.search(r"^\[airflow\.plugins\]\nroster = roster\.plugin:RosterPlugin$", entry_points, re.M)
    assert re.search(r"^roster = roster\.cli:main$", entry_points, re.M)
    for line in ("License-Expression: Apache-2.0", "Classifier: Framework :: Apache Airflow",
                 "Requires-Dist: apache-airflow<3.4,>=3.3", "Requires-Python: <3.12,>=3.11"):  # fmt: skip
        assert line in metadata.splitlines(), line


@dataclass
class Installed:
    folder: Path  # the temporary folder: the virtualenv, AIRFLOW_HOME and the working directory
    env: dict[str, str]

    @property
    def bin(self) -> Path:
        return self.folder / "venv" / "bin"

    def run(self, *args: str, timeout: float = 300) -> str:
        return run([str(self.bin / args[0]), *args[1:]], timeout=timeout, cwd=self.folder / "work", env=self.env).stdout


def _database(action: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(MARIADB_URL + "/")
    with admin.begin() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {DATABASE}"))
        if action == "create":
            conn.execute(text(f"CREATE DATABASE {DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"))
    admin.dispose()


@pytest.fixture(scope="module")
def installed(wheel):
    """A fresh virtualenv in a temporary folder outside the checkout holding "your Airflow" (apache-airflow from
    constraints.txt, its metadata database migrated) and, beside it, the wheel and constraints.txt as the README's
    commands expect them; an empty roster database of its own and Redis db 11."""
    folder = Path(tempfile.mkdtemp(prefix="roster-wheel-"))
    assert not folder.is_relative_to(ROOT)
    (folder / "work").mkdir()
    shutil.copy(wheel, folder / "work")
    shutil.copy(ROOT / "constraints.txt", folder / "work")
    started = time.monotonic()
    run([sys.executable, "-m", "venv", str(folder / "venv")], timeout=120)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "ROSTER_", "PYTHON", "VIRTUAL_ENV"))}
    redis_url = os.environ["AIRFLOW_CONN_ROSTER_REDIS"].split("?", 1)[0].rstrip("/")
    env = {
        **base,
        "PATH": f"{folder / 'venv' / 'bin'}:{base.get('PATH', '/usr/bin:/bin')}",
        "AIRFLOW_HOME": str(folder / "airflow"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW_CONN_ROSTER_DB": f"{MARIADB_URL}/{DATABASE}",
        "AIRFLOW_CONN_ROSTER_REDIS": f"{redis_url}/{REDIS_DB}",
    }
    ready = Installed(folder, env)
    ready.run("pip", "install", "-q", "apache-airflow==3.3.2", "-c", "constraints.txt", timeout=900)
    ready.run("airflow", "db", "migrate")
    print(f"\nwheel test: virtualenv with Airflow ready in {time.monotonic() - started:.0f} s", file=sys.stderr)
    _database("create")
    cache = redis.Redis.from_url(env["AIRFLOW_CONN_ROSTER_REDIS"])
    cache.flushdb()
    yield ready
    cache.flushdb()
    cache.close()
    _database("drop")
    shutil.rmtree(folder, ignore_errors=True)


def install_roster(installed: Installed) -> None:
    """The README's install command, for a test that runs without the README's (a no-op after it)."""
    installed.run("pip", "install", "-q", WHEEL, "-c", "constraints.txt", timeout=900)


def readme_install_commands() -> list[str]:
    """The command lines of README.md's "Install into your Airflow" section, in order."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Install into your Airflow\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```sh\n(.*?)^```$", section, re.M | re.S)
    return [line for block in blocks for line in block.splitlines() if line.strip() and not line.startswith("#")]


# What each README command must show (found in its output: stdout and stderr), beyond exiting 0.
EXPECTED = {
    "roster --version": [rf"^roster {re.escape(__version__)}$"],
    "roster pools --import": [r"imported pools: roster_cache_warmup, roster_jobs_urgent, roster_jobs_all"],
    "airflow plugins": [r"^roster\s+\|", r"roster\.plugin:RosterPlugin"],
    "airflow dags list": [rf"^{dag_id}\s+\|\s+\S+/site-packages/roster/dags/" for dag_id in DAG_IDS],
    "roster db check --apply": [r"have every column the warmup reads", r"^created: ALTER TABLE assignments ADD INDEX"],
    "roster seed": [r'"users": 100'],
    "roster warm": [r'"users_warmed": 100', r'"users_failed": 0'],
    "roster jobs publish": [r"^\d+$"],
    "roster jobs process": [r'"claimed": 1', r'"finished": 1'],
    "airflow dags test roster_user_cache_warmup": [r"state=success", r"warmed 100 users"],
}


def run_readme_commands(installed: Installed, commands: list[str]) -> list[str]:
    """Run the commands as one bash script (an ``export`` holds for those after it), in the working folder;
    each command's output."""
    script = ["set -euo pipefail", "exec 2>&1"]
    for index, command in enumerate(commands):
        script += [f"echo '@@step {index}'", command]
    done = subprocess.run(["bash", "-c", "\n".join(script)], capture_output=True, text=True, timeout=1200,
                          cwd=installed.folder / "work", env=installed.env)  # fmt: skip
    outputs = re.split(r"^@@step \d+\n", done.stdout, flags=re.M)[1:]
    failed = commands[len(outputs) - 1] if outputs else commands[0]
    assert done.returncode == 0, f"README command failed: {failed}\n{(outputs or [done.stdout])[-1][-4000:]}"
    return outputs


def test_the_readme_install_commands_run_as_written(installed):
    commands = readme_install_commands()
    assert commands[0] == f"pip install {WHEEL} -c constraints.txt"
    assert {prefix for prefix in EXPECTED if any(c.startswith(prefix) for c in commands)} == set(EXPECTED)
    started = time.monotonic()
    outputs = run_readme_commands(installed, commands)
    print(f"\nwheel test: README commands ran in {time.monotonic() - started:.0f} s", file=sys.stderr)
    for command, output in zip(commands, outputs, strict=True):
        for prefix, patterns in EXPECTED.items():
            if command.startswith(prefix):
                for pattern in patterns:
                    assert re.search(pattern, output, re.M), f"{command}: no {pattern!r} in\n{output[-3000:]}"


def test_nothing_of_the_checkout_is_on_sys_path(installed):
    probe = "import json, sys, roster, roster.plugin; print(json.dumps([roster.__file__, sys.path]))"
    install_roster(installed)
    roster_file, path = json.loads(installed.run("python", "-c", probe))
    assert roster_file.startswith(str(installed.folder / "venv")) and "site-packages" in roster_file
    assert not [entry for entry in path if entry.startswith(str(ROOT))], path
    assert str(ROOT) not in installed.run("python", "-m", "pip", "show", "-f", "roster")


def _get(url: str, token: str | None = None) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def _wait_for(url: str, server: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, f"api-server exited ({server.returncode}):\n{log.read_text()[-3000:]}"
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"api-server not answering on {url} after {timeout} s:\n{log.read_text()[-3000:]}")


def test_the_api_server_serves_the_roster_page(installed):
    install_roster(installed)
    port = free_port()
    passwords = installed.folder / "passwords.json"
    passwords.write_text(json.dumps({"admin": "wheel-test-password"}))
    env = {**installed.env, "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
           "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords)}  # fmt: skip
    log = installed.folder / "api-server.log"
    with open(log, "wb") as out:
        server = subprocess.Popen([str(installed.bin / "airflow"), "api-server", "--host", "127.0.0.1", "--port",
                                   str(port)], cwd=installed.folder / "work", env=env, stdout=out, stderr=out)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{base}/api/v2/version", server, log)
        login = urllib.request.Request(f"{base}/auth/token", method="POST", headers={"Content-Type": "application/json"},
                                       data=json.dumps({"username": "admin", "password": "wheel-test-password"}).encode())  # fmt: skip
        with urllib.request.urlopen(login, timeout=10) as response:
            token = json.load(response)["access_token"]
        status, page = _get(f"{base}/roster/", token)
        assert status == 200 and "<title>Roster</title>" in page
        assert _get(f"{base}/roster/")[0] == 401
        status, body = _get(f"{base}/api/v2/plugins", token)
        assert status == 200 and [p["name"] for p in json.loads(body)["plugins"]] == ["roster"]
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
