"""The contract every connector implements.

A connector is one tracker seen through the normalized model (:mod:`connectors.model`).
Subclasses implement the small primitives (``fetch_page``, ``create_issue`` …); the
orchestration methods that the sync engine calls (``iter_issues``, ``create_issue_once``) are
final, so every connector paginates, deduplicates and reports errors the same way.

Errors are grouped by what the caller does with them:

- :class:`RetriableError` — try again later (429, 5xx, timeouts); carries ``retry_after``.
- :class:`FatalError` — stop this twin's queue until an admin acts (bad credentials, a
  required field the rules do not fill, a workflow that cannot reach the status).
- :class:`SkippableError` — this one item cannot be synced, the rest can (deleted issue,
  attachment over the size limit).
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO, Any, ClassVar, final

from connectors.model import Attachment, Comment, Issue, User


class Capability(enum.Enum):
    WEBHOOKS = "webhooks"
    COMMENTS = "comments"
    COMMENT_EDIT = "comment_edit"
    ATTACHMENTS = "attachments"
    TRANSITIONS = "transitions"
    HIERARCHY = "hierarchy"
    CUSTOM_FIELDS = "custom_fields"
    ORIGIN_MARKER = "origin_marker"
    REMOTE_LINKS = "remote_links"
    IMPERSONATION = "impersonation"
    CHANGELOG = "changelog"
    USER_LOOKUP = "user_lookup"


class ConnectorError(Exception):
    """Base of every connector error; ``status`` is the remote HTTP status when known."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class RetriableError(ConnectorError):
    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class FatalError(ConnectorError):
    pass


class SkippableError(ConnectorError):
    pass


class NotFoundError(SkippableError):
    pass


class ConfigError(FatalError):
    """The connector's configuration is invalid; ``errors`` lists every problem at once."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass
class Page:
    issues: list[Issue]
    next_token: str | None = None


@dataclass
class IssueChanges:
    """Fields to write, in the normalized vocabulary; only set fields are sent.

    ``status`` is reached through the workflow, never written directly; ``parent`` is a key
    on the target system; ``assignee``/``reporter`` are resolved users (``None`` clears).
    """

    fields: dict[str, Any] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.fields)


class Connector(abc.ABC):
    """One tracker, one set of credentials. Thread-safe: the engine shares one per side."""

    name: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    page_size: ClassVar[int] = 100

    @classmethod
    def validate_config(cls, config: Mapping[str, Any]) -> list[str]:
        """Every problem with ``config`` at once (empty when valid)."""
        return []

    @final
    @classmethod
    def check_config(cls, config: Mapping[str, Any]) -> None:
        errors = cls.validate_config(config)
        if errors:
            raise ConfigError(errors)

    @final
    def supports(self, capability: Capability) -> bool:
        return capability in self.capabilities

    # -- reading ------------------------------------------------------------------------

    @abc.abstractmethod
    def get_issue(self, issue_id: str) -> Issue:
        """The issue with comments and attachment metadata; :class:`NotFoundError` if gone."""

    @abc.abstractmethod
    def fetch_page(
        self, query: str, *, updated_since: datetime | None, page_token: str | None, page_size: int
    ) -> Page:
        """One page of issues matching ``query`` (the system's own query language)."""

    @final
    def iter_issues(
        self, query: str, *, updated_since: datetime | None = None, page_size: int | None = None
    ) -> Iterator[Issue]:
        token: str | None = None
        while True:
            page = self.fetch_page(
                query,
                updated_since=updated_since,
                page_token=token,
                page_size=page_size or self.page_size,
            )
            yield from page.issues
            token = page.next_token
            if not token:
                return

    def matches(self, query: str, issue: Issue) -> bool:
        """Whether ``issue`` matches ``query`` now (a trigger check).

        This default scans the query narrowed to recently updated issues; connectors whose query
        language can name one issue override it with a single cheap call.
        """
        since = issue.updated - timedelta(minutes=2) if issue.updated else None
        return any(found.id == issue.id for found in self.iter_issues(query, updated_since=since))

    @abc.abstractmethod
    def find_by_origin(self, origin: str) -> Issue | None:
        """The issue created with this origin marker, if any (for idempotent creates)."""

    # -- writing ------------------------------------------------------------------------

    @abc.abstractmethod
    def create_issue(self, project: str, issue_type: str, changes: IssueChanges, origin: str) -> Issue:
        """Create an issue carrying ``origin`` as its marker."""

    @final
    def create_issue_once(self, project: str, issue_type: str, changes: IssueChanges, origin: str) -> Issue:
        """Create unless an earlier attempt (whose response was lost) already did."""
        existing = self.find_by_origin(origin)
        if existing is not None:
            return existing
        return self.create_issue(project, issue_type, changes, origin)

    @abc.abstractmethod
    def update_issue(self, issue_id: str, changes: IssueChanges) -> None: ...

    @abc.abstractmethod
    def transition(self, issue_id: str, status: str) -> None:
        """Move the issue to ``status`` by name; :class:`FatalError` if unreachable."""

    @abc.abstractmethod
    def delete_issue(self, issue_id: str) -> None: ...

    # -- comments, attachments, users, links (by capability) ------------------------------

    def add_comment(self, issue_id: str, body: str, *, author: User | None = None) -> Comment:
        raise FatalError(f"{self.name} does not support comments")

    def update_comment(self, issue_id: str, comment_id: str, body: str) -> Comment:
        raise FatalError(f"{self.name} does not support editing comments")

    def delete_comment(self, issue_id: str, comment_id: str) -> None:
        raise FatalError(f"{self.name} does not support deleting comments")

    def upload_attachment(
        self, issue_id: str, filename: str, content: IO[bytes], mime_type: str
    ) -> Attachment:
        raise FatalError(f"{self.name} does not support attachments")

    def download_attachment(self, attachment_id: str) -> Iterator[bytes]:
        raise FatalError(f"{self.name} does not support attachments")

    def delete_attachment(self, attachment_id: str) -> None:
        raise FatalError(f"{self.name} does not support attachments")

    def find_user(self, *, email: str | None = None, account_id: str | None = None) -> User | None:
        return None

    def add_remote_link(self, issue_id: str, url: str, title: str, global_id: str) -> None:
        """Show the twin in the tracker's own UI; idempotent per ``global_id``.

        Trackers without remote links simply do not show the twin, so the default does nothing.
        """
        return None
