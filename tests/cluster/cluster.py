"""A real CeleryExecutor cluster for tests and benchmarks: ``scripts/cluster.sh`` (make cluster) in a temporary
home, on free loopback ports, with its own PostgreSQL metadata database (dropped afterwards).

    with Cluster(home, env={...}) as cluster:
        cluster.cli("pools", "set", "roster_cache_warmup", "4", "test")
        cluster.metadata()  # an engine on the metadata database: task instances, their hostname, XComs

Every wait is bounded; on exit the script stops every process it started, by pid.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import time
from pathlib import Path

from sqlalchemy import create_engine

from tests.standalone import free_port

ROOT = Path(__file__).resolve().parents[2]


class Cluster:
    """``scripts/cluster.sh`` with CLUSTER_HOME=``home``; ``env`` is added to a clean environment.

    :param database: the PostgreSQL metadata database (a name only this run uses)
    """

    def __init__(self, home: Path, database: str, env: dict[str, str] | None = None, ready_timeout: float = 300):
        self.home = Path(home)
        self.database = database
        self.port = free_port()
        self.ready_timeout = ready_timeout
        base = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "ROSTER_"))}
        self.env = {
            **base,
            "CLUSTER_HOME": str(self.home),
            "AIRFLOW_PORT": str(self.port),
            "AIRFLOW_DB_NAME": database,
            "ROSTER_UNPAUSE": "",
            "AIRFLOW__CORE__MIN_SERIALIZED_DAG_UPDATE_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
            "CLUSTER_WATCH_PID": str(os.getpid()),  # the cluster never outlives this process, however it ends
            **(env or {}),
        }
        self.process: subprocess.Popen | None = None
        self.log_path = self.home / "cluster.log"
        self._metadata = None

    def start(self) -> subprocess.Popen:
        """Start the script (without waiting for the cluster to be ready)."""
        self.home.mkdir(parents=True, exist_ok=True)
        _drop_database(self.database)  # left over by an interrupted run of the same name
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                ["bash", str(ROOT / "scripts" / "cluster.sh")], env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True, cwd=ROOT,
            )  # fmt: skip
        return self.process

    def __enter__(self) -> Cluster:
        self.start()
        try:
            self._wait_ready()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
        _drop_database(self.database)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop the script with ``sig`` (SIGTERM as `cluster.sh stop` sends, SIGINT as Ctrl-C); it stops the rest."""
        if self._metadata is not None:
            self._metadata.dispose()
            self._metadata = None
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=90)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.process = None

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"cluster.sh exited ({self.process.returncode}):\n{self.log_tail()}")
            if "cluster: ready" in self.log_path.read_text(errors="replace"):
                return
            time.sleep(1)
        raise TimeoutError(f"cluster not ready after {self.ready_timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def pids(self) -> dict[str, int]:
        """name → pid of every process the script started (its pids file)."""
        try:
            lines = (self.home / "pids").read_text().splitlines()
        except FileNotFoundError:
            return {}
        return {name: int(pid) for name, pid in (line.split() for line in lines if line.strip())}

    def cli(self, *args: str, timeout: float = 120) -> str:
        """``airflow ARGS`` against this cluster (the environment the script wrote to env.sh); returns stdout."""
        command = f". {self.home / 'env.sh'} && exec airflow {shlex.join(args)}"
        result = subprocess.run(["bash", "-c", command], env=self.env, capture_output=True, text=True, timeout=timeout)
        if result.returncode:
            raise RuntimeError(f"airflow {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-3000:]}")
        return result.stdout

    def metadata(self):
        """An engine on the cluster's metadata database."""
        if self._metadata is None:
            self._metadata = create_engine(f"postgresql+psycopg2://airflow:airflow@127.0.0.1:5432/{self.database}")
        return self._metadata


def _drop_database(name: str) -> None:
    subprocess.run(
        ["runuser", "-u", "postgres", "--", "psql", "-X", "-q", "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
        capture_output=True, timeout=60, check=True,
    )  # fmt: skip
