"""The pytest plugin, driven from sample test suites run with pytester.

Most run in this process (fast); xdist and the "inert" check need a fresh interpreter.
Modes: the in-process server, an external server (--mockserver-url or MOCKSERVER_URL), and
pytest-xdist workers. Also: the README's example file passes, failures read well, a crashed
test leaves nothing behind, and a session that does not use the fixture is left alone.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from mockserver.config import Config
from mockserver.testing.admin_client import AdminClient
from mockserver.testing.inprocess import ServerThread

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "test_example_app.py"
DOC = ROOT / "docs" / "testing.md"
INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
filterwarnings =
    error
    ignore::pytest.PytestAssertRewriteWarning
addopts = --strict-markers -p no:cacheprovider -p no:langsmith_plugin
"""
# (langsmith's plugin, installed with langchain, costs a second per interpreter; not ours.)
# In-process runs re-register the installed plugin after the outer session imported
# mockserver, so pytest warns that it cannot rewrite its asserts: harmless, and not an error.
SAMPLE = '''
import threading

import pytest

HELLO = {"name": "hello", "rules": [{"name": "hi", "reply": [{"message": "Hello!"}]}]}
YAML = """
name: hello
rules:
  - name: bye
    expect: {tools: [lookup]}
    reply: [{message: "Bye!"}]
"""


def ask(mockserver, text="x"):
    return mockserver.client(max_retries=0).responses.create(model="gpt-4o", input=text)


def test_dict(mockserver):
    mockserver.use(HELLO)
    assert ask(mockserver).output_text == "Hello!"
    mockserver.assert_called("hi", times=1)
    (entry,) = mockserver.requests(scenario="hello")
    assert entry.scenario == "hello" and entry.tenant == mockserver.tenant


def test_same_name_other_content(mockserver):
    mockserver.use(YAML)
    assert ask(mockserver).output_text == "Bye!"
    assert mockserver.requests()[0].expectations[0].key == "tools"


def test_file_next_to_the_test(mockserver):
    mockserver.use("greeting.yaml")
    assert ask(mockserver).output_text == "From a file."


@pytest.mark.mockserver(scenario=HELLO)
def test_marker(mockserver):
    assert ask(mockserver).output_text == "Hello!"


def test_fresh_tenant_each_test(mockserver):
    assert mockserver.requests() == []
    assert ask(mockserver).output_text  # nothing bound: the zero-config answer


async def test_async(mockserver):
    async with mockserver.async_client() as client:
        reply = await client.responses.create(model="gpt-4o", input="x")
    assert reply.output_text
    assert len(mockserver.requests()) == 1


def test_verify_passes_without_expectations(mockserver):
    mockserver.use(HELLO)
    ask(mockserver)
    assert mockserver.verify().ok
'''
FAILING = '''
YAML = """
name: strict
rules:
  - name: answer
    expect: {tools: [lookup], input_contains: please}
    reply: [{message: "Ok."}]
"""


def test_assert_called_says_what_happened(mockserver):
    mockserver.use(YAML)
    mockserver.client().responses.create(model="gpt-4o", input="now")
    mockserver.assert_called("answer", times=2)


def test_verify_shows_the_diff(mockserver):
    mockserver.use(YAML)
    mockserver.client().responses.create(model="gpt-4o", input="now")
    mockserver.verify()


def test_unknown_rule(mockserver):
    mockserver.use(YAML)
    mockserver.assert_called("anwser")


def test_crash_midway(mockserver):
    mockserver.use(YAML)
    mockserver.client().responses.create(model="gpt-4o", input="now")
    raise RuntimeError("the test crashed")
'''


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makefile(".ini", pytest=INI)
    pytester.makepyfile(test_sample=SAMPLE)
    pytester.path.joinpath("greeting.yaml").write_text(
        "name: greeting\nrules:\n  - name: r\n    reply: [{message: From a file.}]\n"
    )
    return pytester


@pytest.fixture(scope="module")
def external() -> Iterator[ServerThread]:
    """A server outside the sample suites, standing in for a container."""
    with ServerThread(Config(port=0, seed=4)) as server:
        yield server


def assert_left_clean(server: ServerThread) -> None:
    """No scenario, tenant state or journal entry survives the sample suite."""
    admin = AdminClient(server.url)
    assert admin.scenarios() == []
    assert admin.requests() == []


def test_in_process(suite: pytest.Pytester) -> None:
    result = suite.runpytest("-v")
    result.assert_outcomes(passed=7)


@pytest.mark.parametrize("how", ["option", "env"])
def test_external_server(
    suite: pytest.Pytester, external: ServerThread, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    suite.makepyfile(
        test_where=f"""
def test_uses_the_external_server(mockserver):
    assert mockserver.url == {external.url!r}
"""
    )
    if how == "env":
        monkeypatch.setenv("MOCKSERVER_URL", external.base_url)
        result = suite.runpytest()
    else:
        result = suite.runpytest(f"--mockserver-url={external.url}")
    result.assert_outcomes(passed=8)
    assert_left_clean(external)


def test_external_server_that_is_not_there(suite: pytest.Pytester) -> None:
    result = suite.runpytest("--mockserver-url=http://127.0.0.1:9", "-k", "dict")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*cannot reach the mock at http://127.0.0.1:9*"])


def test_failures_read_well_and_leave_nothing(
    pytester: pytest.Pytester, external: ServerThread
) -> None:
    pytester.makefile(".ini", pytest=INI)
    pytester.makepyfile(test_failing=FAILING)
    result = pytester.runpytest(f"--mockserver-url={external.url}")
    result.assert_outcomes(failed=4)
    result.stdout.fnmatch_lines(
        [
            "*rule 'answer' was expected to answer 2 time(s), it answered 1 time(s).",
            "*Requests of this test:",
            "*  #* POST /v1/responses -> 200 ?strict/answer?",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*2 expectation(s) not met:",
            "*: answered by strict/answer (<request body>:4)",
            "*expect.tools:",
            '*- expected: ?"lookup"?',
            "*+ got:      []",
            "*expect.input_contains:",
            '*- expected: "please"',
            '*+ got:      "now"',
        ]
    )
    result.stdout.fnmatch_lines(["*No rule named 'anwser' in any loaded scenario*"])
    result.stdout.no_fnmatch_line("*harness.py*")  # assertion frames are hidden
    assert_left_clean(external)


def test_xdist_workers_each_run_a_server(suite: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    suite.makepyfile(
        test_where="""
import os

import pytest

def test_worker_has_its_own_server(mockserver):
    port = mockserver.url.rsplit(":", 1)[1]
    open(f"port-{os.environ['PYTEST_XDIST_WORKER']}-{port}", "w").close()
"""
    )
    # --dist each: every worker runs every test, so both surely start their server.
    result = suite.runpytest_subprocess("-n", "2", "--dist", "each")
    result.assert_outcomes(passed=16)
    seen = {tuple(p.name.split("-")[1:]) for p in suite.path.glob("port-gw*")}
    workers, ports = {w for w, _ in seen}, {p for _, p in seen}
    assert len(seen) == len(workers) == len(ports) == 2  # one server per worker


def test_xdist_workers_share_an_external_server(
    suite: pytest.Pytester, external: ServerThread
) -> None:
    pytest.importorskip("xdist")
    result = suite.runpytest_subprocess("-n", "2", f"--mockserver-url={external.url}")
    result.assert_outcomes(passed=7)
    assert_left_clean(external)


def test_scenarios_from_the_ini_file(suite: pytest.Pytester) -> None:
    suite.makefile(
        ".ini", pytest=INI + "mockserver_scenarios = greeting.yaml\nmockserver_seed = 3\n"
    )
    suite.makepyfile(
        test_named="""
def test_by_name(mockserver):
    mockserver.use("greeting")
    reply = mockserver.client().responses.create(model="gpt-4o", input="x")
    assert reply.output_text == "From a file."
"""
    )
    suite.runpytest("test_named.py").assert_outcomes(passed=1)


def test_a_bad_scenario_file_fails_the_tests_that_use_the_server(suite: pytest.Pytester) -> None:
    suite.path.joinpath("broken.yaml").write_text("name: broken\nrules: []\n")
    result = suite.runpytest("--mockserver-scenarios=broken.yaml", "-k", "dict")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*broken.yaml:2:8: $.rules: empty list*"])


def test_inert_without_the_fixture(pytester: pytest.Pytester) -> None:
    pytester.makefile(".ini", pytest=INI)
    pytester.makepyfile(
        test_plain="""
import sys
import threading

def test_nothing_started():
    assert not [t for t in threading.enumerate() if t.name.startswith("mockserver")]
    assert "mockserver.testing.harness" not in sys.modules
    assert "mockserver.app" not in sys.modules
"""
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=1)  # a fresh interpreter
    help_text = pytester.runpytest("--help")
    help_text.stdout.fnmatch_lines(["*--mockserver-url*", "*mockserver_scenarios*"])
    markers = pytester.runpytest("--markers")
    markers.stdout.fnmatch_lines(["@pytest.mark.mockserver(scenario)*"])


def test_the_readme_example_passes(pytester: pytest.Pytester, external: ServerThread) -> None:
    pytester.makefile(".ini", pytest=INI)
    shutil.copy(EXAMPLE, pytester.path / EXAMPLE.name)
    pytester.runpytest("-v").assert_outcomes(passed=5)
    # And unchanged against an already running server.
    env_url = os.environ.get("MOCKSERVER_URL")
    assert env_url is None
    pytester.runpytest(f"--mockserver-url={external.url}").assert_outcomes(passed=5)
    assert_left_clean(external)


def test_the_readme_shows_the_example_as_it_is() -> None:
    doc = DOC.read_text(encoding="utf-8")
    start = doc.index("### A complete example")
    block = doc[start:].split("```python\n", 1)[1].split("```\n", 1)[0]
    assert block == EXAMPLE.read_text(encoding="utf-8")
