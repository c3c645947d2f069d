"""Processes of a benchmark run: the mock, the bare reference, and how to watch them.

Every server runs pinned to one core (SERVER_CPU) and every load generator to the other
(CLIENT_CPU): on a 2-core machine this keeps the client from stealing the server's core, and
makes "the server's core is saturated" a measurable statement (its CPU time / wall time).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

SERVER_CPU = "1"
CLIENT_CPU = "0"
API_KEY = "bench"
_TICKS = os.sysconf("SC_CLK_TCK")


def pin_self_to_client_cpu() -> None:
    """The driver (and the Python clients it runs) stays off the server's core."""
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {int(CLIENT_CPU)})


def pinned(cmd: list[str], cpu: str) -> list[str]:
    if (os.cpu_count() or 1) > 1 and _has_taskset():
        return ["taskset", "-c", cpu, *cmd]
    return cmd


def _has_taskset() -> bool:
    return any(Path(d, "taskset").exists() for d in os.environ.get("PATH", "").split(":"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    name: str
    port: int
    popen: subprocess.Popen[bytes]
    started: float  # perf_counter() at spawn
    ready_after: float = 0.0  # seconds from spawn to the first good answer
    log: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process so far."""
        fields = Path(f"/proc/{self.popen.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS

    def rss_bytes(self) -> int:
        for line in Path(f"/proc/{self.popen.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(5)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def launch(name: str, cmd: list[str], port: int, logdir: Path) -> Server:
    """Start a server pinned to SERVER_CPU, without waiting for it."""
    log = logdir / f"{name}-{port}.log"
    with log.open("wb") as out:
        started = time.perf_counter()
        popen = subprocess.Popen(pinned(cmd, SERVER_CPU), stdout=out, stderr=subprocess.STDOUT)
    return Server(name, port, popen, started, log=log)


def spawn(name: str, cmd: list[str], port: int, logdir: Path, ready_path: str) -> Server:
    """Start a pinned server and wait until it answers GET ready_path (raises if it dies)."""
    server = launch(name, cmd, port, logdir)
    server.ready_after = wait_ready(server, ready_path)
    return server


def check_alive(server: Server) -> None:
    if server.popen.poll() is not None:
        tail = server.log.read_text()[-2000:] if server.log else ""
        raise RuntimeError(f"{server.name} exited ({server.popen.returncode}):\n{tail}")


def wait_ready(server: Server, path: str, timeout: float = 30.0) -> float:
    deadline = time.perf_counter() + timeout
    request = urllib.request.Request(
        server.url + path, headers={"Authorization": f"Bearer {API_KEY}"}
    )
    while time.perf_counter() < deadline:
        check_alive(server)
        try:
            with urllib.request.urlopen(request, timeout=1) as resp:
                if resp.status == 200:
                    return time.perf_counter() - server.started
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.002)
    server.stop()
    raise RuntimeError(f"{server.name} not ready after {timeout}s")


def mock_cmd(port: int, scenarios: Path | None, *extra: str) -> list[str]:
    cmd = [sys.executable, "-m", "mockserver", "serve", "--port", str(port)]
    cmd += ["--log-level", "warning", "--shutdown-grace", "0.5", "--seed", "7"]
    if scenarios is not None:
        cmd += ["--scenarios", str(scenarios)]
    return [*cmd, *extra]


def start_mock(logdir: Path, scenarios: Path | None, *extra: str, name: str = "mock") -> Server:
    port = free_port()
    return spawn(name, mock_cmd(port, scenarios, *extra), port, logdir, "/v1/responses")


def start_bare(logdir: Path, *args: str, name: str = "bare") -> Server:
    port = free_port()
    cmd = [sys.executable, "-m", "bench.bare", "--port", str(port), *args]
    return spawn(name, cmd, port, logdir, "/ready")


class CpuMeter:
    """CPU use of a server over a block, as a fraction of one core."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.cpu0 = server.cpu_seconds()
        self.t0 = time.perf_counter()

    def seconds(self) -> float:
        """CPU seconds the server used since the meter started."""
        return self.server.cpu_seconds() - self.cpu0

    def share(self) -> float:
        wall = time.perf_counter() - self.t0
        return (self.server.cpu_seconds() - self.cpu0) / wall if wall > 0 else 0.0
