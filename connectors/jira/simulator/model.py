"""In-memory records of one simulated Jira site (plain dataclasses; the Site owns the lock)."""

from __future__ import annotations

import collections
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def utcnow() -> datetime:
    return datetime.now(UTC)


def jira_time(value: datetime | None) -> str | None:
    """Jira's timestamp format: ``2026-11-23T10:00:00.000+0000``."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


@dataclass
class User:
    account_id: str
    display_name: str
    email: str | None
    api_token: str | None = None
    account_type: str = "atlassian"
    email_hidden: bool = False
    active: bool = True


@dataclass(frozen=True)
class StatusDef:
    id: str
    name: str
    category: str  # new | indeterminate | done


@dataclass(frozen=True)
class TransitionDef:
    id: str
    name: str
    to: str
    sources: tuple[str, ...] = ()  # empty: available from every status (a global transition)
    required_fields: tuple[str, ...] = ()


@dataclass
class Workflow:
    statuses: list[StatusDef]
    transitions: list[TransitionDef]

    @property
    def initial(self) -> StatusDef:
        return self.statuses[0]

    def status(self, name: str) -> StatusDef | None:
        return next((s for s in self.statuses if s.name.casefold() == name.casefold()), None)

    def available(self, current: str) -> list[TransitionDef]:
        return [t for t in self.transitions if not t.sources or current in t.sources]


@dataclass
class Project:
    id: str
    key: str
    name: str
    workflow: Workflow
    lead: str
    next_number: int = 1


@dataclass
class ChangeItem:
    field: str
    from_value: str | None
    from_string: str | None
    to_value: str | None
    to_string: str | None
    fieldtype: str = "jira"
    field_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        # The spec declares these strings non-nullable, so an absent value is an absent key.
        data = {
            "field": self.field,
            "fieldtype": self.fieldtype,
            "fieldId": self.field_id or self.field,
            "from": self.from_value,
            "fromString": self.from_string,
            "to": self.to_value,
            "toString": self.to_string,
        }
        return {key: value for key, value in data.items() if value is not None}


@dataclass
class ChangeGroup:
    id: str
    author: str
    created: datetime
    items: list[ChangeItem]


@dataclass
class Comment:
    id: str
    issue_id: str
    author: str
    body: dict[str, Any]
    created: datetime
    updated: datetime
    update_author: str
    visibility: dict[str, Any] | None = None


@dataclass
class Attachment:
    id: str
    issue_id: str
    filename: str
    mime_type: str
    content: bytes
    author: str
    created: datetime


@dataclass
class RemoteLink:
    id: int
    global_id: str | None
    body: dict[str, Any]


@dataclass
class Issue:
    id: str
    key: str
    project_key: str
    fields: dict[str, Any]  # internal values: ids, account ids, names, ADF
    created: datetime
    updated: datetime
    creator: str
    status: str
    resolution: str | None = None
    resolution_date: datetime | None = None
    changelog: list[ChangeGroup] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)
    remote_links: list[RemoteLink] = field(default_factory=list)


@dataclass
class Stats:
    writes: int = 0
    creates: int = 0
    calls: collections.Counter[str] = field(default_factory=collections.Counter)
    webhooks_delivered: int = 0
    webhooks_dropped: int = 0
    webhooks_failed: int = 0
    webhooks_rejected: int = 0
    webhooks_retried: int = 0
    faults_injected: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "writes": self.writes,
            "creates": self.creates,
            "calls": dict(self.calls),
            "webhooks_delivered": self.webhooks_delivered,
            "webhooks_dropped": self.webhooks_dropped,
            "webhooks_failed": self.webhooks_failed,
            "webhooks_rejected": self.webhooks_rejected,
            "webhooks_retried": self.webhooks_retried,
            "faults_injected": self.faults_injected,
        }


@dataclass
class WebhookModule:
    event: str
    url: str
    filter: str | None = None
    exclude_body: bool = False


@dataclass
class Installation:
    app_key: str
    client_key: str
    shared_secret: str
    oauth_client_id: str
    app_base_url: str
    descriptor: dict[str, Any]
    app_user: str
    scopes: tuple[str, ...]
    webhooks: list[WebhookModule]
    enabled: bool = True


@dataclass
class Event:
    """A state change, as webhooks see it (built while the site lock is held)."""

    name: str  # jira:issue_created, comment_created, ...
    issue: Issue
    actor: str
    changelog: ChangeGroup | None = None
    comment: Comment | None = None
    attachment: Attachment | None = None
    issue_event_type_name: str | None = None
    timestamp: datetime = field(default_factory=utcnow)
