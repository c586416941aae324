"""The standard connector suite against the Jira simulator (basic auth), plus focused auth tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, ClassVar

import pytest

from connectors.base import Connector
from connectors.jira.connector import JiraConnector
from connectors.jira.simulator import JiraSimulator
from connectors.model import User
from tests.connectors.standard_suite import ConnectorContract

from .support import basic_config


@pytest.fixture(scope="module")
def sim() -> Iterator[JiraSimulator]:
    with JiraSimulator(sites=("acme", "globex"), issues_per_project=0, seed=1).start(port=0) as simulator:
        yield simulator


class TestJiraContract(ConnectorContract):
    project: ClassVar[str] = "SUP"
    issue_type: ClassVar[str] = "Task"
    reachable_status: ClassVar[str] = "In Progress"
    unreachable_status: ClassVar[str] = "Closed"
    missing_issue_id: ClassVar[str] = "SUP-999999"

    @pytest.fixture(autouse=True)
    def _bind(self, sim: JiraSimulator) -> Iterator[None]:
        self.sim = sim
        self.site = sim.site("acme")
        yield
        self.site.reset_faults()

    def make_connector(self) -> Connector:
        return JiraConnector(basic_config(self.sim))

    def make_bad_connector(self) -> Connector:
        config = basic_config(self.sim)
        config["auth"] = {**config["auth"], "api_token": "not-the-token"}
        return JiraConnector(config)

    def edit_cases(self) -> dict[str, Any]:
        alice = next(u for u in self.site.users.values() if u.display_name.startswith("Alice"))
        return {
            "summary": "edited summary",
            "description": "New *description* with a [link](https://example.com/x)\n\n```sql\nSELECT 1\n```",
            "priority": "Low",
            "labels": ["alpha", "beta"],
            "assignee": User(account_id=alice.account_id),
            "reporter": User(account_id=alice.account_id),
            "custom.customfield_10042": "ACME Corp",
            "custom.customfield_10016": 5.0,
            "custom.customfield_10050": "Blue",
        }

    def query_for_label(self, label: str) -> str:
        return f'project = {self.project} AND labels = "{label}"'

    def count_creates(self) -> int:
        return int(self.site.stats.creates)

    def bulk_create(self, connector: Connector, count: int, label: str) -> None:
        for index in range(count):
            self.site.create_issue_as(
                self.site.admin.account_id,
                {
                    "project": self.project,
                    "issuetype": self.issue_type,
                    "summary": f"bulk {index}",
                    "labels": [label],
                },
            )

    def throttle(self, per_second: float, retry_after: float) -> AbstractContextManager[None] | None:
        @contextmanager
        def limited() -> Iterator[None]:
            self.site.configure(rate_limit_per_second=per_second, retry_after=retry_after)
            try:
                yield
            finally:
                self.site.configure(rate_limit_per_second=None)

        return limited()
