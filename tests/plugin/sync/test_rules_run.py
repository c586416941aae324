"""The generated rules run in the real sandbox and produce what the engine expects."""

from __future__ import annotations

from typing import Any

from connectors.model import Comment, Issue, User
from plugin.sync import rules
from scripts_sandbox import run_inline

ALICE = User(account_id="a-1", email="alice@example.com", display_name="Alice")


def _issue(**overrides: Any) -> dict[str, Any]:
    issue = Issue(
        id="10001",
        key="SUP-1",
        project="SUP",
        type="Bug",
        summary="Broken",
        description="It **breaks**",
        status="Open",
        priority="High",
        labels=["customer"],
        assignee=ALICE,
        comments=[Comment(id="c1", body="hello", author=ALICE)],
    )
    data = issue.to_dict()
    data.update(overrides)
    return data


def _blank() -> dict[str, Any]:
    return Issue(id="", key="", project="DEV", type="", summary="").to_dict()


def test_basic_rules_round_trip_a_first_sync() -> None:
    outgoing = run_inline(rules.BASIC_OUTGOING, direction="outgoing", issue=_issue())
    assert outgoing.ok, outgoing.error
    replica = outgoing.value
    assert replica["summary"] == "Broken" and replica["labels"] == ["customer"]
    incoming = run_inline(
        rules.BASIC_INCOMING, direction="incoming", issue=_blank(), replica=replica, first_sync=True
    )
    assert incoming.ok, incoming.error
    desired = incoming.value
    assert desired["type"] == "Bug"
    assert desired["status"] == "Open"
    assert (
        desired["assignee"] == {"email": "alice@example.com"}
        or desired["assignee"]["email"] == "alice@example.com"
    )
    assert [c["remote_id"] for c in desired["comments"]] == ["c1"]


def test_visual_rules_map_statuses_and_fail_on_unmapped_when_asked() -> None:
    mapping = {
        "rows": [
            {"local": "summary", "remote": "summary"},
            {"local": "status", "remote": "status", "values": {"Open": "To Do"}, "unmapped": "error"},
        ]
    }
    replica = run_inline(rules.visual_outgoing(mapping, "a"), direction="outgoing", issue=_issue()).value
    incoming = run_inline(
        rules.visual_incoming(mapping, "b"), direction="incoming", issue=_blank(), replica=replica
    )
    assert incoming.ok and incoming.value["status"] == "To Do"
    unmapped = dict(replica, status="Waiting")
    failed = run_inline(
        rules.visual_incoming(mapping, "b"), direction="incoming", issue=_blank(), replica=unmapped
    )
    assert not failed.ok
    assert (
        failed.error is not None and failed.error.line == 4
    )  # the raise, after the header and the summary row
    assert "no mapping for status" in failed.error.message
