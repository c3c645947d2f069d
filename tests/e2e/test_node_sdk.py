"""The official Node SDK (npm `openai`) works against the mock unchanged, streaming included.

Needs node (20 or later) and npm. The package is installed once into a cache folder outside
the checkout (MOCKSERVER_NODE_CACHE, default /var/tmp/mockserver-node), one folder per major
version: under a file lock, into a temporary folder that is renamed into place only once the
package loads, so concurrent runs never see half an install and a broken folder is replaced,
not trusted. Skipped with a reason where node or npm is missing; on CI (CI=true) a missing
toolchain is a failure.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from conftest import RunningServer

SCRIPT = Path(__file__).parent / "node" / "sdk_check.mjs"
README = Path(__file__).resolve().parents[2] / "README.md"
CACHE = Path(os.environ.get("MOCKSERVER_NODE_CACHE", "/var/tmp/mockserver-node"))
# openai@7 wants Node >= 22; 6.x runs on Node 20, the oldest Node README promises.
NODE_SDK_MAJOR = 6
OLDEST_NODE = 20
NODE_SDK = f"openai@^{NODE_SDK_MAJOR}"
LOADS = (
    "import OpenAI from 'openai';"
    "import { readFileSync } from 'node:fs';"
    "const v = JSON.parse(readFileSync('node_modules/openai/package.json', 'utf8')).version;"
    "if (typeof OpenAI !== 'function') process.exit(2);"
    "console.log(v);"
)


def _loads(folder: Path) -> bool:
    """The folder's `openai` imports as ESM and is of the major version we test."""
    if not (folder / "node_modules" / "openai").is_dir():
        return False
    proc = subprocess.run(
        ["node", "--input-type=module", "-e", LOADS],
        cwd=folder, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    return proc.returncode == 0 and proc.stdout.strip().startswith(f"{NODE_SDK_MAJOR}.")


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _install(target: Path) -> None:
    """npm install into a fresh folder, check it loads, then rename it into place."""
    staging = Path(tempfile.mkdtemp(prefix=f"{target.name}.tmp-", dir=target.parent))
    try:
        subprocess.run(
            ["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(staging),
             NODE_SDK],
            check=True, capture_output=True, timeout=300,
        )  # fmt: skip
        assert _loads(staging), f"npm installed {NODE_SDK} into {staging} but it does not load"
        if target.exists():  # a broken folder from an older run: put it aside, then drop it
            stale = Path(tempfile.mkdtemp(prefix=f"{target.name}.stale-", dir=target.parent))
            target.rename(stale / "old")
            shutil.rmtree(stale, ignore_errors=True)
        staging.chmod(0o755)  # mkdtemp makes it private; the cache is shared
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _node_sdk_dir() -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        reason = "node and npm are needed to test the Node SDK"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    version = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout
    if int(version.strip().lstrip("v").split(".")[0]) < OLDEST_NODE:
        pytest.skip(f"node {version.strip()} is older than the Node {OLDEST_NODE} README promises")
    target = CACHE / f"openai-{NODE_SDK_MAJOR}"
    if _loads(target):
        return target
    with _locked(CACHE / f"openai-{NODE_SDK_MAJOR}.lock"):
        if not _loads(target):  # another run may have installed it while we waited
            _install(target)
    return target


def test_the_readme_promises_what_this_test_checks() -> None:
    text = " ".join(README.read_text(encoding="utf-8").split())
    assert f"Node {OLDEST_NODE} or later with npm `openai` {NODE_SDK_MAJOR}.x" in text


def test_a_folder_that_does_not_load_is_not_trusted(tmp_path: Path) -> None:
    """A folder that exists but does not load (an interrupted install) is installed again."""
    if shutil.which("node") is None:
        pytest.skip("node is needed")
    broken = tmp_path / f"openai-{NODE_SDK_MAJOR}" / "node_modules" / "openai"
    broken.mkdir(parents=True)
    assert not _loads(broken.parents[1])


async def run_node_script(source: Path, base_url: str, tmp_path: Path) -> Any:
    """Run a script of tests/e2e/node against the mock; its last stdout line, parsed."""
    sdk_dir = _node_sdk_dir()
    # A private copy of the script beside a link to the shared node_modules: `import "openai"`
    # resolves there, and concurrent runs never write into the shared folder.
    script = tmp_path / source.name
    shutil.copyfile(source, script)
    (tmp_path / "node_modules").symlink_to(sdk_dir / "node_modules", target_is_directory=True)
    proc = await asyncio.create_subprocess_exec(
        "node", str(script), base_url,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 0, stderr.decode()
    return json.loads(stdout.decode().strip().splitlines()[-1])


async def test_node_sdk_create_stream_retrieve_delete(mock: RunningServer, tmp_path: Path) -> None:
    found = await run_node_script(SCRIPT, mock.base_url, tmp_path)
    assert found["created"]["status"] == "completed" and found["created"]["text"]
    assert found["retrievedSame"] and found["inputItems"] == 1
    assert found["stream"]["first"] == "response.created"
    assert found["stream"]["last"] == "response.completed"
    assert found["stream"]["deltas"] > 0 and found["stream"]["text"]
    assert found["deletedGone"] is True
    assert found["badRequest"] == {
        "cls": "BadRequestError", "code": "decimal_above_max_value", "param": "temperature",
    }  # fmt: skip
