"""Happy paths of the connection endpoints, as the admin page uses them."""

from __future__ import annotations

from flask import Flask

from plugin.extensions import db
from plugin.models.connection import Connection, ConnectionState, Side
from tests.plugin.admin.conftest import Site, create_connection


def test_create_returns_a_pending_connection_and_a_code(acme: Site) -> None:
    body = acme.ok(
        "POST",
        "/connections",
        {"name": " Support ", "project_key": "SUP", "trigger_query": "labels = x"},
        201,
    )
    connection = body["connection"]
    assert connection["name"] == "Support"
    assert connection["state"] == "pending"
    (side,) = connection["sides"]
    assert side == {
        "position": "a",
        "site": "https://acme.atlassian.net",
        "project_key": "SUP",
        "owned": True,
        "trigger_query": "labels = x",
        "sends": True,
        "receives": True,
        "mode": "basic",
        "visual_mapping": None,
        "user_map": {},
        "default_account_id": None,
        "outgoing_version": None,
        "incoming_version": None,
    }
    assert body["invitation_code"].startswith(f"{connection['id']}.")


def test_list_shows_own_connections_with_queue_counters(acme: Site, globex: Site, linked: int) -> None:
    create_connection(globex, name="globex only")
    listed = acme.ok("GET", "/connections")["connections"]
    assert [c["id"] for c in listed] == [linked]
    assert listed[0]["queue"] == {"queued": 0, "running": 0, "done": 0, "failed": 0, "resolved": 0}
    assert [c["name"] for c in globex.ok("GET", "/connections")["connections"]] == ["support", "globex only"]


def test_accepted_connection_shows_the_other_side_without_its_settings(
    acme: Site, globex: Site, linked: int
) -> None:
    connection = globex.ok("GET", f"/connections/{linked}")["connection"]
    assert connection["state"] == "active"
    side_a, side_b = connection["sides"]
    assert side_a == {
        "position": "a",
        "site": "https://acme.atlassian.net",
        "project_key": "SUP",
        "owned": False,
    }
    assert side_b["owned"] is True
    assert side_b["project_key"] == "DEV"


def test_remote_connection_to_a_site_without_the_app(acme: Site, ctx: Flask) -> None:
    body = acme.ok(
        "POST",
        "/connections/remote",
        {
            "name": "to partner",
            "project_key": "SUP",
            "remote": {
                "config": {
                    "base_url": "https://partner.atlassian.net/",
                    "auth": {"type": "basic", "email": "bot@partner.test", "api_token": "tok-123"},
                },
                "project_key": "PAR",
                "trigger_query": "project = PAR",
            },
        },
        201,
    )
    connection = body["connection"]
    assert connection["state"] == "active"
    assert [(s["position"], s["owned"], s["site"]) for s in connection["sides"]] == [
        ("a", True, "https://acme.atlassian.net"),
        ("b", True, "https://partner.atlassian.net"),
    ]
    assert "api_token" not in str(body)  # credentials never travel back to the browser
    side_b = db.session.execute(
        db.select(Side).filter_by(connection_id=connection["id"], position="b")
    ).scalar_one()
    assert side_b.trigger_query == "project = PAR"


def test_new_invitation_code_for_a_pending_connection(acme: Site, globex: Site) -> None:
    connection_id, first = create_connection(acme)
    second = acme.ok("POST", f"/connections/{connection_id}/invitation", status=201)["invitation_code"]
    assert second != first
    accepted = globex.ok("POST", "/invitations/accept", {"code": second, "project_key": "DEV"})
    assert accepted["connection"]["state"] == "active"


def test_patch_configures_own_side_and_delete_policy(acme: Site, linked: int) -> None:
    mapping = {"rows": [{"local": "summary", "remote": "summary", "direction": "both", "when": "always"}]}
    body = acme.ok(
        "PATCH",
        f"/connections/{linked}",
        {
            "side": {
                "project_key": "HELP",
                "sends": False,
                "mode": "visual",
                "visual_mapping": mapping,
            },
            "delete_policy": "delete_twin",
        },
    )
    connection = body["connection"]
    own = connection["sides"][0]
    # (trigger queries are checked against the live site: see tests/e2e/test_operations.py)
    assert (own["project_key"], own["sends"], own["receives"]) == ("HELP", False, True)
    assert own["mode"] == "visual"
    assert own["visual_mapping"] == mapping
    assert connection["delete_policy"] == "delete_twin"


def test_pause_and_resume(acme: Site, linked: int) -> None:
    assert acme.ok("POST", f"/connections/{linked}/pause")["connection"]["state"] == "paused"
    assert acme.ok("GET", f"/connections/{linked}")["connection"]["state"] == "paused"
    assert acme.ok("POST", f"/connections/{linked}/resume")["connection"]["state"] == "active"


def test_pausing_a_pending_connection_conflicts(acme: Site) -> None:
    connection_id, _ = create_connection(acme)
    response = acme.api("POST", f"/connections/{connection_id}/pause")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "conflict"


def test_delete_removes_the_connection(acme: Site, linked: int, ctx: Flask) -> None:
    response = acme.api("DELETE", f"/connections/{linked}")
    assert response.status_code == 204
    assert db.session.get(Connection, linked) is None
    assert acme.api("GET", f"/connections/{linked}").status_code == 404


def test_queue_counters_of_one_connection(acme: Site, linked: int) -> None:
    assert acme.ok("GET", f"/connections/{linked}/queue")["queue"]["failed"] == 0


def test_connection_state_is_read_from_the_database(acme: Site, linked: int, ctx: Flask) -> None:
    connection = db.session.get(Connection, linked)
    assert connection is not None
    connection.state = ConnectionState.ERROR
    db.session.commit()
    assert acme.ok("GET", f"/connections/{linked}")["connection"]["state"] == "error"
