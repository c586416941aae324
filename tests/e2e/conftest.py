"""End-to-end: the Tandem server and the Jira simulator over real HTTP, nothing mocked."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from connectors.base import IssueChanges
from connectors.jira.connector import JiraConnector
from connectors.model import Issue
from plugin.extensions import db
from plugin.models.sync import JobState, SyncJob, Twin
from plugin.stack import Stack, running_stack

# Both projects run the same workflow, so Basic mode (statuses by name) applies unchanged.
A_SITE, A_PROJECT = "acme", "OPS"
B_SITE, B_PROJECT = "globex", "DEV"


class Env:
    """The stack plus one "person" per site who edits issues through Jira's REST API."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.people = {site: self.stack.person(site) for site in (A_SITE, B_SITE)}
        self.connection_id = 0

    @property
    def a(self) -> JiraConnector:
        return self.people[A_SITE]

    @property
    def b(self) -> JiraConnector:
        return self.people[B_SITE]

    def connect(
        self, a_settings: dict[str, Any] | None = None, b_settings: dict[str, Any] | None = None
    ) -> int:
        self.connection_id = self.stack.connect(
            A_SITE, A_PROJECT, B_SITE, B_PROJECT, name="e2e", a_settings=a_settings, b_settings=b_settings
        )
        return self.connection_id

    def create_a(self, summary: str, **fields: Any) -> Issue:
        issue_type = fields.pop("type", "Task")
        return self.a.create_issue(
            A_PROJECT, issue_type, IssueChanges({"summary": summary, **fields}), origin=f"human-{summary}"
        )

    def twin_key(self, a_key: str) -> str | None:
        with self.stack.app.app_context():
            twin = db.session.execute(db.select(Twin).filter_by(a_issue_key=a_key)).scalar_one_or_none()
            key = twin.b_issue_key if twin else None
            db.session.remove()
        return key

    def twin_of(self, a_key: str, timeout: float = 20.0) -> Issue:
        assert self.stack.wait_for(lambda: self.twin_key(a_key) is not None, timeout), f"no twin for {a_key}"
        key = self.twin_key(a_key)
        assert key is not None
        return self.b.get_issue(key)

    def settle(self, timeout: float = 30.0) -> None:
        assert self.stack.settle(timeout), f"queue did not settle: {self.jobs()}"

    def eventually(self, predicate: Callable[[], bool], timeout: float = 30.0) -> None:
        def safe() -> bool:
            try:
                return bool(predicate())
            except Exception:
                return False

        assert self.stack.wait_for(safe, timeout), f"condition never held; jobs: {self.jobs()[-5:]}"

    def jobs(self, state: JobState | None = None) -> list[dict[str, Any]]:
        with self.stack.app.app_context():
            query = db.select(SyncJob).order_by(SyncJob.id)
            if state is not None:
                query = query.where(SyncJob.state == state)
            rows = [job.to_dict() for job in db.session.execute(query).scalars()]
            db.session.remove()
        return rows

    def issues_in(self, site: str, project: str) -> list[Issue]:
        return list(self.people[site].iter_issues(f'project = "{project}"'))


@pytest.fixture
def stack_options() -> dict[str, Any]:
    """Override in a test module to change how the stack starts."""
    return {}


@pytest.fixture
def env(database_url: str, stack_options: dict[str, Any]) -> Iterator[Env]:
    with running_stack(database_url, drop_schema=True, **stack_options) as stack:
        yield Env(stack)
