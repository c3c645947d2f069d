"""The admin API client's public import path; it lives in mockserver.testing.admin_client."""

from mockserver.testing.admin_client import (
    AdminClient,
    AdminError,
    AsyncAdminClient,
    NotFoundError,
    ScenarioSource,
)

__all__ = ["AdminClient", "AdminError", "AsyncAdminClient", "NotFoundError", "ScenarioSource"]
