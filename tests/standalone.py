"""A real Airflow for tests and benchmarks: ``scripts/standalone.sh`` (``airflow standalone``: scheduler with the
LocalExecutor, dag-processor, triggerer, api-server) in a temporary home, on free loopback ports.

    with StandaloneAirflow(home, env={...}) as airflow:
        airflow.cli("pools", "set", "roster_jobs_all", "1", "test")

Every wait is bounded. The script and everything it started (Airflow's process groups, moto) never outlive the
caller: on leaving the block, by an exception too, the script's process group is sent SIGTERM and the script stops
Airflow's group and moto; a SIGTERM to the caller is raised as :class:`Terminated` (a KeyboardInterrupt, like
Ctrl-C's SIGINT) while the block runs, so the block is left the same way; and the script watches the caller's pid
(``STANDALONE_WATCH_PID``), so even a caller killed with SIGKILL leaves nothing running for more than a second.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
STOP_TIMEOUT = 60  # seconds for the script to stop Airflow (it gives Airflow 20 s, then SIGKILL)


class Terminated(KeyboardInterrupt):
    """SIGTERM received by the caller while a StandaloneAirflow block runs: leave the block, stopping Airflow."""


def _raise_terminated(signum, frame):
    raise Terminated(f"signal {signum}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_moto(log_path: Path) -> tuple[subprocess.Popen, str]:
    """A moto SQS server on a free loopback port, logging to ``log_path``: (process, endpoint URL)."""
    import sys

    port = free_port()
    log = open(log_path, "wb")
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=log, stderr=log)  # fmt: skip
    log.close()  # the server holds its own copy
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"moto SQS server did not start on 127.0.0.1:{port} (log: {log_path})")


class StandaloneAirflow:
    """``scripts/standalone.sh`` with STANDALONE_HOME=``home``; ``env`` is added to a clean environment.

    :param unpause: DAG ids the script unpauses (default: none, the caller decides)
    """

    def __init__(self, home: Path, env: dict[str, str] | None = None, unpause: str = "", ready_timeout: float = 240):
        self.home = Path(home)
        self.port = free_port()
        self.ready_timeout = ready_timeout
        base = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "ROSTER_"))}
        self.env = {
            **base,
            "STANDALONE_HOME": str(self.home),
            "AIRFLOW_PORT": str(self.port),
            "ROSTER_UNPAUSE": unpause,
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__CORE__MIN_SERIALIZED_DAG_UPDATE_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
            "STANDALONE_WATCH_PID": str(os.getpid()),
            **(env or {}),
        }
        self.process: subprocess.Popen | None = None
        self._previous_sigterm: Any = None
        self.log_path = self.home / "standalone.log"

    script = "standalone.sh"  # under scripts/

    def start(self) -> subprocess.Popen:
        """Start the script, without waiting for Airflow to be ready (``with`` does both)."""
        self.home.mkdir(parents=True, exist_ok=True)
        if threading.current_thread() is threading.main_thread():
            self._previous_sigterm = signal.signal(signal.SIGTERM, _raise_terminated)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                ["bash", str(ROOT / "scripts" / self.script)], env=self.env, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT,
            )  # fmt: skip
        return self.process

    def __enter__(self) -> StandaloneAirflow:
        self.start()
        try:
            self._wait_ready()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        try:
            if self.process is not None:
                self._stop(self.process)
        finally:
            self.process = None
            if self._previous_sigterm is not None:
                signal.signal(signal.SIGTERM, self._previous_sigterm)
                self._previous_sigterm = None

    @staticmethod
    def _stop(process: subprocess.Popen) -> None:
        """SIGTERM to the script's process group (the script, moto, a set-up step): the script then stops the
        process group it runs Airflow in. A second signal meanwhile does not cut this short."""
        with _signals_held():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    def _wait_ready(self) -> None:
        """Until the api-server reports a healthy scheduler, triggerer and dag-processor."""
        deadline = time.monotonic() + self.ready_timeout
        url = f"http://127.0.0.1:{self.port}/api/v2/monitor/health"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"standalone.sh exited ({self.process.returncode}):\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    health = json.load(response)
                if all(health.get(c, {}).get("status") == "healthy" for c in ("scheduler", "triggerer", "dag_processor")):
                    return
            except (OSError, ValueError):
                pass
            time.sleep(1)
        raise TimeoutError(f"Airflow standalone not healthy after {self.ready_timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def cli(self, *args: str, timeout: float = 120) -> str:
        """``airflow ARGS`` against this Airflow (the environment the script wrote to env.sh); returns stdout."""
        command = f". {self.home / 'env.sh'} && exec airflow " + " ".join(_quote(a) for a in args)
        result = subprocess.run(["bash", "-c", command], env=self.env, capture_output=True, text=True, timeout=timeout)
        if result.returncode:
            raise RuntimeError(f"airflow {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-3000:]}")
        return result.stdout

    def environment(self) -> dict[str, str]:
        """The environment the script wrote to ``env.sh`` (connections, queue URLs, Airflow settings)."""
        out = subprocess.run(
            ["bash", "-c", f". {self.home / 'env.sh'} && env -0"], env=self.env, capture_output=True, timeout=30,
            check=True,
        ).stdout.decode()  # fmt: skip
        return dict(item.split("=", 1) for item in out.split("\0") if "=" in item)

    def wait_until(self, condition, timeout: float, what: str) -> None:
        """Until ``condition()`` is true, polling every 0.5 s; after ``timeout`` s, an AssertionError naming
        ``what`` with the end of Airflow's log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.5)
        raise AssertionError(f"{what}: not within {timeout:.0f} s\n{self.log_tail()}")

    def runs(self, dag_id: str) -> list[dict]:
        """The DAG's runs, newest first (``airflow dags list-runs -o json``)."""
        return self.cli_json("dags", "list-runs", dag_id, "-o", "json")

    def cli_json(self, *args: str) -> list:
        """``airflow ARGS -o json``: its JSON line (warnings may come before it on stdout)."""
        lines = [line for line in self.cli(*args).splitlines() if line.startswith(("[{", "[]"))]
        return json.loads(lines[-1]) if lines else []


@contextlib.contextmanager
def _signals_held():
    """SIGTERM and SIGINT ignored for the block (main thread only): stopping must not be interrupted halfway."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _quote(arg: str) -> str:
    import shlex

    return shlex.quote(arg)
