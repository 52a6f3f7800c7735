"""What bench/warmup_dag.py sets up around ``airflow dags test``: MariaDB's buffer pool size (the server's own
setting, restored after), a throw-away PostgreSQL metadata database and an Airflow api-server (the execution API
the LocalExecutor's task processes talk to). Everything started here is stopped by the process that started it."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

MIB = 1024 * 1024


def parse_size(text: str) -> int:
    """``1G``, ``768M`` or a number of bytes."""
    units = {"K": 1024, "M": MIB, "G": 1024 * MIB}
    text = text.strip().upper().removesuffix("B").removesuffix("I")
    return int(float(text[:-1]) * units[text[-1]]) if text[-1] in units else int(text)


def _mariadb(url: str):
    import MySQLdb

    host_port = url.split("@", 1)[1]
    host, _, port = host_port.partition(":")
    return MySQLdb.connect(host=host, port=int(port or 3306), user="root")


def _read_number(url: str, query: str, column: int) -> int:
    """One number the server answers to ``query`` (column ``column`` of its one row), on a connection of its own."""
    conn = _mariadb(url)
    try:
        cursor = conn.cursor()
        cursor.execute(query)
        return int(cursor.fetchone()[column])
    finally:
        conn.close()


def buffer_pool_size(url: str) -> int:
    return _read_number(url, "SELECT @@GLOBAL.innodb_buffer_pool_size", 0)


def set_buffer_pool(url: str, size: int) -> int:
    """``SET GLOBAL innodb_buffer_pool_size`` (MariaDB 10.11 resizes online); the size the server reports after."""
    conn = _mariadb(url)
    try:
        cursor = conn.cursor()
        cursor.execute(f"SET GLOBAL innodb_buffer_pool_size = {int(size)}")
        for _ in range(600):  # the resize may finish in the background
            cursor.execute("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_resize_status'")
            row = cursor.fetchone()
            if not row or not row[1] or "complete" in row[1].lower():  # 10.11.19 reports nothing: done at once
                break
            time.sleep(0.1)
        cursor.execute("SELECT @@GLOBAL.innodb_buffer_pool_size")
        return int(cursor.fetchone()[0])
    finally:
        conn.close()


def warm_buffer_pool(url: str, database: str, index: str) -> float:
    """Read every page a full warmup reads (the users' rows, the assignments' covering index) once: the steady
    state of a server whose buffer pool holds them. Seconds taken."""
    conn = _mariadb(url)
    started = time.perf_counter()
    try:
        cursor = conn.cursor()
        cursor.execute(f"SELECT COUNT(*), SUM(LENGTH(roles)) FROM `{database}`.users")
        cursor.fetchall()
        cursor.execute(f"SELECT COUNT(*), SUM(LENGTH(state)) FROM `{database}`.assignments FORCE INDEX (`{index}`) "
                       f"WHERE user_id > 0")  # fmt: skip
        cursor.fetchall()
    finally:
        conn.close()
    return time.perf_counter() - started


def buffer_pool_reads(url: str) -> int:
    """The server's ``Innodb_buffer_pool_reads`` (global: other clients' misses count too)."""
    return _read_number(url, "SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_reads'", 1)


@contextlib.contextmanager
def postgres_database(url: str, name: str) -> Iterator[str]:
    """A throw-away PostgreSQL database ``name`` (dropped after); yields its SQLAlchemy URL."""
    import psycopg2

    def admin(sql: str) -> None:
        conn = psycopg2.connect(f"{url}/postgres")
        conn.autocommit = True
        try:
            conn.cursor().execute(sql)
        finally:
            conn.close()

    admin(f'DROP DATABASE IF EXISTS "{name}"')
    admin(f'CREATE DATABASE "{name}"')
    try:
        yield f"{url.replace('postgresql://', 'postgresql+psycopg2://')}/{name}"
    finally:
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def api_server(airflow: Path, env: dict[str, str], port: int, log: Path) -> Iterator[float]:
    """``airflow api-server`` on 127.0.0.1:``port`` (one worker) until the block ends; yields its start-up
    seconds (until /execution/health answers)."""
    started = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen([str(airflow), "api-server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
                                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"airflow api-server exited ({proc.returncode}): see {log}\n{log.read_text()[-3000:]}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/execution/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            if time.monotonic() > deadline:
                raise SystemExit(f"airflow api-server did not answer in 120 s: see {log}")
            time.sleep(0.5)
        yield time.perf_counter() - started
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)  # its own session: the server and the workers it started
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
