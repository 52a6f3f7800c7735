"""Private redis-server processes on free loopback ports: TLS with ACL users, and a three-master Redis Cluster.

Used by the tests (fixtures in tests/conftest.py) and by bench/warmup.py. Every server gets its own directory and
ports and is stopped by whoever started it; the shared Redis on 6379 is never touched.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

START_TIMEOUT = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RedisServer:
    """One redis-server process; ``port`` is plain TCP, ``tls_port`` TLS when started with certificates."""

    directory: Path
    port: int
    tls_port: int | None = None
    process: subprocess.Popen | None = field(default=None, repr=False)

    def start(self, *args: str) -> RedisServer:
        self.directory.mkdir(parents=True, exist_ok=True)
        log = open(self.directory / "redis.log", "wb")
        command = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.directory),
                   "--save", "", "--appendonly", "no", *args]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=log, stderr=log)
        log.close()
        self.wait_for("PING", expect="PONG")
        return self

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            ["redis-cli", "-h", "127.0.0.1", "-p", str(self.port), *args], capture_output=True, text=True, timeout=30
        )
        return done.stdout.strip()

    def wait_for(self, *command: str, expect: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"redis-server on port {self.port} exited: {self.log_tail()}")
            if expect in self.cli(*command):
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"redis-server on port {self.port}: no {expect!r} to {command} within {START_TIMEOUT} s")

    def log_tail(self) -> str:
        path = self.directory / "redis.log"
        return path.read_text(errors="replace")[-1000:] if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def tls_files(directory: Path) -> dict[str, Path]:
    """A throw-away CA and a server certificate for 127.0.0.1, made with openssl."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {name: directory / name for name in ("ca.crt", "ca.key", "server.crt", "server.key", "server.csr")}
    (directory / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    for command in (
        ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=roster-test-ca",
         "-keyout", files["ca.key"], "-out", files["ca.crt"]],
        ["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
         "-keyout", files["server.key"], "-out", files["server.csr"]],
        ["x509", "-req", "-in", files["server.csr"], "-CA", files["ca.crt"], "-CAkey", files["ca.key"],
         "-CAcreateserial", "-days", "1", "-out", files["server.crt"], "-extfile", directory / "san.ext"],
    ):  # fmt: skip
        subprocess.run(["openssl", *map(str, command)], check=True, capture_output=True, timeout=60)
    return files


def start_tls_server(directory: Path, *args: str) -> RedisServer:
    """A redis-server answering plain TCP on ``port`` and TLS on ``tls_port`` (clients need not show certificates)."""
    files = tls_files(directory / "tls")
    server = RedisServer(directory, free_port(), tls_port=free_port())
    return server.start(
        "--tls-port", str(server.tls_port), "--tls-cert-file", str(files["server.crt"]),
        "--tls-key-file", str(files["server.key"]), "--tls-ca-cert-file", str(files["ca.crt"]),
        "--tls-auth-clients", "no", *args,
    )  # fmt: skip


@dataclass
class Cluster:
    nodes: list[RedisServer]

    @property
    def ports(self) -> list[int]:
        return [node.port for node in self.nodes]

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


def start_cluster(directory: Path, masters: int = 3) -> Cluster:
    """``masters`` redis-servers in cluster mode (bus ports free too), joined by ``redis-cli --cluster create``."""
    if directory.exists():
        shutil.rmtree(directory)
    nodes = []
    try:
        for i in range(masters):
            node = RedisServer(directory / f"node{i}", free_port())
            nodes.append(node.start("--cluster-enabled", "yes", "--cluster-port", str(free_port()),
                                    "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000"))  # fmt: skip
        addresses = [f"127.0.0.1:{node.port}" for node in nodes]
        subprocess.run(
            ["redis-cli", "--cluster", "create", *addresses, "--cluster-replicas", "0", "--cluster-yes"],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        for node in nodes:
            node.wait_for("CLUSTER", "INFO", expect="cluster_state:ok")
    except BaseException:
        for node in nodes:
            node.stop()
        raise
    return Cluster(nodes)
