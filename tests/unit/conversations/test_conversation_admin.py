"""The admin API and the pytest harness inspect and forget a tenant's conversations."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from openai import OpenAI

from mockserver.config import Config
from mockserver.testing.admin_client import AdminClient, NotFoundError
from mockserver.testing.harness import MockServer
from mockserver.testing.inprocess import ServerThread


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    with ServerThread(Config(port=0, seed=5, max_stored=3)) as running:
        yield running


def test_the_harness_shows_and_forgets_this_tests_conversations(server: ServerThread) -> None:
    mock = MockServer(server.url, AdminClient(server.url))
    assert mock.conversations() == []  # no request yet: nothing, no error
    with mock.client() as sdk:
        conv = sdk.conversations.create(metadata={"case": "admin"})
        sdk.responses.create(model="gpt-4o", input="hello", conversation=conv.id)
    (info,) = mock.conversations()
    assert (info.id, info.metadata, info.compactions) == (conv.id, {"case": "admin"}, 0)
    assert [(i["type"], i["role"]) for i in info.items] == [
        ("message", "user"),
        ("message", "assistant"),
    ]
    assert mock.forget_conversations() == 1
    assert mock.conversations() == []
    with mock.client() as sdk, pytest.raises(Exception, match="not found"):
        sdk.conversations.retrieve(conv.id)
    mock.close()


def test_another_tenant_is_not_shown(server: ServerThread) -> None:
    admin = AdminClient(server.url)
    with OpenAI(base_url=server.base_url, api_key="tenant-a", max_retries=0) as sdk:
        sdk.conversations.create()
    assert len(admin.conversations("tenant-a")) == 1
    with pytest.raises(NotFoundError) as info:
        admin.conversations("tenant-never-seen")
    assert info.value.code == "tenant_not_found"
    admin.reset("tenant-a")  # a tenant reset forgets its conversations too
    with pytest.raises(NotFoundError):
        admin.conversations("tenant-a")


def test_the_server_keeps_at_most_max_stored_conversations(server: ServerThread) -> None:
    admin = AdminClient(server.url)
    with OpenAI(base_url=server.base_url, api_key="tenant-cap", max_retries=0) as sdk:
        made = [sdk.conversations.create().id for _ in range(5)]
    kept = [c.id for c in admin.conversations("tenant-cap")]
    assert kept == made[-3:]  # --max-stored 3: the oldest went first
    admin.reset("tenant-cap")
