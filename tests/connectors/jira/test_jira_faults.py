"""Under injected faults (5xx, 429, resets, lost responses) calls complete and no write is duplicated."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.base import IssueChanges, RetriableError
from connectors.jira.client import RetryPolicy
from connectors.jira.connector import JiraConnector
from connectors.jira.simulator import JiraSimulator
from connectors.model import Issue

from .support import basic_config

ISSUES = 15


@pytest.fixture
def sim() -> Iterator[JiraSimulator]:
    with JiraSimulator(sites=("acme",), seed=11).start(port=0) as simulator:
        yield simulator


def create_like_the_engine(connector: JiraConnector, index: int, label: str) -> Issue:
    """The sync engine retries a job that failed with RetriableError; create_issue_once makes that safe."""
    changes = IssueChanges({"summary": f"faulty {index}", "labels": [label]})
    for _ in range(10):
        try:
            return connector.create_issue_once("SUP", "Task", changes, f"fault-{label}-{index}")
        except RetriableError:
            continue
    raise AssertionError("the job never completed")


def test_faults_are_retried_without_duplicate_writes(sim: JiraSimulator) -> None:
    site = sim.site("acme")
    connector = JiraConnector(basic_config(sim, max_attempts=8))
    connector.client.policy = RetryPolicy(max_attempts=8, max_total_wait=10.0, base_delay=0.02, max_delay=0.2)
    statuses: list[int] = []
    connector.client.session.hooks["response"].append(
        lambda response, **_: statuses.append(response.status_code)
    )
    label = "faults"
    try:
        site.configure(
            error_rate=0.2,
            error_statuses=(500, 502, 503, 429),
            retry_after=0.05,
            reset_rate=0.05,
            lost_response_rate=0.1,
        )
        creates_before = site.stats.creates
        created = [create_like_the_engine(connector, index, label) for index in range(ISSUES)]
        for issue in created:
            connector.update_issue(issue.id, IssueChanges({"summary": f"{issue.summary} (edited)"}))
            assert connector.get_issue(issue.id).summary.endswith("(edited)")
        assert any(status >= 500 for status in statuses) and 429 in statuses
        site.reset_faults()

        assert site.stats.creates - creates_before == ISSUES
        found = list(connector.iter_issues(f'labels = "{label}"'))
        assert len(found) == ISSUES
        assert sorted(i.summary for i in found) == sorted(f"faulty {n} (edited)" for n in range(ISSUES))
        assert len({i.id for i in created}) == ISSUES
    finally:
        site.reset_faults()
        connector.close()
