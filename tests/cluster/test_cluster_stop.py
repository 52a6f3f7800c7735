"""scripts/cluster.sh never leaves a process behind: interrupted during set-up by Ctrl-C (SIGINT), or when the
process that started it dies (CLUSTER_WATCH_PID), it stops everything it had started, by pid, within seconds.
(A running cluster stopped by SIGTERM: the last test of test_cluster.py.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from conftest import TEST_DATABASE
from tests.cluster.cluster import Cluster

pytestmark = pytest.mark.slow


def _started_and_setting_up(cluster: Cluster, timeout: float = 240) -> list[psutil.Process]:
    """Once the broker Redis and moto run and Airflow's set-up has begun: every process of the script's tree."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert cluster.process.poll() is None, cluster.log_tail()
        if {"broker-redis", "moto"} <= set(cluster.pids()) and "initialising Airflow" in cluster.log_tail():
            time.sleep(2)  # inside `airflow db migrate`
            root = psutil.Process(cluster.process.pid)
            return [root, *root.children(recursive=True)]
        time.sleep(0.5)
    raise AssertionError(f"set-up did not begin within {timeout} s\n{cluster.log_tail()}")


def _assert_all_gone(processes: list[psutil.Process], timeout: float = 30) -> None:
    _, alive = psutil.wait_procs(processes, timeout=timeout)
    assert not [p for p in alive if p.status() != psutil.STATUS_ZOMBIE], alive


def test_ctrl_c_during_set_up_stops_what_was_started(tmp_path):
    cluster = Cluster(tmp_path, f"{TEST_DATABASE}_airflow_int_{os.getpid()}")
    try:
        cluster.start()
        processes = _started_and_setting_up(cluster)
        assert len(processes) >= 4  # the script, broker Redis, moto, the set-up step (and the caller watch)
        cluster.process.send_signal(signal.SIGINT)
        assert cluster.process.wait(timeout=60) == 130
        _assert_all_gone(processes)
    finally:
        cluster.__exit__(None, None, None)


def test_the_callers_death_stops_the_cluster(tmp_path):
    """A stand-in caller (CLUSTER_WATCH_PID) is SIGKILLed while the script sets up."""
    caller = subprocess.Popen(
        [sys.executable, "-c", "import signal, sys; signal.pause()"], start_new_session=True
    )
    cluster = Cluster(tmp_path, f"{TEST_DATABASE}_airflow_watch_{os.getpid()}", env={"CLUSTER_WATCH_PID": str(caller.pid)})
    try:
        cluster.start()
        processes = _started_and_setting_up(cluster)
        caller.kill()
        caller.wait(timeout=10)
        assert cluster.process.wait(timeout=60) == 143  # the watch sent the script SIGTERM
        _assert_all_gone(processes)
    finally:
        caller.kill()
        cluster.__exit__(None, None, None)
