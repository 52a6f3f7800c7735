"""Test session set-up: a private AIRFLOW_HOME, and the real services the code talks to.

MariaDB (127.0.0.1:3306) and Redis (127.0.0.1:6379) must be running (``make test`` starts them); a moto SQS
server is started here on a free loopback port and spoken to over HTTP, as botocore would speak to AWS.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MARIADB_URL = os.environ.get("ROSTER_TEST_MARIADB", "mysql://root@127.0.0.1:3306")
REDIS_URL = os.environ.get("ROSTER_TEST_REDIS", "redis://127.0.0.1:6379/9")
TEST_DATABASE = os.environ.get("ROSTER_TEST_DATABASE", "roster_test")  # a parallel run needs its own

_AIRFLOW_HOME = Path(os.environ.get("ROSTER_TEST_AIRFLOW_HOME", Path(tempfile.gettempdir()) / "roster-test-airflow"))


def pytest_configure(config) -> None:
    """The test session's environment, set before any test module is collected: Airflow reads its configuration
    when first imported, so everything here must be in place before that. Consumer subprocesses import the test
    callbacks (tests.jobs.callbacks) too."""
    os.environ.update(
        {
            "AIRFLOW_HOME": str(_AIRFLOW_HOME),
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__UNIT_TEST_MODE": "True",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{_AIRFLOW_HOME}/airflow.db",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "AIRFLOW_CONN_ROSTER_DB": f"{MARIADB_URL}/{TEST_DATABASE}",
            "AIRFLOW_CONN_ROSTER_REDIS": REDIS_URL.rsplit("/", 1)[0] + "/?db=" + REDIS_URL.rsplit("/", 1)[1],
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "ROSTER_BROKER_IDLE_WAIT": "1",  # roster_job_broker's lanes run one after the other under dag.test()
            "ROSTER_JOB_MODULES": "tests.jobs.callbacks",
            "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
        }
    )
    for name in ("ROSTER_CACHE_KEY_PREFIX", "ROSTER_WARMUP_QUEUE_URL", "ROSTER_JOBS_QUEUE_URL"):
        os.environ.pop(name, None)


ROSTER = str(Path(sys.executable).with_name("roster"))


def run_roster(*args: str) -> subprocess.CompletedProcess:
    """The ``roster`` command as a user runs it: not in Airflow's unit test mode, which logs to stdout while
    Airflow is imported."""
    env = {k: v for k, v in os.environ.items() if k != "AIRFLOW__CORE__UNIT_TEST_MODE"}
    return subprocess.run([ROSTER, *args], capture_output=True, text=True, timeout=300, env=env)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def parse_dags(path: Path = ROOT / "dags"):
    """A DagBag of ``path`` (a folder or one file) parsed anew. The checkout's DAG files import their DAGs from
    the package's ``roster.dags`` modules, which a process imports once: those are forgotten first, so each parse
    builds new DAG objects and reads the environment again, as the DAG processor's parse in a fresh process does."""
    from airflow.dag_processing.dagbag import DagBag

    for name in [name for name in sys.modules if name.startswith("roster.dags.")]:
        del sys.modules[name]
    return DagBag(str(path))


@pytest.fixture(scope="session")
def airflow_db():
    """A migrated Airflow metadata database (SQLite) for ``dag.test()``."""
    _AIRFLOW_HOME.mkdir(parents=True, exist_ok=True)
    airflow = str(Path(sys.executable).with_name("airflow"))
    subprocess.run([airflow, "db", "migrate"], check=True, capture_output=True, timeout=300)
    pools = ROOT / "plugins" / "roster" / "pools.json"
    if pools.exists():
        subprocess.run([airflow, "pools", "import", str(pools)], check=True, capture_output=True, timeout=120)
    return _AIRFLOW_HOME


@pytest.fixture(scope="session")
def mariadb_engine():
    """An engine on a fresh ``roster_test`` database in the local MariaDB, through the roster_db connection."""
    from sqlalchemy import create_engine, text

    admin = create_engine(MARIADB_URL + "/", connect_args={"charset": "utf8mb4"})
    with admin.begin() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {TEST_DATABASE}"))
        conn.execute(text(f"CREATE DATABASE {TEST_DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"))
    admin.dispose()
    from roster.db import engine_for

    engine = engine_for("roster_db")
    yield engine
    engine.dispose()


@pytest.fixture
def maria(mariadb_engine):
    """MariaDB with an empty job queue (tests.jobs.conftest.reset): for consumers in separate processes racing on
    row locks, sensors, triggers and the job DAGs."""
    from tests.jobs.conftest import reset

    return reset(mariadb_engine)


@pytest.fixture
def redis_client():
    """The test Redis database (db 9), emptied before each test."""
    from airflow.providers.redis.hooks.redis import RedisHook

    client = RedisHook(redis_conn_id="roster_redis").get_conn()
    client.flushdb()
    yield client
    client.close()


@pytest.fixture(scope="session")
def sqs_endpoint():
    """A moto SQS server on a free loopback port; the ``roster_sqs`` connection points at it."""
    from tests.standalone import start_moto

    proc, endpoint = start_moto(Path(tempfile.mkdtemp(prefix="roster-moto-")) / "moto.log")
    os.environ["AIRFLOW_CONN_ROSTER_SQS"] = (
        f"aws://testing:testing@/?region_name=us-east-1&endpoint_url={endpoint.replace(':', '%3A').replace('/', '%2F')}"
    )
    yield endpoint
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def sqs_client(sqs_endpoint):
    import boto3

    return boto3.client("sqs", endpoint_url=sqs_endpoint, region_name="us-east-1")


def queue_named_by(sqs_client, monkeypatch, variable: str, prefix: str):
    """A fresh SQS queue whose URL the environment variable ``variable`` holds for one test; deleted after it.
    A generator, for a fixture to ``yield from``."""
    import uuid

    url = sqs_client.create_queue(QueueName=f"{prefix}-{uuid.uuid4().hex}")["QueueUrl"]
    monkeypatch.setenv(variable, url)
    yield url
    sqs_client.delete_queue(QueueUrl=url)


from app_database import app_database  # noqa: E402,F401 - a fixture, shared by tests/warmup and tests/dags


@pytest.fixture(scope="session")
def private_redis(tmp_path_factory):
    """A redis-server of this session only (plain and TLS ports) with an ACL user that may not run INFO."""
    import secrets

    from redis_servers import start_tls_server

    password = "acl-" + secrets.token_hex(8)
    server = start_tls_server(
        tmp_path_factory.mktemp("redis-private"), "--user", "roster_acl", "on", f">{password}", "~*", "&*", "+@all", "-info"
    )
    server.acl_user, server.acl_password = "roster_acl", password
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory):
    """A Redis Cluster of three masters on free loopback ports, for this session only."""
    from redis_servers import start_cluster

    cluster = start_cluster(tmp_path_factory.mktemp("redis-cluster"))
    yield cluster
    cluster.stop()
