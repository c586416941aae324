"""Two installed Jira sites and a way to call the admin API and pages as each one's admin.

Tenants are recorded directly (``record_install``); the signed install itself is tested in
``tests/plugin/connect``. Tokens are made the way Jira makes them: a context token from
``AP.context.getToken()`` (``qsh = context-qsh``, ``sub`` = the user) for API calls, and a
request-bound token for page loads.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from connectors.jira.connect_jwt import CONTEXT_QSH, encode_token
from plugin.extensions import db
from plugin.models.sync import JobState, SyncJob, Twin
from plugin.tenants import record_install
from tests.support import install_payload

BASE_URL = "https://tandem.test"


@dataclass
class Site:
    """One Jira site's admin, as seen by the admin API."""

    client: FlaskClient
    client_key: str
    secret: str
    tenant_id: int
    user: str = "admin-user"

    def context_token(self, **claims: Any) -> str:
        return encode_token(
            issuer=self.client_key,
            secret=self.secret,
            method="GET",
            url="/",
            base_url=BASE_URL,
            extra_claims={"qsh": CONTEXT_QSH, "sub": self.user, **claims},
        )

    def page_token(self, method: str, path: str, **claims: Any) -> str:
        """A token bound to exactly this request (qsh), as Jira signs an iframe URL."""
        return encode_token(
            issuer=self.client_key,
            secret=self.secret,
            method=method,
            url=BASE_URL + path,
            base_url=BASE_URL,
            extra_claims=claims,
        )

    def api(self, method: str, path: str, json: Any = None, **kwargs: Any) -> TestResponse:
        headers = {"Authorization": f"JWT {self.context_token()}"}
        return self.client.open(f"/admin/api{path}", method=method, json=json, headers=headers, **kwargs)

    def ok(self, method: str, path: str, json: Any = None, status: int = 200) -> Any:
        response = self.api(method, path, json)
        assert response.status_code == status, response.get_data(as_text=True)
        return response.get_json()

    def page(self, path: str) -> TestResponse:
        separator = "&" if "?" in path else "?"
        token = self.page_token("GET", path)
        return self.client.get(f"{path}{separator}jwt={token}")


def _site(app: Flask, client: FlaskClient, name: str) -> Site:
    secret = f"{name}-shared-secret-".ljust(40, "x")
    payload = install_payload(f"jira:{name}", secret, f"https://{name}.atlassian.net")
    with app.app_context():
        tenant = record_install(payload)
        tenant_id = tenant.id
        db.session.remove()
    return Site(client, payload["clientKey"], secret, tenant_id)


@pytest.fixture
def acme(app: Flask, client: FlaskClient) -> Site:
    return _site(app, client, "acme")


@pytest.fixture
def globex(app: Flask, client: FlaskClient) -> Site:
    return _site(app, client, "globex")


@pytest.fixture
def ctx(app: Flask) -> Iterator[Flask]:
    """An app context for looking at the database directly."""
    with app.app_context():
        yield app
        db.session.remove()


def create_connection(site: Site, name: str = "support", project_key: str = "SUP") -> tuple[int, str]:
    body = site.ok("POST", "/connections", {"name": name, "project_key": project_key}, status=201)
    return int(body["connection"]["id"]), str(body["invitation_code"])


@pytest.fixture
def linked(acme: Site, globex: Site) -> int:
    """An active connection: acme's SUP (side a) with globex's DEV (side b)."""
    connection_id, code = create_connection(acme)
    globex.ok("POST", "/invitations/accept", {"code": code, "project_key": "DEV"})
    return connection_id


def add_twin(app: Flask, connection_id: int, a_key: str = "SUP-1", b_key: str = "DEV-1") -> int:
    with app.app_context():
        twin = Twin(connection_id=connection_id, origin=f"test-{connection_id}-{a_key}")
        twin.set_issue("a", a_key.replace("-", "") + "0", a_key)
        twin.set_issue("b", b_key.replace("-", "") + "0", b_key)
        twin.conflicts = [{"field": "summary", "winner": "b"}]
        db.session.add(twin)
        db.session.commit()
        twin_id = int(twin.id)
        db.session.remove()
    return twin_id


def add_job(
    app: Flask,
    connection_id: int,
    state: JobState = JobState.FAILED,
    *,
    issue_key: str = "SUP-1",
    twin_id: int | None = None,
) -> int:
    with app.app_context():
        job = SyncJob(
            connection_id=connection_id,
            source="a",
            issue_id="10001",
            issue_key=issue_key,
            twin_id=twin_id,
            state=state,
            attempts=3,
            step="outgoing" if state is JobState.FAILED else None,
            error={
                "step": "outgoing",
                "message": "NameError: name 'x' is not defined",
                "line": 2,
                "column": 0,
            }
            if state is JobState.FAILED
            else None,
        )
        db.session.add(job)
        db.session.commit()
        job_id = int(job.id)
        db.session.remove()
    return job_id


def job_state(app: Flask, job_id: int) -> JobState:
    with app.app_context():
        job = db.session.get(SyncJob, job_id)
        assert job is not None
        state = job.state
        db.session.remove()
    return state
