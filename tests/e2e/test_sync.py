"""The engine end to end: two simulated sites, the app installed in both, real webhooks."""

from __future__ import annotations

import io

from connectors.base import IssueChanges
from connectors.jira.simulator.seed import account_id as seeded_account_id
from connectors.model import User
from plugin.models.sync import JobState
from tests.e2e.conftest import A_PROJECT, A_SITE, B_PROJECT, B_SITE, Env


def test_create_makes_exactly_one_twin_with_links(env: Env) -> None:
    env.connect()
    issue = env.create_a(
        "Printer on fire", description="It is **very** hot.\n\n- smoke\n- flames", labels=["hw"]
    )
    twin = env.twin_of(issue.key)
    env.settle()
    assert twin.summary == "Printer on fire"
    assert "**very**" in twin.description and "- smoke" in twin.description
    assert twin.labels == ["hw"]
    assert env.stack.sim.site(B_SITE).stats.creates == 1
    assert len(env.issues_in(B_SITE, B_PROJECT)) == 1
    assert env.jobs(JobState.FAILED) == []


def test_fields_sync_both_ways(env: Env) -> None:
    env.connect()
    issue = env.create_a("Two way", priority="Low")
    twin = env.twin_of(issue.key)
    env.settle()
    env.a.update_issue(issue.id, IssueChanges({"summary": "Two way, edited on A", "labels": ["x", "y"]}))
    env.eventually(lambda: env.b.get_issue(twin.id).summary == "Two way, edited on A")
    env.settle()
    env.b.update_issue(twin.id, IssueChanges({"priority": "High", "description": "Edited on **B**"}))
    env.eventually(lambda: env.a.get_issue(issue.id).priority == "High")
    env.settle()
    a_now, b_now = env.a.get_issue(issue.id), env.b.get_issue(twin.id)
    assert a_now.description.strip() == "Edited on **B**"
    assert sorted(b_now.labels) == ["x", "y"]
    assert b_now.summary == a_now.summary == "Two way, edited on A"


def test_assignee_maps_by_email(env: Env) -> None:
    env.connect()
    alice_on_a = env.a.find_user(email="alice@example.com")
    alice_on_b = env.b.find_user(email="alice@example.com")
    assert alice_on_a is not None and alice_on_b is not None
    assert alice_on_a.account_id != alice_on_b.account_id
    issue = env.create_a("Assigned", assignee=alice_on_a)
    env.eventually(lambda: (env.twin_of(issue.key).assignee or User()).account_id == alice_on_b.account_id)


def test_comments_add_edit_delete(env: Env) -> None:
    env.connect()
    issue = env.create_a("Chatty")
    twin = env.twin_of(issue.key)
    env.settle()
    comment = env.a.add_comment(issue.id, "First *thought*")
    env.eventually(lambda: any("First *thought*" in c.body for c in env.b.get_issue(twin.id).comments))
    env.a.update_comment(issue.id, comment.id, "First thought, revised")
    env.eventually(lambda: any("revised" in c.body for c in env.b.get_issue(twin.id).comments))
    reply = env.b.add_comment(twin.id, "Reply from B")
    env.eventually(lambda: any("Reply from B" in c.body for c in env.a.get_issue(issue.id).comments))
    env.settle()
    assert len(env.b.get_issue(twin.id).comments) == 2
    assert len(env.a.get_issue(issue.id).comments) == 2
    env.a.delete_comment(issue.id, comment.id)
    env.eventually(lambda: len(env.b.get_issue(twin.id).comments) == 1)
    env.settle()
    assert [c.id for c in env.b.get_issue(twin.id).comments] == [reply.id]
    assert len(env.a.get_issue(issue.id).comments) == 1


def test_attachments_copy_bytes(env: Env) -> None:
    env.connect()
    issue = env.create_a("With a file")
    twin = env.twin_of(issue.key)
    payload = b"log line\n" * 500
    env.a.upload_attachment(issue.id, "trace.log", io.BytesIO(payload), "text/plain")
    env.eventually(lambda: len(env.b.get_issue(twin.id).attachments) == 1)
    env.settle()
    (copy,) = env.b.get_issue(twin.id).attachments
    assert copy.filename == "trace.log"
    assert b"".join(env.b.download_attachment(copy.id)) == payload
    assert len(env.a.get_issue(issue.id).attachments) == 1  # not bounced back


def test_status_through_a_transition_map(env: Env) -> None:
    mapping_a = {"rows": [{"local": "summary", "remote": "summary"}, {"local": "status", "remote": "status"}]}
    mapping_b = {
        "rows": [
            {"local": "summary", "remote": "summary"},
            {"local": "status", "remote": "status", "values": {"In Progress": "Done"}},
        ]
    }
    env.connect(
        a_settings={"mode": "visual", "visual_mapping": mapping_a},
        b_settings={"mode": "visual", "visual_mapping": mapping_b},
    )
    issue = env.create_a("Flow")
    twin = env.twin_of(issue.key)
    env.a.transition(issue.id, "In Progress")
    env.eventually(lambda: env.b.get_issue(twin.id).status == "Done")
    env.settle()
    env.b.transition(twin.id, "To Do")  # "Reopen"; side a takes statuses unmapped
    env.eventually(lambda: env.a.get_issue(issue.id).status == "To Do")


def test_parent_and_subtasks_in_any_order(env: Env) -> None:
    env.connect()
    # Stop the workers' view of the parent until the child exists: pause, create both, resume.
    env.stack.api(A_SITE, "POST", f"/admin/api/connections/{env.connection_id}/pause", expect=200)
    parent = env.create_a("Epic-ish parent", type="Task")
    child = env.create_a("Child task", type="Sub-task", parent=parent.key)
    with env.stack.app.app_context():
        from plugin.extensions import db
        from plugin.models.sync import SyncJob

        # Make the child's job the older one, so it runs first and has to wait for its parent.
        jobs = db.session.execute(db.select(SyncJob).order_by(SyncJob.id)).scalars().all()
        child_jobs = [j for j in jobs if j.issue_id == child.id]
        parent_jobs = [j for j in jobs if j.issue_id == parent.id]
        if child_jobs and parent_jobs and child_jobs[0].id > parent_jobs[0].id:
            for job in parent_jobs:
                db.session.delete(job)
            db.session.commit()
        db.session.remove()
    env.stack.api(A_SITE, "POST", f"/admin/api/connections/{env.connection_id}/resume", expect=200)
    child_twin = env.twin_of(child.key)
    parent_twin = env.twin_of(parent.key)
    assert child_twin.parent == parent_twin.key
    env.settle()
    assert env.stack.sim.site(B_SITE).stats.creates == 2


def test_different_fields_edited_on_both_sides_merge(env: Env) -> None:
    env.connect()
    issue = env.create_a("Merge me", priority="Low")
    twin = env.twin_of(issue.key)
    env.settle()
    env.stack.api(A_SITE, "POST", f"/admin/api/connections/{env.connection_id}/pause", expect=200)
    env.a.update_issue(issue.id, IssueChanges({"summary": "Summary from A"}))
    env.b.update_issue(twin.id, IssueChanges({"priority": "Highest"}))
    env.stack.sim.wait_for_webhooks()
    env.stack.api(A_SITE, "POST", f"/admin/api/connections/{env.connection_id}/resume", expect=200)
    env.eventually(lambda: env.a.get_issue(issue.id).priority == "Highest")
    env.eventually(lambda: env.b.get_issue(twin.id).summary == "Summary from A")
    env.settle()
    a_now, b_now = env.a.get_issue(issue.id), env.b.get_issue(twin.id)
    assert (a_now.summary, a_now.priority) == (b_now.summary, b_now.priority) == ("Summary from A", "Highest")


def test_same_field_on_both_sides_converges_to_the_later_change(env: Env) -> None:
    env.connect()
    issue = env.create_a("Contested")
    twin = env.twin_of(issue.key)
    env.settle()
    env.stack.api(A_SITE, "POST", f"/admin/api/connections/{env.connection_id}/pause", expect=200)
    env.a.update_issue(issue.id, IssueChanges({"summary": "A says"}))
    import time

    time.sleep(1.1)  # a clearly later edit on B
    env.b.update_issue(twin.id, IssueChanges({"summary": "B says, later"}))
    env.stack.sim.wait_for_webhooks()
    env.stack.api(A_SITE, "POST", f"/admin/api/connections/{env.connection_id}/resume", expect=200)
    env.eventually(lambda: env.a.get_issue(issue.id).summary == "B says, later")
    env.settle()
    assert env.b.get_issue(twin.id).summary == "B says, later"
    twins = env.stack.api(A_SITE, "GET", f"/admin/api/connections/{env.connection_id}/twins", expect=200)
    conflicts = [c for t in twins["twins"] for c in t.get("conflicts", [])]
    assert any(c["field"] == "summary" for c in conflicts)


def test_a_single_edit_crosses_once(env: Env) -> None:
    env.connect()
    issue = env.create_a("Counted")
    twin = env.twin_of(issue.key)
    env.settle()
    a_writes, b_writes = env.stack.sim.site(A_SITE).stats.writes, env.stack.sim.site(B_SITE).stats.writes
    env.a.update_issue(issue.id, IssueChanges({"summary": "Counted, edited"}))
    env.eventually(lambda: env.b.get_issue(twin.id).summary == "Counted, edited")
    env.settle()
    # One write by the person on A, one propagated write on B, and no write caused by the echo.
    assert env.stack.sim.site(A_SITE).stats.writes - a_writes == 1
    assert env.stack.sim.site(B_SITE).stats.writes - b_writes == 1


def test_paused_connection_catches_up(env: Env) -> None:
    env.connect()
    env.stack.api(A_SITE, "POST", f"/admin/api/connections/{env.connection_id}/pause", expect=200)
    issues = [env.create_a(f"While paused {n}") for n in range(3)]
    env.stack.sim.wait_for_webhooks()
    assert env.stack.sim.site(B_SITE).stats.creates == 0
    env.stack.api(A_SITE, "POST", f"/admin/api/connections/{env.connection_id}/resume", expect=200)
    for issue in issues:
        env.twin_of(issue.key)
    env.settle()
    assert env.stack.sim.site(B_SITE).stats.creates == 3


def test_resync_after_a_lost_create_response_makes_no_duplicate(env: Env) -> None:
    env.connect()
    env.stack.sim.site(B_SITE).configure(lost_response_rate=1.0)
    issue = env.create_a("Lost response")
    env.eventually(lambda: any(job["attempts"] >= 1 and job["error"] for job in env.jobs()))
    env.stack.sim.site(B_SITE).reset_faults()
    env.twin_of(issue.key)
    env.settle()
    assert len(env.issues_in(B_SITE, B_PROJECT)) == 1


def test_unlink_keeps_both_issues_and_stops_syncing(env: Env) -> None:
    env.connect()
    issue = env.create_a("To be unlinked")
    twin = env.twin_of(issue.key)
    env.settle()
    twins = env.stack.api(A_SITE, "GET", f"/admin/api/connections/{env.connection_id}/twins", expect=200)
    (record,) = twins["twins"]
    env.stack.api(A_SITE, "POST", f"/admin/api/twins/{record['id']}/unlink", expect=200)
    env.a.update_issue(issue.id, IssueChanges({"summary": "Changed after unlink"}))
    env.settle()
    assert env.b.get_issue(twin.id).summary == "To be unlinked"


def test_deleted_issue_follows_the_delete_policy(env: Env) -> None:
    env.connect()
    env.stack.api(
        A_SITE, "PATCH", f"/admin/api/connections/{env.connection_id}", {"delete_policy": "delete_twin"}
    )
    issue = env.create_a("Short-lived")
    twin = env.twin_of(issue.key)
    env.settle()
    env.a.delete_issue(issue.id)
    env.eventually(lambda: all(i.id != twin.id for i in env.issues_in(B_SITE, B_PROJECT)))


def test_script_error_is_visible_with_its_line_and_can_be_retried(env: Env) -> None:
    env.connect()
    broken = "replica.summary = issue.summary\nreplica.labels = issue.labels + 1\n"
    env.stack.api(
        A_SITE,
        "POST",
        f"/admin/api/connections/{env.connection_id}/scripts/outgoing",
        {"source": broken},
        expect=201,
    )
    env.create_a("Hits a bug")
    env.eventually(lambda: bool(env.jobs(JobState.FAILED)))
    (failed,) = env.jobs(JobState.FAILED)
    assert failed["error"]["line"] == 2
    assert failed["error"]["step"] == "outgoing"
    fixed = "replica.summary = issue.summary\nreplica.labels = issue.labels\n"
    env.stack.api(
        A_SITE,
        "POST",
        f"/admin/api/connections/{env.connection_id}/scripts/outgoing",
        {"source": fixed},
        expect=201,
    )
    env.stack.api(A_SITE, "POST", f"/admin/api/jobs/{failed['id']}/retry", expect=200)
    env.eventually(lambda: len(env.issues_in(B_SITE, B_PROJECT)) == 1)
    env.settle()
    assert env.jobs(JobState.FAILED) == []
    assert len(env.issues_in(B_SITE, B_PROJECT)) == 1


def test_projects_outside_the_connection_are_ignored(env: Env) -> None:
    env.connect()
    env.a.create_issue("SUP", "Task", IssueChanges({"summary": "Other project"}), origin="other")
    env.settle()
    assert env.stack.sim.site(B_SITE).stats.creates == 0
    assert A_PROJECT != "SUP"


def test_users_by_email_then_account_map_then_default(env: Env) -> None:
    bob_a, carol_a = env.a.find_user(email="bob@example.com"), env.a.find_user(email="carol@example.com")
    assert env.b.find_user(email="bob@example.com") is None  # globex hides bob's email
    bob_b = env.b.find_user(account_id=seeded_account_id(B_SITE, "bob"))
    assert bob_a and bob_b and carol_a
    env.connect(
        a_settings={"user_map": {bob_b.account_id: bob_a.account_id}},
        b_settings={"default_account_id": "admin-globex"},
    )
    # carol has no account on globex: the side's default takes the issue.
    issue = env.create_a("For carol", assignee=carol_a)
    twin = env.twin_of(issue.key)
    env.eventually(lambda: (env.b.get_issue(twin.id).assignee or User()).account_id == "admin-globex")
    env.settle()
    # bob's email is hidden on globex: acme's account map finds him.
    env.b.update_issue(twin.id, IssueChanges({"assignee": bob_b}))
    assigned = env.b.get_issue(twin.id).assignee
    assert assigned is not None and assigned.email is None  # what Tandem reads of him on globex
    env.eventually(lambda: (env.a.get_issue(issue.id).assignee or User()).account_id == bob_a.account_id)


def test_lost_comment_response_does_not_duplicate_the_comment(env: Env) -> None:
    env.connect()
    issue = env.create_a("Lossy network")
    twin = env.twin_of(issue.key)
    env.settle()
    env.stack.sim.site(B_SITE).configure(lost_response_rate=1.0)
    env.a.add_comment(issue.id, "Said once")
    env.eventually(lambda: any(job["error"] and job["state"] == "queued" for job in env.jobs()))
    env.stack.sim.site(B_SITE).reset_faults()
    env.settle()
    copies = [c for c in env.b.get_issue(twin.id).comments if "Said once" in c.body]
    assert len(copies) == 1
    assert len(env.a.get_issue(issue.id).comments) == 1  # and the lost copy never came back to A


def test_custom_fields_sync_both_ways_through_a_visual_mapping(env: Env) -> None:
    rows = [
        {"local": "summary", "remote": "summary"},
        {"local": "custom:customfield_10042", "remote": "custom:customer"},
        {"local": "custom:customfield_10016", "remote": "custom:points"},
    ]
    mapping = {"rows": rows}
    env.connect(
        a_settings={"mode": "visual", "visual_mapping": mapping},
        b_settings={"mode": "visual", "visual_mapping": mapping},
    )
    issue = env.create_a("Custom", custom={"customfield_10042": "Initech", "customfield_10016": 5})
    twin = env.twin_of(issue.key)
    env.eventually(lambda: env.b.get_issue(twin.id).custom.get("customfield_10042") == "Initech")
    assert env.b.get_issue(twin.id).custom.get("customfield_10016") == 5
    env.settle()
    env.b.update_issue(twin.id, IssueChanges({"custom": {"customfield_10016": 8}}))
    env.eventually(lambda: env.a.get_issue(issue.id).custom.get("customfield_10016") == 8)
    env.settle()
    assert env.a.get_issue(issue.id).custom.get("customfield_10042") == "Initech"
