"""The Docker image, built and run with podman, driven by the official openai SDK.

Opt-in, since building the image is slow: run it with `pytest -m container` (these tests
alone) or with MOCKSERVER_CONTAINER_TESTS=1 in the environment (with the rest of the suite;
.ci/run sets it); otherwise it is skipped with that reason. Needs root (podman is installed
and configured by .ci/podman-setup, which is idempotent and caches the locally made base
image under /var/tmp). Where podman cannot run this module skips with the reason; with
CI=true a machine that could run it but fails to set it up fails the test instead. The first
build takes about a minute; later builds reuse the layers.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from openai import OpenAI

pytestmark = pytest.mark.container

REPO = Path(__file__).resolve().parents[2]
SETUP = REPO / ".ci" / "podman-setup"
IMAGE = "localhost/mockserver:test"
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
IN_CI = os.environ.get("CI", "").lower() in ("true", "1")
API_KEY = "container-test-key"
OPT_IN = "MOCKSERVER_CONTAINER_TESTS"


def _opted_in(config: pytest.Config) -> bool:
    """`-m container` (not `-m "not container"`), or MOCKSERVER_CONTAINER_TESTS=1."""
    if os.environ.get(OPT_IN, "").strip().lower() in ("1", "true", "yes", "on"):
        return True
    markexpr = str(config.getoption("markexpr", "") or "")
    return re.search(r"(?<!not )\bcontainer\b", markexpr) is not None


def _say(config: pytest.Config, message: str) -> None:
    """A line in the test log even when output is captured (CI shows what happened)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line(f"[container] {message}")


def _cannot_run(reason: str, installable: bool) -> None:
    if IN_CI and installable:
        pytest.fail(f"CI=true and podman should work here, but: {reason}")
    pytest.skip(reason)


@dataclass(frozen=True)
class Podman:
    argv: tuple[str, ...]
    env: dict[str, str]
    base_image: str

    def __call__(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        cmd = [*self.argv, *args]
        proc = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr}")
        return proc


@pytest.fixture(scope="module")
def podman(pytestconfig: pytest.Config) -> Podman:
    if not _opted_in(pytestconfig):
        pytest.skip(f"builds the image (slow): opt in with `pytest -m container` or {OPT_IN}=1")
    if not sys.platform.startswith("linux"):
        pytest.skip("podman runs the image on Linux only")
    if os.geteuid() != 0:
        _cannot_run("podman needs root on these machines (see .ci/podman-setup)", False)
    if shutil.which("podman") is None and shutil.which("apt-get") is None:
        _cannot_run("podman is not installed and apt-get is not there to install it", False)
    proc = subprocess.run(["bash", str(SETUP)], capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        _cannot_run(f".ci/podman-setup failed:\n{proc.stderr[-3000:]}", True)
    # KEY=VALUE lines, shell-quoted.
    values = dict(shlex.split(line)[0].split("=", 1) for line in proc.stdout.splitlines())
    env = {**os.environ, "CONTAINERS_CONF": values["CONTAINERS_CONF"]}
    return Podman(tuple(values["PODMAN"].split()), env, values["BASE_IMAGE"])


@pytest.fixture(scope="module")
def image(podman: Podman, pytestconfig: pytest.Config) -> str:
    began = time.monotonic()
    podman(
        "build",
        "--format=docker",  # keeps the HEALTHCHECK (OCI images have none)
        "--network=host",  # pip needs the host network and its CA bundle here
        f"--volume={CA_BUNDLE}:{CA_BUNDLE}:ro",
        f"--env=PIP_CERT={CA_BUNDLE}",
        f"--build-arg=BASE_IMAGE={podman.base_image}",
        f"--tag={IMAGE}",
        str(REPO),
        timeout=900,
    )
    size = int(podman("image", "inspect", "--format={{.Size}}", IMAGE).stdout)
    seconds = time.monotonic() - began
    _say(
        pytestconfig,
        f"built {IMAGE} from {podman.base_image} in {seconds:.1f} s ({size / 1e6:.0f} MB)",
    )
    return IMAGE


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Container:
    podman: Podman
    id: str
    url: str

    def logs(self) -> str:
        proc = self.podman("logs", self.id)
        return proc.stdout + proc.stderr

    def state(self) -> dict[str, object]:
        out = self.podman("inspect", "--format={{json .State}}", self.id).stdout
        state: dict[str, object] = json.loads(out)
        return state


def _wait_healthy(container: Container, timeout: float = 30) -> float:
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        try:
            with urllib.request.urlopen(f"{container.url}/_mock/health", timeout=1) as resp:
                if resp.status == 200:
                    return time.monotonic() - began
        except OSError:  # refused, reset, or accepted by podman's port proxy and not answered
            pass  # in time while the server inside starts (TimeoutError): try again
        if container.state().get("Running") is False:
            break
        time.sleep(0.1)
    raise AssertionError(f"the container did not become healthy:\n{container.logs()}")


def _compose_app_url() -> tuple[str, str | None]:
    """compose.yaml's app OPENAI_BASE_URL, and the service name it reaches the mock by."""
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    url: str = compose["services"]["app"]["environment"]["OPENAI_BASE_URL"]
    host = urllib.parse.urlsplit(url).hostname
    assert host in compose["services"], f"{url} does not name a compose service"
    return url, host


@pytest.fixture(scope="module")
def network(podman: Podman) -> Iterator[str]:
    """A network like the one compose makes, where services find each other by name."""
    name = f"mockserver-test-{os.getpid()}"
    podman("network", "create", name)
    yield name
    subprocess.run(
        [*podman.argv, "network", "rm", "--force", name], env=podman.env, capture_output=True
    )


@pytest.fixture(scope="module")
def container(
    podman: Podman, image: str, network: str, pytestconfig: pytest.Config
) -> Iterator[Container]:
    port = _free_port()
    _, service = _compose_app_url()
    cid = podman(
        "run",
        "--detach",
        "--health-interval=disable",  # no systemd timers here; tests run the check by hand
        f"--network={network}",
        f"--network-alias={service}",
        f"--publish=127.0.0.1:{port}:8000",
        f"--volume={REPO / 'scenarios'}:/scenarios:ro",
        "--env=MOCKSERVER_SEED=7",
        "--env=MOCKSERVER_SHUTDOWN_GRACE=5",
        image,
    ).stdout.strip()
    running = Container(podman, cid, f"http://127.0.0.1:{port}")
    try:
        took = _wait_healthy(running)
        _say(pytestconfig, f"container {cid[:12]} answered /_mock/health after {took:.2f} s")
        yield running
    finally:
        subprocess.run([*podman.argv, "rm", "--force", cid], env=podman.env, capture_output=True)


@pytest.fixture
def sdk(container: Container) -> Iterator[OpenAI]:
    with OpenAI(base_url=f"{container.url}/v1", api_key=API_KEY, max_retries=0) as client:
        yield client


SCRIPTED = {"X-Mock-Scenario": "plain-chat"}  # scenarios/plain-chat.yaml, from the volume


def test_sdk_create_with_a_mounted_scenario(sdk: OpenAI, pytestconfig: pytest.Config) -> None:
    response = sdk.responses.create(
        model="gpt-4o-mini", input="What is the capital of France?", extra_headers=SCRIPTED
    )
    assert response.status == "completed"
    assert response.output_text == "The capital of France is Paris."
    assert sdk.responses.retrieve(response.id).output_text == response.output_text
    _say(pytestconfig, f"SDK create -> {response.id}: {response.output_text!r}")


def test_sdk_zero_config_create(sdk: OpenAI) -> None:
    response = sdk.responses.create(model="gpt-4o-mini", input="Say anything.")
    assert response.status == "completed"
    assert response.output_text


def test_sdk_stream(sdk: OpenAI, pytestconfig: pytest.Config) -> None:
    with sdk.responses.stream(model="gpt-4o-mini", input="hello", extra_headers=SCRIPTED) as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert len(deltas) > 1
    assert "".join(deltas) == final.output_text
    assert final.output_text.startswith("Hello! You are talking to gpt-4o-mini")
    _say(pytestconfig, f"SDK stream -> {len(deltas)} text deltas, {final.id} {final.status}")


# What compose.yaml's app does, with the image's python instead of the SDK (it has none).
APP_SCRIPT = """
import json, os, urllib.request
request = urllib.request.Request(
    os.environ["OPENAI_BASE_URL"] + "/responses",
    data=json.dumps({"model": "gpt-4o-mini", "input": "Hello from the app container"}).encode(),
    headers={"Authorization": "Bearer app-key", "Content-Type": "application/json"},
)
print(json.load(urllib.request.urlopen(request, timeout=10))["status"])
"""


def test_app_container_reaches_the_mock_by_service_name(
    container: Container, podman: Podman, network: str, image: str
) -> None:
    url, _ = _compose_app_url()
    proc = podman(
        "run",
        "--rm",
        f"--network={network}",
        f"--env=OPENAI_BASE_URL={url}",
        "--entrypoint=python3",
        image,
        "-c",
        APP_SCRIPT,
    )
    assert proc.stdout.strip() == "completed"


def test_health_endpoint_and_healthcheck(container: Container, podman: Podman) -> None:
    with urllib.request.urlopen(f"{container.url}/_mock/health", timeout=2) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("application/json")
    # The image's own HEALTHCHECK (python, no curl), run inside the container.
    podman("healthcheck", "run", container.id)


def test_metrics_count_the_sdk_calls(container: Container, sdk: OpenAI) -> None:
    greeting = 'mockserver_requests_total{rule="greeting",scenario="plain-chat",status="200"}'

    def count() -> float:
        with urllib.request.urlopen(f"{container.url}/_mock/metrics", timeout=2) as resp:
            lines = resp.read().decode().splitlines()
        return sum(float(x.rsplit(" ", 1)[1]) for x in lines if x.startswith(greeting + " "))

    before = count()
    sdk.responses.create(model="gpt-4o-mini", input="hi", extra_headers=SCRIPTED)
    assert count() == before + 1


def test_runs_as_non_root_and_stops_gracefully_by_id(
    container: Container, podman: Podman, pytestconfig: pytest.Config
) -> None:
    user = podman("exec", container.id, "id", "-u").stdout.strip()
    assert user != "0"
    began = time.monotonic()
    podman("stop", "--time=10", container.id, timeout=30)
    took = time.monotonic() - began
    state = container.state()
    assert state["ExitCode"] == 0, container.logs()
    logs = container.logs()
    assert "listening on http://0.0.0.0:8000" in logs
    assert "scenario(s) loaded: " in logs and "plain-chat" in logs
    assert "SIGTERM: stopped accepting" in logs
    assert "mockserver.access: POST /v1/responses 200" in logs
    _say(pytestconfig, f"stopped {container.id[:12]} with SIGTERM in {took:.2f} s, exit code 0")
