"""What an admin does with a connection, end to end: triggers, bulk connect, resync, remote sides."""

from __future__ import annotations

import requests

from connectors.base import IssueChanges
from tests.e2e.conftest import A_PROJECT, A_SITE, B_PROJECT, B_SITE, Env


def test_trigger_queries_are_validated_by_the_site(env: Env) -> None:
    connection = env.connect()
    path = f"/admin/api/connections/{connection}"
    ok = env.stack.api(A_SITE, "PATCH", path, {"side": {"trigger_query": "labels = sync"}}, expect=200)
    assert ok["connection"]["sides"][0]["trigger_query"] == "labels = sync"
    rejected = env.stack.api(
        A_SITE, "PATCH", path, {"side": {"trigger_query": "labels = = sync"}}, expect=422
    )
    assert "trigger_query" in rejected["error"]["details"]


def test_trigger_limits_what_starts_syncing(env: Env) -> None:
    connection = env.connect()
    env.stack.api(
        A_SITE, "PATCH", f"/admin/api/connections/{connection}", {"side": {"trigger_query": "labels = sync"}}
    )
    env.create_a("Not for sync")
    wanted = env.create_a("For sync", labels=["sync"])
    env.twin_of(wanted.key)
    env.settle()
    assert [i.summary for i in env.issues_in(B_SITE, B_PROJECT)] == ["For sync"]


def test_bulk_connect_syncs_existing_issues(env: Env) -> None:
    env.stack.sim.site(A_SITE).configure(webhook_drop_rate=1.0)  # they existed before the connection
    existing = [env.create_a(f"Old {n}") for n in range(12)]
    env.stack.sim.site(A_SITE).reset_faults()
    connection = env.connect()
    body = env.stack.api(
        A_SITE,
        "POST",
        f"/admin/api/connections/{connection}/bulk",
        {"query": f"project = {A_PROJECT}"},
        expect=202,
    )
    assert body["enqueued"] == 12
    for issue in existing:
        env.twin_of(issue.key)
    env.settle()
    queue = env.stack.api(A_SITE, "GET", f"/admin/api/connections/{connection}/queue", expect=200)["queue"]
    assert queue["failed"] == 0 and queue["queued"] == 0
    assert len(env.issues_in(B_SITE, B_PROJECT)) == 12


def test_hard_resync_rewrites_fields_changed_on_the_twin(env: Env) -> None:
    connection = env.connect(b_settings={"sends": False})  # b's own edits stay local
    issue = env.create_a("Original")
    twin = env.twin_of(issue.key)
    env.settle()
    env.b.update_issue(twin.id, IssueChanges({"summary": "Changed only on B"}))
    env.settle()
    assert env.b.get_issue(twin.id).summary == "Changed only on B"
    assert env.a.get_issue(issue.id).summary == "Original"  # one-way: b's edits stay on b
    (record,) = env.stack.api(A_SITE, "GET", f"/admin/api/connections/{connection}/twins", expect=200)[
        "twins"
    ]
    env.stack.api(A_SITE, "POST", f"/admin/api/twins/{record['id']}/resync", {"hard": True}, expect=202)
    env.eventually(lambda: env.b.get_issue(twin.id).summary == "Original")


def test_synced_issues_link_to_each_other(env: Env) -> None:
    env.connect()
    issue = env.create_a("Linked")
    twin = env.twin_of(issue.key)
    env.settle()
    site = env.stack.sim.site(B_SITE)
    response = requests.get(
        f"{env.stack.sim.base_url(B_SITE)}/rest/api/3/issue/{twin.key}/remotelink",
        auth=(site.admin_email, site.admin_api_token),
        timeout=10,
    )
    assert response.status_code == 200
    links = response.json()
    assert any(issue.key in link["object"]["title"] for link in links)


def test_comment_is_posted_as_its_author_when_the_account_exists(env: Env) -> None:
    env.connect()
    issue = env.create_a("Authored")
    twin = env.twin_of(issue.key)
    env.settle()
    alice_a = env.a.find_user(email="alice@example.com")
    alice_b = env.b.find_user(email="alice@example.com")
    assert alice_a is not None and alice_b is not None and alice_a.account_id
    env.stack.sim.site(A_SITE).add_comment_as(alice_a.account_id, issue.key, "Alice speaking")
    env.eventually(lambda: any("Alice speaking" in c.body for c in env.b.get_issue(twin.id).comments))
    (copy,) = [c for c in env.b.get_issue(twin.id).comments if "Alice speaking" in c.body]
    assert copy.author is not None and copy.author.account_id == alice_b.account_id
    assert copy.body.strip() == "Alice speaking"  # no "wrote on the linked issue" header needed


def test_comment_by_someone_unknown_on_the_other_site_carries_author_and_time(env: Env) -> None:
    env.connect()
    issue = env.create_a("Carol's issue")
    twin = env.twin_of(issue.key)
    carol = env.a.find_user(email="carol@example.com")  # carol has no account on globex
    assert carol is not None and carol.account_id
    env.stack.sim.site(A_SITE).add_comment_as(carol.account_id, issue.key, "Carol speaking")
    env.eventually(lambda: any("Carol speaking" in c.body for c in env.b.get_issue(twin.id).comments))
    (copy,) = [c for c in env.b.get_issue(twin.id).comments if "Carol speaking" in c.body]
    assert "Carol" in copy.body and "UTC" in copy.body


def test_migration_copies_once_unlinks_and_reports(env: Env) -> None:
    env.stack.sim.site(A_SITE).configure(webhook_drop_rate=1.0)
    old = [env.create_a(f"Legacy {n}") for n in range(3)]
    env.stack.sim.site(A_SITE).reset_faults()
    connection = env.connect()
    body = env.stack.api(
        A_SITE, "POST", f"/admin/api/connections/{connection}/migrate", {"query": f"project = {A_PROJECT}"}
    )
    assert body["enqueued"] == 3
    env.eventually(lambda: len(env.issues_in(B_SITE, B_PROJECT)) == 3)
    env.settle()
    report = env.stack.api(
        A_SITE, "GET", f"/admin/api/connections/{connection}/jobs?trigger=migrate", expect=200
    )
    assert sorted(job["issue_key"] for job in report["jobs"]) == sorted(issue.key for issue in old)
    assert all("migrated and unlinked" in job["outcome"] for job in report["jobs"])
    env.a.update_issue(old[0].id, IssueChanges({"summary": "After the migration"}))
    env.settle()
    assert all(issue.summary != "After the migration" for issue in env.issues_in(B_SITE, B_PROJECT))
