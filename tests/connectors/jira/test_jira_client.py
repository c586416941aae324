"""JiraClient against the simulator: error mapping, retry policy, budgets, transitions, attachments."""

from __future__ import annotations

import io
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from connectors.base import (
    ConfigError,
    FatalError,
    IssueChanges,
    NotFoundError,
    RetriableError,
    SkippableError,
)
from connectors.jira.auth import BasicAuth
from connectors.jira.client import JiraClient, RetryPolicy, SiteBudget, TokenBucket, _retry_after, budget_for
from connectors.jira.connector import JiraConnector
from connectors.jira.simulator import JiraSimulator, Site
from connectors.model import User as User_

from .support import basic_config


@pytest.fixture(scope="module")
def sim() -> Iterator[JiraSimulator]:
    with JiraSimulator(sites=("acme", "globex"), seed=3).start(port=0) as simulator:
        yield simulator


@pytest.fixture
def acme(sim: JiraSimulator) -> Iterator[Site]:
    site = sim.site("acme")
    yield site
    site.reset_faults()


@pytest.fixture
def client(sim: JiraSimulator, acme: Site) -> Iterator[JiraClient]:
    with JiraClient(
        sim.base_url("acme"),
        BasicAuth(acme.admin_email, acme.admin_api_token),
        timeout=5.0,
        max_attempts=6,
        budget=SiteBudget(),  # its own budget: a 429 in one test must not pace the next
    ) as jira:
        yield jira


def new_issue(client: JiraClient, summary: str = "client test", project: str = "SUP") -> dict[str, Any]:
    return client.create_issue(
        {"project": {"key": project}, "issuetype": {"name": "Task"}, "summary": summary}
    )


def test_bad_request_carries_jiras_messages(client: JiraClient) -> None:
    with pytest.raises(FatalError) as caught:
        client.create_issue({"project": {"key": "SUP"}, "issuetype": {"name": "Task"}})
    assert caught.value.status == 400
    assert "summary" in caught.value.message


def test_not_found(client: JiraClient) -> None:
    with pytest.raises(NotFoundError):
        client.get_issue("SUP-424242")


def test_search_uses_enhanced_search_with_page_tokens(client: JiraClient, acme: Site) -> None:
    for index in range(7):
        acme.create_issue_as(
            acme.admin.account_id, {"project": "OPS", "summary": f"page {index}", "labels": ["pg"]}
        )
    before = dict(acme.stats.calls)
    keys: list[str] = []
    token: str | None = None
    while True:
        page = client.search(
            'labels = "pg" ORDER BY key ASC', fields=["summary"], max_results=3, next_page_token=token
        )
        keys += [issue["key"] for issue in page["issues"]]
        token = page.get("nextPageToken")
        if page.get("isLast", not token):
            break
    assert len(keys) == 7 == len(set(keys))
    used = {op for op, n in acme.stats.calls.items() if n > before.get(op, 0)}
    assert any("search" in op.lower() for op in used)
    bulk = client.bulk_fetch([*keys, "OPS-99999"], fields=["summary"])
    assert sorted(i["key"] for i in bulk) == sorted(keys)


def test_server_errors_on_reads_are_retried(client: JiraClient, acme: Site) -> None:
    issue = new_issue(client)
    client.policy = RetryPolicy(max_attempts=10, base_delay=0.01, max_delay=0.05)
    acme.configure(error_rate=0.5, error_statuses=(500, 502, 503))
    for _ in range(10):
        assert client.get_issue(issue["key"], fields=["summary"])["key"] == issue["key"]


def test_creating_post_is_not_retried_blindly(client: JiraClient, acme: Site) -> None:
    acme.configure(error_rate=1.0, error_statuses=(503,))
    creates = acme.stats.creates
    with pytest.raises(RetriableError) as caught:
        new_issue(client)
    assert caught.value.status == 503
    acme.reset_faults()
    assert acme.stats.creates == creates


def test_retries_are_bounded(client: JiraClient, acme: Site) -> None:
    acme.configure(error_rate=1.0, error_statuses=(502,))
    slept: list[float] = []
    client._sleep = slept.append
    with pytest.raises(RetriableError) as caught:
        client.myself()
    assert len(slept) == client.policy.max_attempts - 1
    assert caught.value.retry_after is not None


def test_rate_limit_honours_retry_after(client: JiraClient, acme: Site) -> None:
    acme.configure(error_rate=1.0, error_statuses=(429,), retry_after=0.3)
    slept: list[float] = []

    def sleep_then_recover(seconds: float) -> None:
        slept.append(seconds)
        acme.reset_faults()

    client._sleep = sleep_then_recover
    assert client.myself()["accountId"] == acme.admin.account_id
    assert slept and 0.3 <= slept[0] <= 0.45


def test_retry_after_header_parsing() -> None:
    response = requests.Response()
    response.headers["Retry-After"] = "2.5"
    assert _retry_after(response) == 2.5
    response = requests.Response()
    reset = datetime.now(UTC) + timedelta(seconds=30)
    response.headers["X-RateLimit-Reset"] = reset.isoformat()
    value = _retry_after(response)
    assert value is not None and 28 <= value <= 30
    assert _retry_after(requests.Response()) is None


def test_backoff_is_full_jitter_and_capped() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=8.0)
    rng = random.Random(7)
    samples = [policy.backoff(attempt, rng) for attempt in range(1, 10) for _ in range(20)]
    assert all(0 <= s <= 8.0 for s in samples)
    assert max(samples) > 4.0  # the cap is reached, not just the first step


def test_token_bucket_spaces_calls() -> None:
    clock = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock[0] += seconds

    bucket = TokenBucket(rate=10.0, capacity=2.0, clock=lambda: clock[0])
    for _ in range(5):
        bucket.acquire(sleep)
    assert clock[0] == pytest.approx(0.3, abs=1e-6)
    bucket.penalize(1.0)
    bucket.acquire(sleep)
    assert clock[0] >= 1.3


def test_budget_is_shared_per_site(sim: JiraSimulator) -> None:
    assert budget_for("https://a.example/") is budget_for("https://A.example")
    assert budget_for("https://a.example") is not budget_for("https://b.example")
    assert SiteBudget(concurrency=2).semaphore.acquire(blocking=False)
    config = basic_config(sim, "globex", rate_per_second=500.0, max_concurrency=3)
    first, second = JiraConnector(config), JiraConnector(config)
    try:
        assert first.client.budget is second.client.budget
        assert (first.client.budget.concurrency, first.client.budget.rate_per_second) == (3, 500.0)
    finally:
        first.close()
        second.close()


def test_transition_fills_required_fields_and_explains_impossible(client: JiraClient) -> None:
    issue = new_issue(client)
    assert client.transition_to_status(issue["key"], "In Progress") is not None
    assert client.transition_to_status(issue["key"], "in progress") is None  # already there
    client.transition_to_status(issue["key"], "Resolved")  # requires `resolution`
    fields = client.get_issue(issue["key"], fields=["status", "resolution"])["fields"]
    assert fields["status"]["name"] == "Resolved"
    assert fields["resolution"]["name"] == "Done"
    with pytest.raises(
        FatalError, match=r"no transition from 'Resolved' to 'In Progress' in project SUP \(available: "
    ):
        client.transition_to_status(issue["key"], "In Progress")


def test_attachment_streams_and_size_limit(client: JiraClient) -> None:
    issue = new_issue(client)
    payload = bytes(range(256)) * 2000
    created = client.add_attachment(issue["key"], 'odd "name".txt', io.BytesIO(payload), "text/plain")
    assert created[0]["size"] == len(payload)
    assert b"".join(client.download_attachment(str(created[0]["id"]), chunk_size=1000)) == payload
    client.attachment_limit = 100
    with pytest.raises(SkippableError):
        client.add_attachment(issue["key"], "big.bin", io.BytesIO(b"x" * 101), "application/octet-stream")
    with pytest.raises(SkippableError):
        b"".join(client.download_attachment(str(created[0]["id"])))


def test_properties_remote_links_changelog_users(client: JiraClient, acme: Site) -> None:
    issue = new_issue(client)
    client.set_issue_property(issue["key"], "tandem.origin", {"id": "abc"})
    assert client.get_issue_property(issue["key"], "tandem.origin") == {"id": "abc"}
    for title in ("first", "second"):
        client.upsert_remote_link(issue["key"], "tandem:twin:1", "https://other.example/1", title)
    links = client.get_remote_links(issue["key"])
    assert [link["object"]["title"] for link in links] == ["second"]
    client.edit_issue(issue["key"], fields={"summary": "renamed"})
    changes = client.get_changelog(issue["key"])
    assert any(item["field"] == "summary" for entry in changes for item in entry["items"])
    alice = next(u for u in acme.users.values() if u.display_name.startswith("Alice"))
    assert client.get_user(alice.account_id)["displayName"] == alice.display_name
    assert [u["accountId"] for u in client.find_users(str(alice.email))] == [alice.account_id]
    meta_types = client.create_meta_issue_types("SUP")
    task = next(t for t in meta_types if t["name"] == "Task")
    assert any(f["fieldId"] == "summary" for f in client.create_meta_fields("SUP", str(task["id"])))


def test_connection_refused_is_retriable() -> None:
    with (
        socket_port() as port,
        JiraClient(f"http://127.0.0.1:{port}", BasicAuth("a", "b"), max_attempts=2) as jira,
    ):
        jira._sleep = lambda _seconds: None
        with pytest.raises(RetriableError):
            jira.myself()


class socket_port:
    """A port nothing listens on (bound then closed)."""

    def __enter__(self) -> int:
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return int(probe.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        return None


# ---------------------------------------------------------------- connector configuration and mapping


def test_validate_config_reports_every_problem() -> None:
    errors = JiraConnector.validate_config(
        {
            "base_url": "x.atlassian.net",
            "auth": {"type": "connect"},
            "act_as": {},
            "timeout": 0,
            "max_attempts": "3",
        }
    )
    assert any(e.startswith("base_url") for e in errors)
    assert any(e.startswith("auth.app_key") for e in errors)
    assert any(e.startswith("auth.shared_secret") for e in errors)
    assert any(e.startswith("act_as.oauth_client_id") for e in errors)
    assert any(e.startswith("timeout") for e in errors)
    assert any(e.startswith("max_attempts") for e in errors)
    budget_errors = JiraConnector.validate_config(
        {
            "base_url": "https://x.atlassian.net",
            "auth": {"type": "basic", "email": "a", "api_token": "b"},
            "rate_per_second": -1,
            "max_concurrency": 2.5,
            "colour": "red",
        }
    )
    assert budget_errors == [
        "rate_per_second: a positive number is required",
        "max_concurrency: a positive integer is required",
        "unknown keys: colour",
    ]
    assert JiraConnector.validate_config(
        {"base_url": "https://x.atlassian.net", "auth": {"type": "nope"}}
    ) == ["auth.type: must be one of connect, basic, oauth (got 'nope')"]
    assert "act_as: only available with connect auth" in JiraConnector.validate_config(
        {
            "base_url": "https://x.atlassian.net",
            "auth": {"type": "basic", "email": "a", "api_token": "b"},
            "act_as": {"oauth_client_id": "c", "token_url": "https://t"},
        }
    )
    with pytest.raises(ConfigError) as caught:
        JiraConnector({"auth": {"type": "oauth"}})
    assert len(caught.value.errors) == 2


def test_jql_for_changed_since_uses_minutes_in_the_user_zone(sim: JiraSimulator) -> None:
    connector = JiraConnector(basic_config(sim))
    try:
        since = datetime(2025, 3, 4, 5, 6, 59, tzinfo=UTC)
        assert connector.jql_for("project = SUP ORDER BY created DESC", since) == (
            '(project = SUP) AND updated >= "2025-03-04 05:06" ORDER BY updated ASC, key ASC'
        )
        assert connector.jql_for("", None) == "ORDER BY updated ASC, key ASC"
    finally:
        connector.close()


def test_connector_field_vocabulary(sim: JiraSimulator) -> None:
    connector = JiraConnector(basic_config(sim))
    try:
        epic = connector.create_issue("SUP", "Epic", IssueChanges({"summary": "epic"}), "voc-epic")
        alice = next(u for u in sim.site("acme").users.values() if u.display_name.startswith("Alice"))
        changes = IssueChanges(
            {
                "summary": "vocab",
                "parent": epic.key,
                "assignee": User_(email=alice.email),
                "due": datetime(2030, 1, 2, tzinfo=UTC),
                "custom": {"Team": "Green", "customfield_10016": 8},
                "status": "In Progress",
            }
        )
        issue = connector.create_issue("SUP", "Task", changes, "voc-task")
        assert issue.parent == epic.key
        assert issue.assignee is not None and issue.assignee.account_id == alice.account_id
        assert issue.custom["customfield_10050"] == "Green"
        assert issue.custom_names["customfield_10050"] == "Team"
        assert issue.status == "In Progress"
        raw = connector.client.get_issue(issue.key, fields=["duedate"])
        assert raw["fields"]["duedate"] == "2030-01-02"
        connector.update_issue(issue.id, IssueChanges({"assignee": None, "parent": None}))
        cleared = connector.get_issue(issue.id)
        assert cleared.assignee is None and cleared.parent is None
        with pytest.raises(FatalError, match="unknown field"):
            connector.update_issue(issue.id, IssueChanges({"colour": "red"}))
        with pytest.raises(FatalError, match="unknown custom field"):
            connector.update_issue(issue.id, IssueChanges({"custom": {"Nope": 1}}))
        assert connector.matches("project = SUP", issue)
        assert not connector.matches("project = OPS", issue)
        connector.delete_issue(issue.id)
        with pytest.raises(NotFoundError):
            connector.get_issue(issue.id)
    finally:
        connector.close()


def test_many_comments_are_all_read(sim: JiraSimulator) -> None:
    site = sim.site("acme")
    connector = JiraConnector(basic_config(sim))
    try:
        issue = site.create_issue_as(site.admin.account_id, {"project": "SUP", "summary": "chatty"})
        for index in range(120):
            site.add_comment_as(site.admin.account_id, issue.key, f"comment {index}")
        comments = connector.get_issue(issue.key).comments
        assert [c.body for c in comments] == [f"comment {i}" for i in range(120)]
        started = time.monotonic()
        assert connector.find_user(email="nobody@nowhere.example") is None
        assert time.monotonic() - started < 5
    finally:
        connector.close()
