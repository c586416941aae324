"""Invitation codes: single use, expiring, signed, and never accepted by the inviting site."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from plugin.extensions import db
from plugin.models.connection import Connection, ConnectionState, Invitation
from plugin.models.tenant import utcnow
from tests.plugin.admin.conftest import Site, _site, create_connection


def _accept(site: Site, code: str) -> tuple[int, dict[str, object]]:
    response = site.api("POST", "/invitations/accept", {"code": code, "project_key": "DEV"})
    return response.status_code, response.get_json()["error"] if response.status_code >= 400 else {}


def test_accept_works_once(acme: Site, globex: Site, app: Flask) -> None:
    connection_id, code = create_connection(acme)
    body = globex.ok(
        "POST", "/invitations/accept", {"code": code, "project_key": "DEV", "trigger_query": "x"}
    )
    assert body["connection"]["id"] == connection_id
    assert body["connection"]["state"] == "active"
    assert [s["owned"] for s in body["connection"]["sides"]] == [False, True]

    status, error = _accept(globex, code)
    assert (status, error["code"]) == (409, "conflict")
    with app.app_context():
        connection = db.session.get(Connection, connection_id)
        assert connection is not None
        assert len(connection.sides) == 2  # the second use added nothing


def test_a_used_code_cannot_be_taken_over_by_a_third_site(acme: Site, globex: Site, app: Flask) -> None:
    initech = _site(app, acme.client, "initech")
    _, code = create_connection(acme)
    globex.ok("POST", "/invitations/accept", {"code": code, "project_key": "DEV"})
    assert _accept(initech, code)[0] == 409
    assert initech.ok("GET", "/connections")["connections"] == []


def test_expired_code_conflicts(acme: Site, globex: Site, app: Flask) -> None:
    connection_id, code = create_connection(acme)
    with app.app_context():
        invitation = db.session.execute(
            db.select(Invitation).filter_by(connection_id=connection_id)
        ).scalar_one()
        invitation.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    status, error = _accept(globex, code)
    assert status == 409
    assert "expired" in str(error["message"])
    with app.app_context():
        connection = db.session.get(Connection, connection_id)
        assert connection is not None and connection.state is ConnectionState.PENDING


def test_forged_code_is_rejected(acme: Site, globex: Site) -> None:
    connection_id, code = create_connection(acme)
    body, _, _signature = code.rpartition(".")
    for forged in (f"{body}.{'0' * 24}", f"{connection_id}.guess.abcdef", "not-a-code"):
        status, error = _accept(globex, forged)
        assert (status, error["code"]) == (422, "validation_failed"), forged
        assert "code" in error["details"]  # type: ignore[operator]
    assert acme.ok("GET", f"/connections/{connection_id}")["connection"]["state"] == "pending"


def test_accepting_your_own_invitation_conflicts(acme: Site) -> None:
    connection_id, code = create_connection(acme)
    status, _ = _accept(acme, code)
    assert status == 409
    assert acme.ok("GET", f"/connections/{connection_id}")["connection"]["state"] == "pending"


def test_new_code_for_an_accepted_connection_conflicts(acme: Site, linked: int) -> None:
    assert acme.api("POST", f"/connections/{linked}/invitation").status_code == 409


def test_only_the_inviting_site_issues_codes(acme: Site, globex: Site, linked: int) -> None:
    assert globex.api("POST", f"/connections/{linked}/invitation").status_code == 403
