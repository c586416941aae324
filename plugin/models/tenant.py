"""A tenant: one Jira site that installed the app."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import DateTime, Enum, String
from sqlalchemy.orm import Mapped, mapped_column

from plugin.crypto import EncryptedText
from plugin.extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


class TenantState(enum.StrEnum):
    INSTALLED = "installed"
    ENABLED = "enabled"
    DISABLED = "disabled"
    UNINSTALLED = "uninstalled"


class Tenant(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "tenant"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_key: Mapped[str] = mapped_column(String(255), unique=True)
    base_url: Mapped[str] = mapped_column(String(512))
    display_url: Mapped[str | None] = mapped_column(String(512))
    product_type: Mapped[str] = mapped_column(String(32), default="jira")
    description: Mapped[str | None] = mapped_column(String(512))
    shared_secret: Mapped[str] = mapped_column(EncryptedText)
    oauth_client_id: Mapped[str | None] = mapped_column(String(255))
    cloud_id: Mapped[str | None] = mapped_column(String(255))
    state: Mapped[TenantState] = mapped_column(
        Enum(TenantState, native_enum=False, length=16), default=TenantState.INSTALLED
    )
    installed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    uninstalled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    purge_after: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def is_active(self) -> bool:
        return self.state in (TenantState.INSTALLED, TenantState.ENABLED)

    def __repr__(self) -> str:
        return f"<Tenant {self.client_key} {self.base_url} {self.state}>"
