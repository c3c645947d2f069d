"""README.md's commands and snippets, each run as written, and the docs site that holds the rest.

Every fenced block of README.md follows a `<!-- readme: KIND -->` marker that says how it is run:
  install  the venv and install commands, in a copy of the checkout (slow, network: CI only)
  serve    started in a private network namespace, so its default port 8000 is always free
  python   run against that server (the same namespace)
  shell    run against that server (the same namespace)
  pytest   saved as test_weather.py in an empty folder and run with pytest
  ci       the test command: .ci/run runs it (checked below)
  docs     the site build: `mkdocs build --strict`, into a temporary folder
docs/container.md's client snippets (`<!-- run: env -->` then `<!-- run: python -->`) and
docs/admin-api.md's curl walk-through (`<!-- run: admin -->`) run against the same server, which
loads the same scenarios as the container does.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
CONTAINER_DOC = ROOT / "docs" / "container.md"
ADMIN_DOC = ROOT / "docs" / "admin-api.md"
IN_CI = os.environ.get("CI", "").lower() in ("true", "1")
KINDS = {"install", "serve", "python", "shell", "pytest", "ci", "docs"}
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", flags=re.MULTILINE | re.DOTALL)
MARKER = re.compile(r"<!-- readme: (\w+) -->\n```")


def readme() -> str:
    return README.read_text(encoding="utf-8")


def blocks(kind: str, text: str | None = None, tag: str = "readme") -> list[str]:
    """The code of every block marked `<!-- TAG: KIND -->` (README's by default), in order."""
    marked = rf"<!-- {tag}: (\w+) -->\n```\w*\n(.*?)^```$"
    matches = re.finditer(marked, readme() if text is None else text, re.M | re.S)
    return [match.group(2) for match in matches if match.group(1) == kind]


def _cannot_run(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true, but: {reason}")
    pytest.skip(reason)


def _env() -> dict[str, str]:
    """This interpreter's scripts (mockserver, pytest, mkdocs) first on PATH; no outer mock."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MOCKSERVER_", "OPENAI_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


# ---- the shape of the README -------------------------------------------------------------------


def test_every_code_block_is_marked_with_how_it_is_run() -> None:
    text = readme()
    fences = len(FENCE.findall(text))
    markers = MARKER.findall(text)
    assert fences == len(markers), "a README code block has no <!-- readme: KIND --> marker"
    assert set(markers) <= KINDS, set(markers) - KINDS
    assert set(markers) == KINDS, f"no block of kind {KINDS - set(markers)}"


def test_the_readme_is_short() -> None:
    assert len(readme().splitlines()) <= 300


def test_readme_links_point_at_files_that_exist() -> None:
    for target in re.findall(r"\]\((?!https?://)([^)#]+)", readme()):
        assert (ROOT / target).is_file(), target


def test_readme_shows_the_venv_install_serve_and_test_commands() -> None:
    assert blocks("install") == [
        "python3 -m venv .venv && . .venv/bin/activate\npip install -e . openai\n"
    ]
    assert blocks("serve") == ["mockserver serve --scenarios scenarios/\n"]
    assert blocks("ci") == ["pip install -e '.[test]' && pytest\n"]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci/run").read_text(encoding="utf-8")
    assert "pip install --quiet -e '.[test]'" in ci
    assert re.search(r"^pytest$", ci, flags=re.MULTILINE)


# ---- running the blocks -------------------------------------------------------------------------

NAMESPACE_SCRIPT = """
set -u
ip link set lo up || exit 97
{serve} > "$WORK/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT
"$PYTHON" - <<'WAIT' || {{ cat "$WORK/serve.log"; exit 98; }}
import time, urllib.request
for _ in range(300):
    try:
        urllib.request.urlopen("http://127.0.0.1:8000/_mock/health", timeout=1)
        break
    except OSError:
        time.sleep(0.1)
else:
    raise SystemExit("the server did not answer /_mock/health")
WAIT
echo "=== python"
"$PYTHON" "$WORK/snippet.py" || exit 1
echo "=== shell"
bash "$WORK/snippet.sh" || exit 1
echo "=== container"
( . "$WORK/container.sh" && "$PYTHON" "$WORK/container.py" ) || exit 1
echo "=== admin"
bash -e "$WORK/admin.sh" || exit 1
"""


def test_the_quickstart_serves_and_answers_the_sdk_and_curl(tmp_path: Path) -> None:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        _cannot_run("unshare and ip are needed to run the server on its own port 8000")
    (serve,) = blocks("serve")
    (python,) = blocks("python")
    (shell,) = blocks("shell")
    (tmp_path / "snippet.py").write_text(python, encoding="utf-8")
    (tmp_path / "snippet.sh").write_text(shell, encoding="utf-8")
    container_doc = CONTAINER_DOC.read_text(encoding="utf-8")
    (export,) = blocks("env", container_doc, tag="run")
    (client,) = blocks("python", container_doc, tag="run")
    (tmp_path / "container.sh").write_text(export, encoding="utf-8")
    (tmp_path / "container.py").write_text(client, encoding="utf-8")
    (admin,) = blocks("admin", ADMIN_DOC.read_text(encoding="utf-8"), tag="run")
    (tmp_path / "admin.sh").write_text(admin, encoding="utf-8")
    script = NAMESPACE_SCRIPT.format(serve=serve.strip())
    env = {**_env(), "WORK": str(tmp_path), "PYTHON": sys.executable}
    proc = subprocess.run(
        ["unshare", "-rn", "bash", "-c", script],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    if proc.returncode == 97:
        _cannot_run(f"no private network namespace here: {proc.stderr.strip()}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    python_out, rest = proc.stdout.split("=== python\n", 1)[1].split("=== shell\n", 1)
    shell_out, rest = rest.split("=== container\n", 1)
    container_out, admin_out = rest.split("=== admin\n", 1)
    for out in (python_out, container_out):
        generated, call = out.strip().splitlines()
        assert generated
        assert call == 'get_weather {"city":"Paris","unit":"celsius"}'
    assert "event: response.created" in shell_out
    assert shell_out.rstrip().splitlines()[-1].startswith('data: {"type":"response.completed"')
    for shown in ('"ok": true', '"rule": "call-tool"', "All expectations met.", '"deleted": true'):
        assert shown in admin_out, admin_out


def test_the_pytest_plugin_snippet_passes(tmp_path: Path) -> None:
    (snippet,) = blocks("pytest")
    assert len(snippet.splitlines()) <= 16  # "the plugin in ten lines", give or take the YAML
    (tmp_path / "test_weather.py").write_text(snippet, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"],
        cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed" in proc.stdout


def test_the_docs_site_builds_strictly(tmp_path: Path) -> None:
    (docs,) = blocks("docs")
    install, build = docs.strip().split(" && ")
    assert install == "pip install -e '.[docs]'" and build == "mkdocs build --strict"
    if shutil.which("mkdocs", path=_env()["PATH"]) is None:
        _cannot_run("mkdocs is not installed: pip install -e '.[docs]'")
    # As written, but into a temporary folder rather than site/ in the checkout.
    proc = subprocess.run(
        [*build.split(), "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, env={**_env(), "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    home = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "Quickstart" in home and "test_weather.py" in home
    assert 'href="scenarios/"' in home  # README's docs/scenarios.md link, made relative


def test_the_install_commands_work_in_a_fresh_checkout(tmp_path: Path) -> None:
    """About three minutes (a fresh venv and every dependency), so on CI only."""
    if not IN_CI:
        pytest.skip("creates a venv and installs every dependency (minutes): CI=true runs it")
    checkout = tmp_path / "checkout"
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, files.split("\0")):
        if (ROOT / name).is_file():
            (checkout / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, checkout / name)
    (install,) = blocks("install")
    check = '\npython -c "import mockserver, openai" && mockserver --help > /dev/null\n'
    env = {k: v for k, v in _env().items() if k != "VIRTUAL_ENV"}
    proc = subprocess.run(
        ["bash", "-ec", install + check],
        cwd=checkout, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
