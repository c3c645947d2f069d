"""A typed Python client of the admin API (/_mock/), sync and async.

    admin = AdminClient("http://127.0.0.1:8000")
    admin.put_scenario("weather", Path("scenarios/weather.yaml"))
    admin.bind("sk-test-1", "weather")
    for entry in admin.requests(tenant="sk-test-1"):
        print(entry.rule, entry.status, entry.body)

    async with AsyncAdminClient(url) as admin:
        report = await admin.verify(tenant="sk-test-1")

Each method describes its HTTP call once (a `Call`, in admin_calls.py); the two clients only
differ in how they send it: urllib in the sync one, so it works from any thread without an
event loop; aiohttp in the async one. Errors come back as `AdminError` with the server's
status, code and message (`NotFoundError` for 404s).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any, TypeVar

import aiohttp

from mockserver.testing.admin_calls import Call, Calls, Moment, ScenarioSource
from mockserver.testing.admin_types import (
    Binding,
    ConversationInfo,
    Health,
    RequestEntry,
    RequestPage,
    ScenarioInfo,
    Verification,
)

__all__ = ["AdminClient", "AdminError", "AsyncAdminClient", "NotFoundError", "ScenarioSource"]

T = TypeVar("T")


class AdminError(Exception):
    """The admin API refused a call (or could not be reached: status 0)."""

    def __init__(self, status: int, message: str, code: str | None = None, **extra: Any) -> None:
        super().__init__(f"{status} {code or 'error'}: {message}")
        self.status, self.message, self.code = status, message, code
        self.param: str | None = extra.get("param")
        self.problems: list[str] = list(extra.get("problems") or ())


class NotFoundError(AdminError):
    """404: no such tenant, scenario or rule (see .code)."""


def _error(status: int, raw: bytes) -> AdminError:
    try:
        err = json.loads(raw)["error"]
        message, code = str(err["message"]), err.get("code")
    except (ValueError, KeyError, TypeError):
        err, message, code = {}, raw.decode("utf-8", "replace")[:500], None
    kind = NotFoundError if status == 404 else AdminError
    return kind(status, message, code, param=err.get("param"), problems=err.get("problems"))


class _Base:
    def __init__(self, url: str, admin_token: str | None = None, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/").removesuffix("/v1")
        self.timeout = timeout
        self.headers = {"Accept": "application/json", "User-Agent": "mockserver-admin-client"}
        if admin_token:
            self.headers["X-Mock-Admin-Token"] = admin_token


class AdminClient(_Base):
    """Blocking client (urllib): safe from any thread, needs no event loop."""

    def run(self, call: Call[T]) -> T:
        headers = {**self.headers, "Content-Type": call.content_type}
        request = urllib.request.Request(
            call.target(self.url), call.body, headers, method=call.method
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                return call.read(json.loads(answer.read()))
        except urllib.error.HTTPError as exc:
            with exc:
                raise _error(exc.code, exc.read()) from None
        except (urllib.error.URLError, OSError) as exc:
            raise AdminError(0, f"cannot reach the mock at {self.url}: {exc}") from exc

    def health(self) -> Health:
        return self.run(Calls.health())

    def scenarios(self) -> list[ScenarioInfo]:
        return self.run(Calls.scenarios())

    def scenario(self, name: str) -> ScenarioInfo:
        return self.run(Calls.scenario(name))

    def add_scenarios(self, source: ScenarioSource) -> list[ScenarioInfo]:
        return self.run(Calls.add_scenarios(source))

    def put_scenario(self, name: str, source: ScenarioSource) -> ScenarioInfo:
        return self.run(Calls.put_scenario(name, source))

    def delete_scenario(self, name: str) -> bool:
        return self.run(Calls.delete_scenario(name))

    def bind(self, tenant: str, scenario: str) -> Binding:
        return self.run(Calls.bind(tenant, scenario))

    def binding(self, tenant: str) -> Binding:
        return self.run(Calls.binding(tenant))

    def unbind(self, tenant: str) -> Binding:
        return self.run(Calls.unbind(tenant))

    def requests(
        self,
        *,
        tenant: str | None = None,
        scenario: str | None = None,
        rule: str | None = None,
        unmatched: bool | None = None,
        violations: bool | None = None,
        since: Moment | None = None,
        until: Moment | None = None,
        limit: int | None = None,
    ) -> list[RequestEntry]:
        """The journal, oldest first; `tenant` is the API key (the server hashes it). Read a
        page at a time (the server pages large listings)."""
        filters = _filters(locals())
        found: list[RequestEntry] = []
        call: Call[RequestPage] | None = Calls.requests(**filters)
        while call is not None:
            page = self.run(call)
            found += page.entries
            call = Calls.next_requests(filters, page, len(found))
        return found

    def clear_requests(self, tenant: str | None = None) -> int:
        return self.run(Calls.clear_requests(tenant))

    def reset(self, tenant: str | None = None) -> int:
        return self.run(Calls.reset(tenant))

    def conversations(self, tenant: str) -> list[ConversationInfo]:
        """The tenant's conversations (Conversations API) with their items."""
        return self.run(Calls.conversations(tenant))

    def forget_conversations(self, tenant: str) -> int:
        """Forget the tenant's conversations; how many there were."""
        return self.run(Calls.forget_conversations(tenant))

    def verify(self, tenant: str | None = None) -> Verification:
        return self.run(Calls.verify(tenant))


def _filters(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k != "self"}


class AsyncAdminClient(_Base):
    """aiohttp client; use `async with`, or call `aclose()` when done."""

    def __init__(self, url: str, admin_token: str | None = None, timeout: float = 30.0) -> None:
        super().__init__(url, admin_token, timeout)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> AsyncAdminClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def run(self, call: Call[T]) -> T:
        if self._session is None:
            timeout = aiohttp.ClientTimeout(total=self.timeout)
            self._session = aiohttp.ClientSession(headers=self.headers, timeout=timeout)
        headers = {"Content-Type": call.content_type}
        try:
            async with self._session.request(
                call.method, call.target(self.url), data=call.body, headers=headers
            ) as answer:
                raw = await answer.read()
        except aiohttp.ClientError as exc:
            raise AdminError(0, f"cannot reach the mock at {self.url}: {exc}") from exc
        if answer.status >= 400:
            raise _error(answer.status, raw)
        return call.read(json.loads(raw))

    async def health(self) -> Health:
        return await self.run(Calls.health())

    async def scenarios(self) -> list[ScenarioInfo]:
        return await self.run(Calls.scenarios())

    async def scenario(self, name: str) -> ScenarioInfo:
        return await self.run(Calls.scenario(name))

    async def add_scenarios(self, source: ScenarioSource) -> list[ScenarioInfo]:
        return await self.run(Calls.add_scenarios(source))

    async def put_scenario(self, name: str, source: ScenarioSource) -> ScenarioInfo:
        return await self.run(Calls.put_scenario(name, source))

    async def delete_scenario(self, name: str) -> bool:
        return await self.run(Calls.delete_scenario(name))

    async def bind(self, tenant: str, scenario: str) -> Binding:
        return await self.run(Calls.bind(tenant, scenario))

    async def binding(self, tenant: str) -> Binding:
        return await self.run(Calls.binding(tenant))

    async def unbind(self, tenant: str) -> Binding:
        return await self.run(Calls.unbind(tenant))

    async def requests(
        self,
        *,
        tenant: str | None = None,
        scenario: str | None = None,
        rule: str | None = None,
        unmatched: bool | None = None,
        violations: bool | None = None,
        since: Moment | None = None,
        until: Moment | None = None,
        limit: int | None = None,
    ) -> list[RequestEntry]:
        filters = _filters(locals())
        found: list[RequestEntry] = []
        call: Call[RequestPage] | None = Calls.requests(**filters)
        while call is not None:
            page = await self.run(call)
            found += page.entries
            call = Calls.next_requests(filters, page, len(found))
        return found

    async def clear_requests(self, tenant: str | None = None) -> int:
        return await self.run(Calls.clear_requests(tenant))

    async def reset(self, tenant: str | None = None) -> int:
        return await self.run(Calls.reset(tenant))

    async def conversations(self, tenant: str) -> list[ConversationInfo]:
        return await self.run(Calls.conversations(tenant))

    async def forget_conversations(self, tenant: str) -> int:
        return await self.run(Calls.forget_conversations(tenant))

    async def verify(self, tenant: str | None = None) -> Verification:
        return await self.run(Calls.verify(tenant))
