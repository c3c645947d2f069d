"""The harness says what to do: a scenario that is not loaded, a client without `openai`."""

from __future__ import annotations

import builtins
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from mockserver.config import Config
from mockserver.testing.admin_client import AdminClient, NotFoundError
from mockserver.testing.harness import MockServer
from mockserver.testing.inprocess import ServerThread


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    with ServerThread(Config(port=0, seed=4)) as running:
        yield running


def test_use_of_a_scenario_not_loaded_says_how_to_load_it(server: ServerThread) -> None:
    mock = MockServer(server.url, AdminClient(server.url))
    with pytest.raises(NotFoundError) as info:
        mock.use("weather-agent")
    assert info.value.code == "scenario_not_found"
    message = str(info.value)
    assert "No scenario named 'weather-agent'. Loaded scenarios: none." in message
    assert "mockserver_scenarios" in message
    assert "--mockserver-scenarios" in message
    assert "a file path or a dict" in message


@pytest.fixture
def no_openai(monkeypatch: pytest.MonkeyPatch) -> None:
    """`import openai` fails as it does where the package is not installed."""
    real_import = builtins.__import__

    def fake_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "openai" or name.startswith("openai."):
            raise ModuleNotFoundError(f"No module named '{name}'", name=name)
        return real_import(name, *args, **kwargs)

    for module in [m for m in sys.modules if m == "openai" or m.startswith("openai.")]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.setattr(builtins, "__import__", fake_import)


@pytest.mark.usefixtures("no_openai")
@pytest.mark.parametrize("method", ["client", "async_client"])
def test_a_client_without_openai_says_what_to_install(method: str) -> None:
    mock = MockServer("http://127.0.0.1:9", AdminClient("http://127.0.0.1:9"))
    with pytest.raises(ModuleNotFoundError, match="pip install openai") as info:
        getattr(mock, method)()
    assert info.value.name == "openai"
