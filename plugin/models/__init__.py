"""SQLAlchemy 2.0 typed models. Import every model module here so metadata is complete."""

from __future__ import annotations

from plugin.models.connection import (
    Connection,
    ConnectionState,
    DeletePolicy,
    Direction,
    Invitation,
    ScriptVersion,
    Side,
    SyncMode,
)
from plugin.models.sync import JobKind, JobState, SyncJob, Twin, TwinState
from plugin.models.tenant import Tenant, TenantState

__all__ = [
    "Connection",
    "ConnectionState",
    "DeletePolicy",
    "Direction",
    "Invitation",
    "JobKind",
    "JobState",
    "ScriptVersion",
    "Side",
    "SyncJob",
    "SyncMode",
    "Tenant",
    "TenantState",
    "Twin",
    "TwinState",
]
