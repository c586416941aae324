"""The real webhook endpoint: only a tenant's correctly signed events enqueue work, for its own sides."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from connectors.jira.connect_jwt import encode_token
from plugin.extensions import db
from plugin.models.connection import Connection, ConnectionState, Side
from plugin.models.sync import SyncJob
from plugin.tenants import find_tenant
from tests.plugin.connect.conftest import Installer

ACME_SECRET = "acme-shared-secret-0123456789abcdef"
GLOBEX_SECRET = "globex-shared-secret-0123456789abcd"


def _event(issue_id: str = "10001", project: str = "SUP") -> dict[str, Any]:
    return {
        "webhookEvent": "jira:issue_updated",
        "issue": {"id": issue_id, "key": f"{project}-1", "fields": {"project": {"key": project}}},
    }


def _post(
    client: FlaskClient, body: Any, *, issuer: str = "jira:acme", secret: str = ACME_SECRET, **claims: Any
) -> Any:
    token = encode_token(
        issuer=issuer,
        secret=secret,
        method="POST",
        url="/webhooks/jira",
        base_url="https://tandem.test",
        extra_claims=claims,
    )
    return client.post("/webhooks/jira", json=body, headers={"Authorization": f"JWT {token}"})


def _setup(app: Flask, installer: Installer) -> int:
    installer.install("jira:acme", ACME_SECRET)
    installer.install("jira:globex", GLOBEX_SECRET)
    with app.app_context():
        acme, globex = find_tenant("jira:acme"), find_tenant("jira:globex")
        assert acme is not None and globex is not None
        connection = Connection(name="c", owner_tenant_id=acme.id, state=ConnectionState.ACTIVE)
        connection.sides.append(
            Side(position="a", tenant_id=acme.id, owner_tenant_id=acme.id, project_key="SUP")
        )
        connection.sides.append(
            Side(position="b", tenant_id=globex.id, owner_tenant_id=globex.id, project_key="DEV")
        )
        db.session.add(connection)
        db.session.commit()
        return int(connection.id)


def _jobs(app: Flask) -> list[tuple[str, str]]:
    with app.app_context():
        return [(job.source, job.issue_id) for job in db.session.execute(db.select(SyncJob)).scalars()]


def test_signed_event_enqueues_on_the_tenants_own_side(
    app: Flask, client: FlaskClient, installer: Installer
) -> None:
    _setup(app, installer)
    response = _post(client, _event())
    assert response.status_code == 202
    assert response.get_json() == {"queued": 1}
    assert _jobs(app) == [("a", "10001")]


def test_event_for_another_project_is_ignored(app: Flask, client: FlaskClient, installer: Installer) -> None:
    _setup(app, installer)
    assert _post(client, _event(project="OTHER")).get_json() == {"queued": 0}
    assert _jobs(app) == []


def test_other_tenant_cannot_inject_events_for_acme(
    app: Flask, client: FlaskClient, installer: Installer
) -> None:
    _setup(app, installer)
    # globex signs correctly as itself: the event lands on globex's side only, never on acme's.
    response = _post(client, _event(project="SUP"), issuer="jira:globex", secret=GLOBEX_SECRET)
    assert response.get_json() == {"queued": 0}
    forged = _post(client, _event(), issuer="jira:acme", secret=GLOBEX_SECRET)
    assert forged.status_code == 401
    assert _jobs(app) == []


def test_context_token_is_refused_on_webhooks(app: Flask, client: FlaskClient, installer: Installer) -> None:
    _setup(app, installer)
    response = _post(client, _event(), qsh="context-qsh", sub="someone")
    assert response.status_code == 401
    assert _jobs(app) == []


def test_malformed_body_is_a_clear_4xx(app: Flask, client: FlaskClient, installer: Installer) -> None:
    _setup(app, installer)
    response = _post(client, {"webhookEvent": "jira:issue_updated"})
    assert response.status_code == 422
    assert "issue" in response.get_json()["error"]["details"]
