"""The engine-backed endpoints over real HTTP: the Tandem server and the Jira simulator.

Test-run, sync now, bulk connect and link reach a Jira site; here that site is the simulator
(a real HTTP server behaving like Jira Cloud), driven through the admin API as the page does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from connectors.base import IssueChanges
from connectors.jira.connector import JiraConnector
from plugin.stack import Stack, running_stack

A_SITE, A_PROJECT = "acme", "OPS"
B_SITE, B_PROJECT = "globex", "DEV"


@pytest.fixture
def stack(database_url: str) -> Iterator[Stack]:
    with running_stack(database_url, drop_schema=True) as running:
        yield running


def _person(stack: Stack, site: str) -> JiraConnector:
    sim_site = stack.sim.site(site)
    return JiraConnector(
        {
            "base_url": stack.sim.base_url(site),
            "auth": {"type": "basic", "email": sim_site.admin_email, "api_token": sim_site.admin_api_token},
        }
    )


def _create(person: JiraConnector, project: str, summary: str) -> Any:
    return person.create_issue(project, "Task", IssueChanges({"summary": summary}), origin=f"human-{summary}")


def test_engine_operations_through_the_api(stack: Stack) -> None:
    connection_id = stack.connect(A_SITE, A_PROJECT, B_SITE, B_PROJECT, name="admin-api")
    acme, globex = _person(stack, A_SITE), _person(stack, B_SITE)
    issue = _create(acme, A_PROJECT, "Printer on fire")
    assert stack.settle()  # the create's own webhook syncs it; let that finish first

    # Test-run a script against the real issue: its value and its log, nothing written.
    source = 'replica.summary = issue.summary.upper()\nlog.info("ran on", issue.key)\n'
    result = stack.api(
        A_SITE,
        "POST",
        f"/admin/api/connections/{connection_id}/scripts/outgoing/test",
        {"source": source, "issue_key": issue.key},
        expect=200,
    )["result"]
    assert result["ok"] is True
    assert result["value"]["summary"] == "PRINTER ON FIRE"
    assert any("ran on" in str(line) for line in result["logs"])

    missing = stack.api(
        A_SITE,
        "POST",
        f"/admin/api/connections/{connection_id}/scripts/outgoing/test",
        {"source": source, "issue_key": f"{A_PROJECT}-999"},
    )
    assert missing["error"]["code"] == "not_found"

    # Sync now: a job for the issue, and the twin shows up in the twins list.
    job = stack.api(
        A_SITE, "POST", f"/admin/api/connections/{connection_id}/sync", {"issue_key": issue.key}, expect=202
    )["job"]
    assert (job["issue_key"], job["trigger"]) == (issue.key, "manual")
    assert stack.settle()
    twins = stack.api(A_SITE, "GET", f"/admin/api/connections/{connection_id}/twins", expect=200)["twins"]
    assert [t["a_issue_key"] for t in twins] == [issue.key]

    # Link two issues that already exist on both sides (paused, so nothing syncs them first).
    stack.api(A_SITE, "POST", f"/admin/api/connections/{connection_id}/pause", expect=200)
    a_only = _create(acme, A_PROJECT, "Existing on A")
    b_only = _create(globex, B_PROJECT, "Existing on B")
    stack.sim.wait_for_webhooks()
    twin = stack.api(
        A_SITE,
        "POST",
        f"/admin/api/connections/{connection_id}/link",
        {"a_key": a_only.key, "b_key": b_only.key},
        expect=201,
    )["twin"]
    assert (twin["a_issue_key"], twin["b_issue_key"], twin["state"]) == (a_only.key, b_only.key, "linked")
    again = stack.api(
        A_SITE,
        "POST",
        f"/admin/api/connections/{connection_id}/link",
        {"a_key": issue.key, "b_key": b_only.key},
    )
    assert again["error"]["code"] == "conflict"  # issue is already linked in this connection

    # Bulk connect from globex's side: every issue of its project is queued.
    stack.api(A_SITE, "POST", f"/admin/api/connections/{connection_id}/resume", expect=200)
    count = stack.api(
        B_SITE,
        "POST",
        f"/admin/api/connections/{connection_id}/bulk",
        {"query": f"project = {B_PROJECT}"},
        expect=202,
    )["enqueued"]
    assert count == len(list(globex.iter_issues(f"project = {B_PROJECT}")))
    assert stack.settle()
    counters = stack.api(A_SITE, "GET", f"/admin/api/connections/{connection_id}/queue", expect=200)["queue"]
    assert counters["queued"] == counters["running"] == 0
