"""A real CeleryExecutor cluster for tests and benchmarks: ``scripts/cluster.sh`` (make cluster) in a temporary
home, on free loopback ports, with its own PostgreSQL metadata database (dropped afterwards). The life cycle is
StandaloneAirflow's: every wait bounded, stopped on leaving the block (an exception or SIGTERM too), and the script
watches this process (``CLUSTER_WATCH_PID``), so the cluster never outlives it.

    with Cluster(home, database, env={...}) as cluster:
        cluster.cli("pools", "set", "roster_cache_warmup", "4", "test")
        cluster.metadata()  # an engine on the metadata database: task instances, their hostname, XComs
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from sqlalchemy import create_engine

from tests.standalone import StandaloneAirflow


class Cluster(StandaloneAirflow):
    """``scripts/cluster.sh`` with CLUSTER_HOME=``home``; ``env`` is added to a clean environment.

    :param database: the PostgreSQL metadata database (a name only this run uses)
    """

    script = "cluster.sh"

    def __init__(self, home: Path, database: str, env: dict[str, str] | None = None, ready_timeout: float = 300):
        super().__init__(home, ready_timeout=ready_timeout)
        for name in ("STANDALONE_HOME", "STANDALONE_WATCH_PID", "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"):
            del self.env[name]  # each worker gets a log server port of its own from the script
        self.env.update(
            {"CLUSTER_HOME": str(self.home), "CLUSTER_WATCH_PID": str(os.getpid()), "AIRFLOW_DB_NAME": database}
        )
        self.env.update(env or {})
        self.database = database
        self.log_path = self.home / "cluster.log"
        self._metadata = None

    def start(self) -> subprocess.Popen:
        _drop_database(self.database)  # left over by an interrupted run of the same name
        return super().start()

    def __exit__(self, *exc) -> None:
        try:
            self.stop()
        finally:
            super().__exit__(*exc)
            _drop_database(self.database)

    def stop(self) -> None:
        """SIGTERM to the script (as `make cluster-stop` sends): it stops every process it started."""
        if self._metadata is not None:
            self._metadata.dispose()
            self._metadata = None
        if self.process is not None:
            self._stop(self.process)

    def _wait_ready(self) -> None:
        """Until the script says ``cluster: ready`` (healthy scheduler, triggerer, dag-processor; workers up)."""
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"cluster.sh exited ({self.process.returncode}):\n{self.log_tail()}")
            if "cluster: ready" in self.log_path.read_text(errors="replace"):
                return
            time.sleep(1)
        raise TimeoutError(f"cluster not ready after {self.ready_timeout:.0f} s:\n{self.log_tail()}")

    def pids(self) -> dict[str, int]:
        """name → pid of every process the script started (its pids file)."""
        try:
            lines = (self.home / "pids").read_text().splitlines()
        except FileNotFoundError:
            return {}
        return {name: int(pid) for name, pid in (line.split() for line in lines if line.strip())}

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
