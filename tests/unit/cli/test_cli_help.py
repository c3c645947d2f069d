"""`mockserver serve --help`: a description, every option's default and its MOCKSERVER_* name."""

from __future__ import annotations

import re

import pytest

from mockserver.cli import SERVE_OPTIONS, env_name, main


def _serve_help(capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as info:
        main(["serve", "--help"])
    assert info.value.code == 0
    return " ".join(capsys.readouterr().out.split())  # argparse wraps lines: compare words


def test_serve_help_has_a_description(capsys: pytest.CaptureFixture[str]) -> None:
    text = _serve_help(capsys)
    assert "Run the mock OpenAI Responses API server" in text
    assert "MOCKSERVER_" in text.split("options:")[0]  # the description explains the variables


def test_serve_help_shows_each_default_and_env_name(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for _flag, field, *_ in SERVE_OPTIONS:
        monkeypatch.delenv(env_name(field), raising=False)
    text = _serve_help(capsys)
    for flag, field, *_ in SERVE_OPTIONS:
        entry = re.search(re.escape(flag) + r"\b.*?\[env " + env_name(field) + r"\]", text)
        assert entry is not None, flag
        assert "default: " in entry.group(0), flag
    assert (
        "--port PORT port to listen on (0: any free port); default: 8000 [env MOCKSERVER_PORT]"
        in text
    )
    assert "address to listen on; default: 127.0.0.1" in text
    assert "--reload watch scenario files and reload good changes; default: off" in text
