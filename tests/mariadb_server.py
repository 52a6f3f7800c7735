"""A private mariadbd of one test (own datadir, socket and free loopback port) that the test may stop and restart;
the shared MariaDB on 3306 is never touched."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from conftest import free_port

START_TIMEOUT = 60


class PrivateMariaDB:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.datadir = directory / "data"
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"mysql://root@127.0.0.1:{self.port}/roster_faults"

    def install(self) -> PrivateMariaDB:
        self.directory.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["mariadb-install-db", "--no-defaults", f"--datadir={self.datadir}", "--user=root",
             "--auth-root-authentication-method=normal", "--skip-test-db"],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        return self

    def start(self) -> float:
        """Start the server; seconds until it answers."""
        started = time.monotonic()
        self.process = subprocess.Popen(
            ["mariadbd", "--no-defaults", f"--datadir={self.datadir}", f"--port={self.port}",
             "--bind-address=127.0.0.1", f"--socket={self.directory / 'mysqld.sock'}", "--user=root",
             f"--pid-file={self.directory / 'mysqld.pid'}", f"--log-error={self.directory / 'error.log'}",
             "--skip-grant-tables", "--skip-name-resolve", "--innodb-buffer-pool-size=64M",
             "--innodb-log-file-size=16M", "--innodb-flush-log-at-trx-commit=2", "--max-connections=200"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        while time.monotonic() - started < START_TIMEOUT:
            if self.process.poll() is not None:
                raise RuntimeError(f"private mariadbd exited: {self.log_tail()}")
            if self._answers():
                return time.monotonic() - started
            time.sleep(0.1)
        raise RuntimeError(f"private mariadbd on port {self.port} did not answer: {self.log_tail()}")

    def _answers(self) -> bool:
        probe = subprocess.run(
            ["mariadb", "-h127.0.0.1", f"-P{self.port}", "-uroot", "-e",
             "CREATE DATABASE IF NOT EXISTS roster_faults CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"],
            capture_output=True, timeout=10,
        )  # fmt: skip
        return probe.returncode == 0

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)
        self.process = None

    def log_tail(self) -> str:
        log = self.directory / "error.log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else ""

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)
