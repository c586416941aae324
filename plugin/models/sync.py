"""The engine's durable state: twins (the merge base of each synced pair) and the sync queue.

The ``sync_job`` table is the source of truth for pending work and the ledger the admin page
shows: every job keeps its attempts, timings, outcome and, when it failed, the step, the
script line and the replica, so a user can act on it.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from plugin.extensions import db
from plugin.models.connection import Connection, _enum
from plugin.models.tenant import utcnow


class TwinState(enum.StrEnum):
    LINKED = "linked"
    UNLINKED = "unlinked"  # both issues kept, no longer synced


class Twin(db.Model):  # type: ignore[name-defined,misc]
    """Issue ``a_issue_id`` on side a and ``b_issue_id`` on side b, kept in step."""

    __tablename__ = "twin"
    __table_args__ = (
        UniqueConstraint("connection_id", "a_issue_id", name="uq_twin_a_issue"),
        UniqueConstraint("connection_id", "b_issue_id", name="uq_twin_b_issue"),
        UniqueConstraint("origin"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connection.id", ondelete="CASCADE"), index=True)
    state: Mapped[TwinState] = mapped_column(_enum(TwinState), default=TwinState.LINKED)
    # The origin marker the created issue carries: a retried create finds it instead of duplicating.
    origin: Mapped[str] = mapped_column(String(64))
    a_issue_id: Mapped[str | None] = mapped_column(String(64))
    a_issue_key: Mapped[str | None] = mapped_column(String(64))
    b_issue_id: Mapped[str | None] = mapped_column(String(64))
    b_issue_key: Mapped[str | None] = mapped_column(String(64))
    # Per side: the last replica that side sent, and the state we last applied to it (merge bases).
    a_sent: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    b_sent: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    a_applied: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    b_applied: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # {"a->b": {a_comment_id: {"id": b_comment_id, "hash": body digest}}, "b->a": ...}; also attachments.
    comment_map: Mapped[dict[str, dict[str, Any]]] = mapped_column(JSON, default=dict)
    attachment_map: Mapped[dict[str, dict[str, Any]]] = mapped_column(JSON, default=dict)
    conflicts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    connection: Mapped[Connection] = relationship()

    def issue_id(self, position: str) -> str | None:
        return self.a_issue_id if position == "a" else self.b_issue_id

    def issue_key(self, position: str) -> str | None:
        return self.a_issue_key if position == "a" else self.b_issue_key

    def set_issue(self, position: str, issue_id: str, key: str) -> None:
        if position == "a":
            self.a_issue_id, self.a_issue_key = issue_id, key
        else:
            self.b_issue_id, self.b_issue_key = issue_id, key

    def sent(self, position: str) -> dict[str, Any] | None:
        return self.a_sent if position == "a" else self.b_sent

    def set_sent(self, position: str, replica: dict[str, Any] | None) -> None:
        if position == "a":
            self.a_sent = replica
        else:
            self.b_sent = replica

    def applied(self, position: str) -> dict[str, Any] | None:
        return self.a_applied if position == "a" else self.b_applied

    def set_applied(self, position: str, state: dict[str, Any] | None) -> None:
        if position == "a":
            self.a_applied = state
        else:
            self.b_applied = state


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # fatal: this twin's queue stops until retried or resolved
    RESOLVED = "resolved"  # a failed job an admin dismissed


class JobKind(enum.StrEnum):
    SYNC = "sync"  # outgoing from the source side, incoming and apply on the other
    RESYNC = "resync"  # as sync; with options["hard"] every field is written, not only changed ones


class SyncJob(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "sync_job"
    __table_args__ = (Index("ix_sync_job_claim", "state", "connection_id", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connection.id", ondelete="CASCADE"), index=True)
    kind: Mapped[JobKind] = mapped_column(_enum(JobKind), default=JobKind.SYNC)
    source: Mapped[str] = mapped_column(String(1))  # the side the change came from: "a" or "b"
    issue_id: Mapped[str] = mapped_column(String(64))
    issue_key: Mapped[str | None] = mapped_column(String(64))
    twin_id: Mapped[int | None] = mapped_column(ForeignKey("twin.id", ondelete="SET NULL"))
    trigger: Mapped[str] = mapped_column(String(32), default="webhook")  # webhook, poll, manual, bulk…
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[JobState] = mapped_column(_enum(JobState), default=JobState.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    step: Mapped[str | None] = mapped_column(String(32))  # where it is, or where it failed
    outcome: Mapped[str | None] = mapped_column(Text)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # step, message, line, column, replica
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    duration_ms: Mapped[float | None] = mapped_column(Float)
    writes: Mapped[int] = mapped_column(Integer, default=0)  # API calls that changed something

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "connection_id": self.connection_id,
            "kind": self.kind.value,
            "source": self.source,
            "issue_id": self.issue_id,
            "issue_key": self.issue_key,
            "twin_id": self.twin_id,
            "trigger": self.trigger,
            "state": self.state.value,
            "attempts": self.attempts,
            "next_attempt_at": _iso(self.next_attempt_at),
            "step": self.step,
            "outcome": self.outcome,
            "error": self.error,
            "created_at": _iso(self.created_at),
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
            "duration_ms": self.duration_ms,
            "writes": self.writes,
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
