"""docker-compose.yaml (for users with Docker; no engine runs here): everything it refers to is defined."""

from __future__ import annotations

import os
import re
from urllib.parse import parse_qs, unquote, urlparse

import pytest
import yaml
from dotenv import dotenv_values

from conftest import ROOT

REQUIRED_SERVICES = {
    "postgres", "redis", "roster-mysql", "roster-redis", "elasticmq", "airflow-apiserver", "airflow-scheduler",
    "airflow-dag-processor", "airflow-worker", "airflow-triggerer", "airflow-init",
}  # fmt: skip
# Created by airflow-init or at run time, and kept out of git.
RUNTIME_DIRS = {"./logs", "./config"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yaml").read_text())


def test_required_services_exist(compose):
    assert REQUIRED_SERVICES <= set(compose["services"])


def test_every_service_dependency_is_defined(compose):
    services = compose["services"]
    for name, service in services.items():
        depends_on = service.get("depends_on", {})
        for dependency in depends_on if isinstance(depends_on, list) else depends_on.keys():
            assert dependency in services, f"{name} depends on undefined service {dependency}"


def test_every_named_volume_and_bind_mount_exists(compose):
    named = set(compose.get("volumes") or {})
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert source in RUNTIME_DIRS or (ROOT / source).exists(), f"{name} mounts missing {source}"
            else:
                assert source in named, f"{name} uses undeclared volume {source}"


def test_build_context_and_env_files_exist(compose):
    for name, service in compose["services"].items():
        build = service.get("build")
        if build:
            assert (ROOT / build["context"] / build["dockerfile"]).is_file(), name
        for env_file in service.get("env_file", []):
            path = env_file["path"] if isinstance(env_file, dict) else env_file
            optional = isinstance(env_file, dict) and env_file.get("required") is False
            assert optional or (ROOT / path).is_file(), f"{name} needs env file {path}"
    # The optional .env is documented by an example holding every variable the compose file interpolates.
    example = (ROOT / ".env.example").read_text()
    used = set(re.findall(r"(?<!\$)\$\{(\w+)", (ROOT / "docker-compose.yaml").read_text()))
    assert used <= set(re.findall(r"^(\w+)=", example, re.M))


def airflow_env(**addresses: str) -> dict[str, str]:
    """airflow.env as a launcher sees it: Compose with its defaults, or cluster.sh with local ``addresses``."""
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.endswith("_ADDRESS") or k == "ROSTER_MYSQL_PASSWORD"}
    try:
        os.environ.update(addresses)
        return dict(dotenv_values(ROOT / "airflow.env"))
    finally:
        for name in addresses:
            os.environ.pop(name, None)
        os.environ.update(saved)


def test_roster_connections_point_at_defined_services(compose):
    env = airflow_env()
    services = set(compose["services"])
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    for name in ("AIRFLOW_CONN_ROSTER_DB", "AIRFLOW_CONN_ROSTER_REDIS", "AIRFLOW_CONN_ROSTER_SQS"):
        assert name in env
    assert urlparse(env["AIRFLOW_CONN_ROSTER_DB"]).hostname == "roster-mysql"
    assert urlparse(env["AIRFLOW_CONN_ROSTER_REDIS"]).hostname == "roster-redis"
    endpoint = unquote(parse_qs(urlparse(env["AIRFLOW_CONN_ROSTER_SQS"]).query)["endpoint_url"][0])
    assert urlparse(endpoint).hostname in services
    conf = (ROOT / "docker" / "elasticmq.conf").read_text()
    for name in ("ROSTER_WARMUP_QUEUE_URL", "ROSTER_JOBS_QUEUE_URL"):
        url = urlparse(env[name])
        assert url.hostname in services
        queue = url.path.rsplit("/", 1)[-1]
        assert re.search(rf"^\s*{re.escape(queue)}\s*\{{", conf, re.M), f"{queue} is not created by elasticmq.conf"
    for name in ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__CELERY__RESULT_BACKEND", "AIRFLOW__CELERY__BROKER_URL",
                 "AIRFLOW__CORE__EXECUTION_API_SERVER_URL"):  # fmt: skip
        assert urlparse(env[name]).hostname in services, name


# Where each compose service listens, and where scripts/cluster.sh runs it instead (roster-redis before redis).
LOCAL_ADDRESSES = {
    "ROSTER_REDIS_ADDRESS": ("roster-redis:6379", "127.0.0.1:6379"),
    "AIRFLOW_DB_ADDRESS": ("postgres:5432", "127.0.0.1:5432"),
    "CELERY_BROKER_ADDRESS": ("redis:6379", "127.0.0.1:6390"),
    "AIRFLOW_API_ADDRESS": ("airflow-apiserver:8080", "127.0.0.1:8080"),
    "ROSTER_DB_ADDRESS": ("roster-mysql:3306", "127.0.0.1:3306"),
    "SQS_ADDRESS": ("elasticmq:9324", "127.0.0.1:9324"),
}


def test_only_addresses_differ_between_compose_and_make_cluster():
    compose_env = airflow_env()
    local = airflow_env(**{name: address for name, (_, address) in LOCAL_ADDRESSES.items()})
    assert local.keys() == compose_env.keys()
    for name, value in compose_env.items():
        for service, address in LOCAL_ADDRESSES.values():
            value = value.replace(service, address)
        assert local[name] == value, name
    assert "CeleryExecutor" == local["AIRFLOW__CORE__EXECUTOR"]


def test_init_imports_the_pools_of_the_installed_package(compose):
    command = "\n".join(compose["services"]["airflow-init"]["command"])
    assert re.search(r"\broster pools --import\b", command)
    assert "airflow pools import" not in command and "PYTHONPATH" not in command


def test_no_service_mounts_roster_source(compose):
    """roster runs from the wheel installed in the image: only run-time folders (and elasticmq's own config) are
    mounted, never dags/, plugins/ or anything else of the checkout."""
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                allowed = RUNTIME_DIRS | ({"./docker/elasticmq.conf"} if name == "elasticmq" else set())
                assert source in allowed, f"{name} mounts {source}"


def test_the_image_installs_the_wheel_with_constraints():
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text()
    assert re.search(r"^RUN pip wheel .*--no-deps", dockerfile, re.M)
    install = re.search(r"^RUN pip install (.*?)(?:\n(?!\s)|\Z)", dockerfile, re.M | re.S).group(1)
    assert "roster-*.whl" in install and "-c /opt/roster/constraints.txt" in install and "-e " not in install
    assert "roster dags write /opt/airflow/dags" in dockerfile
    copied = " ".join(re.findall(r"^COPY (.*)$", dockerfile, re.M))
    assert "dags" not in copied.split("--from")[0]  # the DAGs come from the wheel


def test_every_airflow_service_reads_airflow_env_and_overrides_none_of_it(compose):
    shared = set(airflow_env())
    for name, service in compose["services"].items():
        if name.startswith("airflow-") or name == "flower":
            env_files = [f["path"] if isinstance(f, dict) else f for f in service.get("env_file", [])]
            assert env_files[0] == "airflow.env", name
            assert not shared & set(service.get("environment", {})), f"{name} overrides airflow.env"
