"""One test's view of a mock server: its own tenant, scenarios, journal and assertions.

The pytest plugin hands one `MockServer` to each test (the `mockserver` fixture); it works
the same against the in-process server and an external one (a container), because it only
talks HTTP. Every test gets a fresh API key, so it has its own stored responses, counters,
rate limits and journal; scenarios it brings with `use()` are installed under a name private
to its tenant, so parallel tests with same-named scenarios never replace each other's.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from mockserver.pipeline.store import tenant_hash
from mockserver.testing.admin_client import AdminClient, NotFoundError, ScenarioSource
from mockserver.testing.admin_types import ConversationInfo, RequestEntry, Verification

if TYPE_CHECKING:
    from openai import AsyncOpenAI, OpenAI

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_FILE_SUFFIXES = (".yaml", ".yml", ".json")
ScenarioArg = str | Path | Mapping[str, Any]
_LOAD_HINT = (
    " To load scenario files into the test server, name them in the ini option"
    " `mockserver_scenarios` or with --mockserver-scenarios PATH (an external server: its"
    " --scenarios), or give .use() a file path or a dict."
)


class MockServer:
    def __init__(self, url: str, admin: AdminClient, search: Sequence[Path] = ()) -> None:
        self.url = url.rstrip("/")
        self.admin = admin
        self.api_key = f"sk-test-{uuid.uuid4().hex}"
        self.tenant = tenant_hash(self.api_key)  # how the journal names this test
        self._search = tuple(search)  # folders relative scenario paths are looked up in
        self._private: dict[str, str] = {}  # scenario name as written -> installed name
        self._clients: list[OpenAI] = []

    @property
    def base_url(self) -> str:
        """The OpenAI base URL (`OPENAI_BASE_URL`)."""
        return f"{self.url}/v1"

    def client(self, **kwargs: Any) -> OpenAI:
        """An official `openai.OpenAI` client for this test's tenant (closed after the test)."""
        with _needs_openai("client"):
            from openai import OpenAI

        sdk = OpenAI(base_url=self.base_url, api_key=self.api_key, **kwargs)
        self._clients.append(sdk)
        return sdk

    def async_client(self, **kwargs: Any) -> AsyncOpenAI:
        """An official `openai.AsyncOpenAI` client (use `async with` to close it in your loop)."""
        with _needs_openai("async_client"):
            from openai import AsyncOpenAI

        return AsyncOpenAI(base_url=self.base_url, api_key=self.api_key, **kwargs)

    # ---- scenarios ---------------------------------------------------------------------------

    def use(self, scenario: ScenarioArg, *, name: str | None = None) -> str:
        """Answer this test's requests with a scenario; the name it is served under.

        `scenario` is a loaded scenario's name, a file path (.yaml/.yml/.json), a dict, or
        YAML/JSON text. Files, dicts and texts are installed for this test only, under
        `NAME.TENANT` (NAME: `name`, else the scenario's own).
        """
        if isinstance(scenario, str) and _is_name(scenario):
            try:
                self.admin.bind(self.api_key, scenario)
            except NotFoundError as exc:
                if exc.code != "scenario_not_found":
                    raise
                raise NotFoundError(
                    exc.status, exc.message + _LOAD_HINT, exc.code, param=exc.param
                ) from None
            return scenario
        source = self._source(scenario)
        written = name or _name_in(source)
        installed = f"{(written or 'scenario')[:100]}.{self.tenant}"  # names: 128 chars at most
        self.admin.put_scenario(installed, source)
        self._private[written or installed] = installed
        self.admin.bind(self.api_key, installed)
        return installed

    def _source(self, scenario: ScenarioArg) -> ScenarioSource:
        if isinstance(scenario, Mapping):
            return scenario
        if isinstance(scenario, Path) or (
            "\n" not in scenario and scenario.strip().endswith(_FILE_SUFFIXES)
        ):
            return self._file(Path(scenario))
        return scenario

    def _file(self, path: Path) -> Path:
        candidates = [path] if path.is_absolute() else [d / path for d in self._search]
        for candidate in [*candidates, path]:
            if candidate.is_file():
                return candidate
        where = ", ".join(str(c) for c in candidates) or str(path)
        raise FileNotFoundError(f"no scenario file {path} (looked for {where})")

    # ---- the journal and assertions -----------------------------------------------------------

    def requests(self, **filters: Any) -> list[RequestEntry]:
        """This test's requests, oldest first (filters as in AdminClient.requests)."""
        __tracebackhide__ = True  # pytest shows the test's line, not ours
        if filters.get("scenario") in self._private:
            filters["scenario"] = self._private[filters["scenario"]]
        try:
            found = self.admin.requests(tenant=self.api_key, **filters)
        except NotFoundError as exc:
            if exc.code == "tenant_not_found":  # no request yet: nothing to list
                return []
            raise
        written = {installed: name for name, installed in self._private.items()}
        return [
            dataclasses.replace(e, scenario=written[e.scenario]) if e.scenario in written else e
            for e in found
        ]

    def assert_called(
        self, rule: str, times: int | None = None, *, scenario: str | None = None
    ) -> list[RequestEntry]:
        """Assert that `rule` answered this test's requests (exactly `times` times if given)."""
        __tracebackhide__ = True  # pytest shows the test's line, not ours
        try:
            found = self.requests(rule=rule, scenario=scenario)
        except NotFoundError as exc:
            raise AssertionError(exc.message) from None
        ok = bool(found) if times is None else len(found) == times
        if not ok:
            wanted = "at least once" if times is None else f"{times} time(s)"
            raise AssertionError(
                f"rule '{rule}' was expected to answer {wanted}, it answered {len(found)} "
                f"time(s).\n{self.describe()}"
            )
        return found

    def verify(self) -> Verification:
        """Assert that every `expect:` of the rules that answered this test was met."""
        __tracebackhide__ = True  # pytest shows the test's line, not ours
        try:
            result = self.admin.verify(tenant=self.api_key)
        except NotFoundError as exc:
            if exc.code != "tenant_not_found":
                raise
            return Verification(True, 0, (), "All expectations met.")
        if not result.ok:
            report = result.report
            for written, installed in self._private.items():  # the names the test used
                report = report.replace(f" {installed}/", f" {written}/")
            raise AssertionError(report)
        return result

    def conversations(self) -> list[ConversationInfo]:
        """This test's conversations (Conversations API), each with its items."""
        try:
            return self.admin.conversations(self.api_key)
        except NotFoundError as exc:
            if exc.code == "tenant_not_found":  # no request yet: no conversation
                return []
            raise

    def forget_conversations(self) -> int:
        """Forget this test's conversations (its responses and journal stay)."""
        with contextlib.suppress(NotFoundError):
            return self.admin.forget_conversations(self.api_key)
        return 0

    def describe(self) -> str:
        """This test's requests, one line each (for assertion messages)."""
        lines = [_line(entry) for entry in self.requests()]
        return "Requests of this test:\n" + ("\n".join(lines) if lines else "  (none)")

    def reset(self) -> None:
        """Forget this test's stored responses, counters, rate limits, binding and journal."""
        with contextlib.suppress(NotFoundError):
            self.admin.reset(tenant=self.api_key)

    def close(self) -> None:
        """End of the test: clients closed, tenant reset, private scenarios removed."""
        for sdk in self._clients:
            sdk.close()
        self.reset()
        for installed in self._private.values():
            with contextlib.suppress(NotFoundError):
                self.admin.delete_scenario(installed)


@contextlib.contextmanager
def _needs_openai(method: str) -> Iterator[None]:
    """A missing `openai` package is an error that says what to install."""
    try:
        yield
    except ModuleNotFoundError as exc:
        if exc.name != "openai" and not (exc.name or "").startswith("openai."):
            raise
        raise ModuleNotFoundError(
            f"mockserver.{method}() needs the official OpenAI SDK: pip install openai",
            name="openai",
        ) from exc


def _line(entry: RequestEntry) -> str:
    answered = f"{entry.scenario}/{entry.rule}" if entry.rule else entry.scenario or "generated"
    if entry.unmatched is not None:
        answered = f"{entry.scenario}: no rule matched"
    extra = f" ({entry.error})" if entry.error else ""
    if entry.conversation_id:
        extra += f" in {entry.conversation_id}"
    return f"  #{entry.seq} {entry.method} {entry.path} -> {entry.status}{extra} [{answered}]"


def _name_in(source: ScenarioSource) -> str | None:
    """The `name:` of a one-scenario source, to derive the private name (None: unknown)."""
    if isinstance(source, Path):
        source = source.read_text(encoding="utf-8")
    if isinstance(source, str):
        try:
            source = yaml.safe_load(source)
        except yaml.YAMLError:
            return None  # the server will report where, with its own message
    if isinstance(source, list) and len(source) == 1:
        source = source[0]
    name = source.get("name") if isinstance(source, Mapping) else None
    return name if isinstance(name, str) and _NAME.match(name) else None


def _is_name(text: str) -> bool:
    return bool(_NAME.match(text)) and not text.endswith(_FILE_SUFFIXES)
