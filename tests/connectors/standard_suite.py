"""The standard contract every connector passes, against its simulator and against the real thing.

Subclass :class:`ConnectorContract` in a ``Test*`` class and implement the hooks below (the
"abstract fixtures"); pytest then runs every ``test_*`` method here against your connector.
See docs/connectors.md ("The standard suite") for a complete example.

Hooks a subclass implements:

- ``make_connector()`` — a connector with good credentials (closed by the suite);
- ``make_bad_connector()`` — the same site with wrong credentials;
- ``project`` / ``issue_type`` — where the suite creates issues;
- ``reachable_status`` / ``unreachable_status`` — a status one transition away from a new
  issue, and one that a new issue cannot reach in one step;
- ``edit_cases()`` — field name -> value pairs to write and read back through ``Issue``;
- ``query_for_label(label)`` — the system's query selecting issues that carry ``label``;
- ``missing_issue_id`` — an id no issue has;
- ``count_creates()`` — how many issues the backing store has created so far (a simulator
  counter, or a search on a real site);
- ``bulk_create(count, label)`` — create ``count`` issues with ``label`` quickly (simulator
  helpers); the default creates them one by one through the connector;
- ``throttle(per_second, retry_after)`` — a context manager making the backing store rate
  limit; return ``None`` where that cannot be arranged (a real site) and the test is skipped.
"""

from __future__ import annotations

import abc
import io
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest

from connectors.base import Connector, FatalError, IssueChanges, NotFoundError
from connectors.model import Issue


class ConnectorContract(abc.ABC):
    project: ClassVar[str]
    issue_type: ClassVar[str]
    reachable_status: ClassVar[str]
    unreachable_status: ClassVar[str]
    missing_issue_id: ClassVar[str] = "999999999"
    paging_total: ClassVar[int] = 260

    # ------------------------------------------------------------------ hooks

    @abc.abstractmethod
    def make_connector(self) -> Connector: ...

    @abc.abstractmethod
    def make_bad_connector(self) -> Connector: ...

    @abc.abstractmethod
    def edit_cases(self) -> dict[str, Any]: ...

    @abc.abstractmethod
    def query_for_label(self, label: str) -> str: ...

    @abc.abstractmethod
    def count_creates(self) -> int: ...

    def bulk_create(self, connector: Connector, count: int, label: str) -> None:
        for index in range(count):
            changes = IssueChanges({"summary": f"bulk {index}", "labels": [label]})
            connector.create_issue(self.project, self.issue_type, changes, f"bulk-{label}-{index}")

    def throttle(self, per_second: float, retry_after: float) -> AbstractContextManager[None] | None:
        return None

    # ------------------------------------------------------------------ fixtures and helpers

    @pytest.fixture
    def connector(self) -> Iterator[Connector]:
        connector = self.make_connector()
        try:
            yield connector
        finally:
            _close(connector)

    @pytest.fixture
    def label(self) -> str:
        return f"contract-{uuid.uuid4().hex[:10]}"

    def new_issue(self, connector: Connector, label: str, **fields: Any) -> Issue:
        values: dict[str, Any] = {"summary": f"contract issue {label}", "labels": [label], **fields}
        return connector.create_issue(
            self.project, self.issue_type, IssueChanges(values), f"origin-{uuid.uuid4()}"
        )

    # ------------------------------------------------------------------ the contract

    def test_create_and_read_back(self, connector: Connector, label: str) -> None:
        description = "Steps:\n\n1. open **the page**\n2. click [here](https://example.com)\n\n`code` too"
        created = self.new_issue(connector, label, description=description)
        read = connector.get_issue(created.id)
        assert read.id == created.id
        assert read.key == created.key
        assert read.project == self.project
        assert read.type == self.issue_type
        assert read.summary == f"contract issue {label}"
        assert read.description == description
        assert label in read.labels
        assert read.created is not None and read.updated is not None
        assert read.status

    def test_edit_each_field(self, connector: Connector, label: str) -> None:
        issue = self.new_issue(connector, label)
        for name, value in self.edit_cases().items():
            connector.update_issue(issue.id, IssueChanges({name: value}))
            read = connector.get_issue(issue.id)
            assert _read_field(read, name) == _expected(value), name

    def test_transition_and_impossible_transition(self, connector: Connector, label: str) -> None:
        issue = self.new_issue(connector, label)
        with pytest.raises(FatalError) as caught:
            connector.transition(issue.id, self.unreachable_status)
        assert self.unreachable_status in caught.value.message
        connector.transition(issue.id, self.reachable_status)
        assert connector.get_issue(issue.id).status == self.reachable_status
        connector.transition(issue.id, self.reachable_status)  # already there: nothing to do
        assert connector.get_issue(issue.id).status == self.reachable_status

    def test_comments_round_trip(self, connector: Connector, label: str) -> None:
        issue = self.new_issue(connector, label)
        body = "Hello **team**,\n\n- first *point*\n- second with `code`\n\n> quoted"
        added = connector.add_comment(issue.id, body)
        assert added.body == body
        assert [c.body for c in connector.get_issue(issue.id).comments] == [body]
        edited = connector.update_comment(issue.id, added.id, "Edited ~~old~~ **new**")
        assert edited.id == added.id
        comments = connector.get_issue(issue.id).comments
        assert [(c.id, c.body) for c in comments] == [(added.id, "Edited ~~old~~ **new**")]
        connector.delete_comment(issue.id, added.id)
        assert connector.get_issue(issue.id).comments == []

    def test_attachments_round_trip(self, connector: Connector, label: str) -> None:
        issue = self.new_issue(connector, label)
        content = os.urandom(150_000)
        uploaded = connector.upload_attachment(
            issue.id, "data file.bin", io.BytesIO(content), "application/octet-stream"
        )
        assert uploaded.filename == "data file.bin"
        assert uploaded.size == len(content)
        assert b"".join(connector.download_attachment(uploaded.id)) == content
        assert [a.id for a in connector.get_issue(issue.id).attachments] == [uploaded.id]
        connector.delete_attachment(uploaded.id)
        assert connector.get_issue(issue.id).attachments == []

    def test_search_pages_through_every_issue(self, connector: Connector, label: str) -> None:
        self.bulk_create(connector, self.paging_total, label)
        found = list(connector.iter_issues(self.query_for_label(label), page_size=100))
        assert len(found) == self.paging_total
        assert len({issue.id for issue in found}) == self.paging_total
        updated = [issue.updated for issue in found]
        assert updated == sorted(u for u in updated if u is not None)

    def test_changed_since(self, connector: Connector, label: str) -> None:
        issue = self.new_issue(connector, label)
        assert issue.updated is not None
        query = self.query_for_label(label)
        earlier = issue.updated - timedelta(minutes=2)
        assert [i.id for i in connector.iter_issues(query, updated_since=earlier)] == [issue.id]
        later = datetime.now(UTC) + timedelta(minutes=5)
        assert list(connector.iter_issues(query, updated_since=later)) == []
        assert connector.matches(query, issue)

    def test_origin_lookup_makes_creates_idempotent(self, connector: Connector, label: str) -> None:
        origin = f"origin-{uuid.uuid4()}"
        changes = IssueChanges({"summary": "once only", "labels": [label, "contract-once-only"]})
        before = self.count_creates()
        first = connector.create_issue_once(self.project, self.issue_type, changes, origin)
        second = connector.create_issue_once(self.project, self.issue_type, changes, origin)
        assert first.id == second.id
        assert self.count_creates() == before + 1
        found = connector.find_by_origin(origin)
        assert found is not None and found.id == first.id
        assert connector.find_by_origin(f"origin-{uuid.uuid4()}") is None

    def test_missing_issue_is_not_found(self, connector: Connector) -> None:
        with pytest.raises(NotFoundError):
            connector.get_issue(self.missing_issue_id)

    def test_bad_credentials_are_fatal(self) -> None:
        bad = self.make_bad_connector()
        try:
            with pytest.raises(FatalError) as caught:
                bad.get_issue(self.missing_issue_id)
            assert caught.value.status in (401, 403)
        finally:
            _close(bad)

    def test_rate_limit_is_respected(self, connector: Connector, label: str) -> None:
        issue = self.new_issue(connector, label)
        retry_after = 0.4
        throttled = self.throttle(per_second=4, retry_after=retry_after)
        if throttled is None:
            pytest.skip("the backing store cannot be told to rate limit")
        started = time.monotonic()
        with throttled:
            summaries = [connector.get_issue(issue.id).summary for _ in range(6)]
        elapsed = time.monotonic() - started
        assert summaries == [issue.summary] * 6
        # 6 calls at 4 per second cannot finish before at least one Retry-After wait.
        assert elapsed >= retry_after


def _close(connector: Connector) -> None:
    close = getattr(connector, "close", None)
    if callable(close):
        close()


def _read_field(issue: Issue, name: str) -> Any:
    if name.startswith("custom."):
        return issue.custom.get(name[len("custom.") :])
    if name == "type":
        return issue.type
    value = getattr(issue, name)
    return value.account_id if hasattr(value, "account_id") else value


def _expected(value: Any) -> Any:
    return value.account_id if hasattr(value, "account_id") else value
