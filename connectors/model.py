"""The normalized issue every connector reads and writes.

One shape for every tracker: Jira, GitHub, GitLab, Azure DevOps. Text is Markdown (each
connector converts its own rich text), users carry whatever identities the system exposes,
and custom fields are keyed by their id with their display names alongside. ``to_dict`` is
the plain-JSON form that sync scripts see and replicas carry.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class User:
    account_id: str | None = None
    email: str | None = None
    display_name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> User | None:
        if not data:
            return None
        return cls(data.get("account_id"), data.get("email"), data.get("display_name"))


@dataclass
class Comment:
    id: str
    body: str
    author: User | None = None
    created: datetime | None = None
    updated: datetime | None = None
    internal: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "body": self.body,
            "author": self.author.to_dict() if self.author else None,
            "created": _iso(self.created),
            "updated": _iso(self.updated),
            "internal": self.internal,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Comment:
        return cls(
            id=str(data["id"]),
            body=data.get("body") or "",
            author=User.from_dict(data.get("author")),
            created=_parse(data.get("created")),
            updated=_parse(data.get("updated")),
            internal=bool(data.get("internal", False)),
        )


@dataclass
class Attachment:
    id: str
    filename: str
    size: int
    mime_type: str = "application/octet-stream"
    created: datetime | None = None
    author: User | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "filename": self.filename,
            "size": self.size,
            "mime_type": self.mime_type,
            "created": _iso(self.created),
            "author": self.author.to_dict() if self.author else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Attachment:
        return cls(
            id=str(data["id"]),
            filename=data["filename"],
            size=int(data.get("size") or 0),
            mime_type=data.get("mime_type") or "application/octet-stream",
            created=_parse(data.get("created")),
            author=User.from_dict(data.get("author")),
        )


@dataclass
class Issue:
    """An issue as every connector reports it. ``id`` is stable; ``key`` may change on move."""

    id: str
    key: str
    project: str
    type: str
    summary: str
    description: str = ""
    status: str | None = None
    priority: str | None = None
    labels: list[str] = field(default_factory=list)
    assignee: User | None = None
    reporter: User | None = None
    parent: str | None = None
    custom: dict[str, Any] = field(default_factory=dict)
    custom_names: dict[str, str] = field(default_factory=dict)
    created: datetime | None = None
    updated: datetime | None = None
    comments: list[Comment] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    url: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "key": self.key,
            "project": self.project,
            "type": self.type,
            "summary": self.summary,
            "description": self.description,
            "status": self.status,
            "priority": self.priority,
            "labels": list(self.labels),
            "assignee": self.assignee.to_dict() if self.assignee else None,
            "reporter": self.reporter.to_dict() if self.reporter else None,
            "parent": self.parent,
            "custom": dict(self.custom),
            "custom_names": dict(self.custom_names),
            "created": _iso(self.created),
            "updated": _iso(self.updated),
            "comments": [c.to_dict() for c in self.comments],
            "attachments": [a.to_dict() for a in self.attachments],
            "url": self.url,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Issue:
        return cls(
            id=str(data["id"]),
            key=data["key"],
            project=data["project"],
            type=data["type"],
            summary=data.get("summary") or "",
            description=data.get("description") or "",
            status=data.get("status"),
            priority=data.get("priority"),
            labels=list(data.get("labels") or []),
            assignee=User.from_dict(data.get("assignee")),
            reporter=User.from_dict(data.get("reporter")),
            parent=data.get("parent"),
            custom=dict(data.get("custom") or {}),
            custom_names=dict(data.get("custom_names") or {}),
            created=_parse(data.get("created")),
            updated=_parse(data.get("updated")),
            comments=[Comment.from_dict(c) for c in data.get("comments") or []],
            attachments=[Attachment.from_dict(a) for a in data.get("attachments") or []],
            url=data.get("url"),
        )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
