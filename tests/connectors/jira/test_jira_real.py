"""The standard suite against a real Jira Cloud site (``pytest -m external``).

Set JIRA_URL (https://your-site.atlassian.net), JIRA_EMAIL and JIRA_API_TOKEN, and optionally
JIRA_PROJECT (default SUP), JIRA_ISSUE_TYPE (Task), JIRA_REACHABLE_STATUS (In Progress) and
JIRA_UNREACHABLE_STATUS (Done). The suite creates issues labelled ``contract-*`` in that project
and deletes nothing else. Without the variables every test here is skipped: this is the
documented external run, not part of the default test set.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

import pytest

from connectors.base import Connector, IssueChanges
from connectors.jira.connector import JiraConnector
from connectors.model import User
from tests.connectors.standard_suite import ConnectorContract

REQUIRED = ("JIRA_URL", "JIRA_EMAIL", "JIRA_API_TOKEN")

pytestmark = [
    pytest.mark.external,
    pytest.mark.skipif(
        not all(os.environ.get(name) for name in REQUIRED),
        reason="set JIRA_URL, JIRA_EMAIL and JIRA_API_TOKEN to run against a real Jira site",
    ),
]


def real_config(api_token: str | None = None) -> dict[str, Any]:
    return {
        "base_url": os.environ["JIRA_URL"],
        "auth": {
            "type": "basic",
            "email": os.environ["JIRA_EMAIL"],
            "api_token": api_token or os.environ["JIRA_API_TOKEN"],
        },
        "timeout": 30.0,
        "max_attempts": 6,
    }


class TestRealJira(ConnectorContract):
    project: ClassVar[str] = os.environ.get("JIRA_PROJECT", "SUP")
    issue_type: ClassVar[str] = os.environ.get("JIRA_ISSUE_TYPE", "Task")
    reachable_status: ClassVar[str] = os.environ.get("JIRA_REACHABLE_STATUS", "In Progress")
    unreachable_status: ClassVar[str] = os.environ.get("JIRA_UNREACHABLE_STATUS", "Done")
    missing_issue_id: ClassVar[str] = f"{os.environ.get('JIRA_PROJECT', 'SUP')}-99999999"
    paging_total: ClassVar[int] = 260

    def make_connector(self) -> Connector:
        return JiraConnector(real_config())

    def make_bad_connector(self) -> Connector:
        return JiraConnector(real_config(api_token="definitely-not-a-valid-token"))

    def edit_cases(self) -> dict[str, Any]:
        connector = JiraConnector(real_config())
        try:
            me = connector.client.myself()
        finally:
            connector.close()
        return {
            "summary": "edited summary",
            "description": "New *description* with a [link](https://example.com/x)",
            "labels": ["alpha", "beta"],
            "assignee": User(account_id=str(me["accountId"])),
        }

    def query_for_label(self, label: str) -> str:
        return f'project = "{self.project}" AND labels = "{label}"'

    def count_creates(self) -> int:
        # A real site has no create counter: count the issues this suite has created.
        connector = JiraConnector(real_config())
        try:
            query = f'project = "{self.project}" AND labels = "contract-once-only" ORDER BY created'
            return sum(1 for _ in connector.iter_issues(query))
        finally:
            connector.close()

    def bulk_create(self, connector: Connector, count: int, label: str) -> None:
        for index in range(count):
            changes = IssueChanges({"summary": f"bulk {index}", "labels": [label]})
            connector.create_issue(self.project, self.issue_type, changes, f"bulk-{label}-{index}")
