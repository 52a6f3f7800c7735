"""A standalone Airflow started by a test or a bench never outlives its caller (issue 15): after an exception,
a SIGTERM or a SIGINT in the caller, ``scripts/standalone.sh`` and everything it started (Airflow's components,
its task processes, the moto server) are gone within seconds. The caller is tests/standalone_caller.py in a
process of its own; what the script started is found by the ``STANDALONE_HOME`` in each process's environment."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow

GONE_WITHIN = 30.0  # seconds from the signal (or the exception) until nothing the script started is left


def started_by(home: Path) -> dict[int, str]:
    """pid → command line of every live process whose environment has STANDALONE_HOME=home."""
    marker = f"STANDALONE_HOME={home}".encode()
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                continue  # a zombie runs nothing
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError):
            continue
    return found


def start_caller(home: Path, mode: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "STANDALONE_HOME"}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.Popen(
        [sys.executable, "-m", "tests.standalone_caller", str(home), mode], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip


def wait_for_line(caller: subprocess.Popen, line: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = caller.stdout.readline()
        if out.strip() == line:
            return
        if not out and caller.poll() is not None:
            break
    caller.kill()
    raise AssertionError(f"the caller never printed {line!r} (exit {caller.poll()})")


def wait_until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return condition()


def assert_all_gone(home: Path, caller: subprocess.Popen, since: float) -> None:
    try:
        caller.wait(timeout=GONE_WITHIN + 30)
    finally:
        if caller.poll() is None:
            caller.kill()
    gone = wait_until(lambda: not started_by(home), max(1.0, since + GONE_WITHIN - time.monotonic()))
    left = started_by(home)
    for pid in left:  # do not leave them to the next test
        os.kill(pid, signal.SIGKILL)
    assert gone, f"still running {time.monotonic() - since:.0f} s after: {left}"


def test_exception_in_the_caller_stops_everything(tmp_path):
    caller = start_caller(tmp_path, "raise")
    caller.wait(timeout=420)
    since = time.monotonic()
    output = caller.stdout.read()
    assert "RuntimeError: the caller failed" in output, output[-3000:]
    assert_all_gone(tmp_path, caller, since)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_in_the_caller_stops_everything(tmp_path, signum):
    """SIGTERM once Airflow runs (a bench killed by a timeout), SIGINT during start-up (Ctrl-C while it starts)."""
    caller = start_caller(tmp_path, "wait" if signum == signal.SIGTERM else "starting")
    if signum == signal.SIGTERM:
        wait_for_line(caller, "ready", timeout=420)
        expected = ("moto.server", "airflow scheduler", "airflow triggerer")
    else:
        wait_for_line(caller, "starting", timeout=60)
        expected = ("moto.server", "bin/airflow ")  # a set-up step (db migrate, pools import...)
    assert wait_until(lambda: all(any(e in c for c in started_by(tmp_path).values()) for e in expected), 240), (
        started_by(tmp_path)
    )
    caller.send_signal(signum)
    assert_all_gone(tmp_path, caller, time.monotonic())
    assert caller.returncode != 0
