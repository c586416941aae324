"""Connections, their two sides, the sides' script versions, and invitation codes.

A connection pairs two sides. A side is either a tenant of this server (a Jira site that
installed the app; its admin owns that side's rules) or a connector with credentials (a site
without the app, a GitHub repo…; the inviting tenant's admin owns its rules). Each side
keeps its own outgoing and incoming scripts, versioned; the active version is a pointer, so
publishing and rolling back are one atomic update.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from plugin.crypto import EncryptedText
from plugin.extensions import db
from plugin.models.tenant import Tenant, utcnow


class ConnectionState(enum.StrEnum):
    PENDING = "pending"  # invitation not yet accepted
    ACTIVE = "active"
    PAUSED = "paused"  # changes queue up and flow when resumed
    ERROR = "error"


class SyncMode(enum.StrEnum):
    BASIC = "basic"
    VISUAL = "visual"
    SCRIPT = "script"


class DeletePolicy(enum.StrEnum):
    UNLINK = "unlink"
    DELETE_TWIN = "delete_twin"
    IGNORE = "ignore"


class Direction(enum.StrEnum):
    OUTGOING = "outgoing"
    INCOMING = "incoming"


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class Connection(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "connection"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    state: Mapped[ConnectionState] = mapped_column(_enum(ConnectionState), default=ConnectionState.PENDING)
    owner_tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True)
    delete_policy: Mapped[DeletePolicy] = mapped_column(_enum(DeletePolicy), default=DeletePolicy.UNLINK)
    state_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    # One worker at a time works a connection's queue: that is what keeps each twin's jobs in
    # order across threads and machines. Taken by compare-and-set, expires if a worker dies.
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    owner_tenant: Mapped[Tenant] = relationship()
    sides: Mapped[list[Side]] = relationship(
        back_populates="connection", cascade="all, delete-orphan", order_by="Side.position"
    )

    def side(self, position: str) -> Side:
        for side in self.sides:
            if side.position == position:
                return side
        raise KeyError(position)

    def other(self, side: Side) -> Side:
        return self.side("b" if side.position == "a" else "a")

    def side_of_tenant(self, tenant_id: int) -> Side | None:
        """The side whose rules ``tenant_id``'s admin owns (None: not a party to it)."""
        for side in self.sides:
            if side.owner_tenant_id == tenant_id:
                return side
        return None


class Side(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "side"
    __table_args__ = (UniqueConstraint("connection_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connection.id", ondelete="CASCADE"), index=True)
    position: Mapped[str] = mapped_column(String(1))  # "a" (inviter) or "b"
    # A tenant side: the Jira site that installed the app. None for a connector side.
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True)
    # Whose admin owns this side's rules: the tenant itself, or the inviter for connector sides.
    owner_tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"))
    connector_type: Mapped[str] = mapped_column(String(32), default="jira")
    # Connector sides: {"base_url", "email", "api_token"} (or OAuth tokens), encrypted at rest.
    connector_config: Mapped[str | None] = mapped_column(EncryptedText)
    project_key: Mapped[str | None] = mapped_column(String(64))
    trigger_query: Mapped[str | None] = mapped_column(Text)
    sends: Mapped[bool] = mapped_column(Boolean, default=True)  # its changes leave this side
    receives: Mapped[bool] = mapped_column(Boolean, default=True)  # the other side's changes apply here
    mode: Mapped[SyncMode] = mapped_column(_enum(SyncMode), default=SyncMode.BASIC)
    visual_mapping: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    outgoing_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("script_version.id", use_alter=True, ondelete="SET NULL")
    )
    incoming_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("script_version.id", use_alter=True, ondelete="SET NULL")
    )
    poll_watermark: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Users the other side names that email cannot match here: {their account id: ours}, and who
    # gets an issue when nobody matches (None: leave it unassigned).
    user_map: Mapped[dict[str, str] | None] = mapped_column(JSON)
    default_account_id: Mapped[str | None] = mapped_column(String(128))

    connection: Mapped[Connection] = relationship(back_populates="sides")
    tenant: Mapped[Tenant | None] = relationship(foreign_keys=[tenant_id])
    outgoing_version: Mapped[ScriptVersion | None] = relationship(foreign_keys=[outgoing_version_id])
    incoming_version: Mapped[ScriptVersion | None] = relationship(foreign_keys=[incoming_version_id])


class ScriptVersion(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "script_version"
    __table_args__ = (UniqueConstraint("side_id", "direction", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    side_id: Mapped[int] = mapped_column(ForeignKey("side.id", ondelete="CASCADE"), index=True)
    direction: Mapped[Direction] = mapped_column(_enum(Direction))
    number: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    source_hash: Mapped[str] = mapped_column(String(64))
    mode: Mapped[SyncMode] = mapped_column(_enum(SyncMode))  # the mode that produced it
    author_account_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Invitation(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connection.id", ondelete="CASCADE"), index=True)
    # Only a hash of the code is stored; the code itself is shown once to the inviting admin.
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    used_by_tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.id", ondelete="SET NULL"))
