"""serve options that the CLI resolves before the Config exists: the admin token file."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockserver.cli import build_parser, config_from_args, main
from mockserver.config import Config


def _config(*argv: str) -> Config:
    return config_from_args(build_parser().parse_args(["serve", *argv]))


def test_the_admin_token_can_come_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "token"
    secret.write_text("s3cret\n", encoding="utf-8")
    assert _config("--admin-token-file", str(secret)).admin_token == "s3cret"
    # An explicit token wins over the file.
    config = _config("--admin-token-file", str(secret), "--admin-token", "other")
    assert config.admin_token == "other"


def test_the_admin_token_file_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "token"
    secret.write_text("from-env", encoding="utf-8")
    monkeypatch.setenv("MOCKSERVER_ADMIN_TOKEN_FILE", str(secret))
    assert _config().admin_token == "from-env"


@pytest.mark.parametrize(("content", "says"), [(None, "cannot read"), ("  \n", "is empty")])
def test_a_bad_admin_token_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, says: str
) -> None:
    secret = tmp_path / "token"
    if content is not None:
        secret.write_text(content, encoding="utf-8")
    assert main(["serve", "--admin-token-file", str(secret)]) == 2
    assert says in capsys.readouterr().err
