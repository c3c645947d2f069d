"""The pytest plugin's public entry point (`pytest11`); it lives in mockserver.testing."""

from mockserver.testing.pytest_plugin import (
    MARKER,
    TOKEN_ENV,
    URL_ENV,
    SharedServer,
    mockserver,
    mockserver_env,
    mockserver_session,
    pytest_addoption,
    pytest_configure,
)

__all__ = [
    "MARKER",
    "TOKEN_ENV",
    "URL_ENV",
    "SharedServer",
    "mockserver",
    "mockserver_env",
    "mockserver_session",
    "pytest_addoption",
    "pytest_configure",
]
