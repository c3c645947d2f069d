"""The official Node SDK (npm `openai`) works against the mock unchanged, streaming included.

Needs node and npm (the package is installed once into a cache folder). Skipped with a reason
where they are missing; on CI (CI=true) a missing toolchain is a failure.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import RunningServer

SCRIPT = Path(__file__).parent / "node" / "sdk_check.mjs"
CACHE = Path(os.environ.get("MOCKSERVER_NODE_CACHE", "/var/tmp/mockserver-node"))
NODE_SDK = "openai@^7"


def _node_sdk_dir() -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        reason = "node and npm are needed to test the Node SDK"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    if not (CACHE / "node_modules" / "openai").is_dir():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(CACHE),
             NODE_SDK],
            check=True, capture_output=True, timeout=300,
        )  # fmt: skip
    return CACHE


async def test_node_sdk_create_stream_retrieve_delete(mock: RunningServer) -> None:
    sdk_dir = _node_sdk_dir()
    script = sdk_dir / SCRIPT.name  # run from the cache so `import "openai"` resolves there
    shutil.copyfile(SCRIPT, script)
    proc = await asyncio.create_subprocess_exec(
        "node", str(script), mock.base_url,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 0, stderr.decode()
    found = json.loads(stdout.decode().strip().splitlines()[-1])
    assert found["created"]["status"] == "completed" and found["created"]["text"]
    assert found["retrievedSame"] and found["inputItems"] == 1
    assert found["stream"]["first"] == "response.created"
    assert found["stream"]["last"] == "response.completed"
    assert found["stream"]["deltas"] > 0 and found["stream"]["text"]
    assert found["deletedGone"] is True
    assert found["badRequest"] == {
        "cls": "BadRequestError", "code": "decimal_above_max_value", "param": "temperature",
    }  # fmt: skip
