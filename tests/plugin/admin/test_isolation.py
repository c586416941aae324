"""One site's admin can never see or change another site's connections, jobs or twins."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from plugin.extensions import db
from plugin.models.connection import Connection
from plugin.models.sync import JobState, Twin, TwinState
from tests.plugin.admin.conftest import Site, add_job, add_twin, job_state

REMOTE = {
    "name": "acme private",
    "project_key": "SUP",
    "remote": {
        "config": {
            "base_url": "https://partner.atlassian.net",
            "auth": {"type": "basic", "email": "bot@partner.test", "api_token": "secret-token"},
        },
        "project_key": "PAR",
    },
}


@pytest.fixture
def private(acme: Site) -> int:
    """An active connection only acme is a party to (acme's site and a connector it owns)."""
    return int(acme.ok("POST", "/connections/remote", REMOTE, 201)["connection"]["id"])


def _snapshot(app: Flask, connection_id: int) -> tuple[Any, ...]:
    with app.app_context():
        connection = db.session.get(Connection, connection_id)
        assert connection is not None
        sides = tuple((s.project_key, s.trigger_query, s.mode, s.sends) for s in connection.sides)
        result = (connection.name, connection.state, connection.delete_policy, sides)
        db.session.remove()
    return result


ATTACKS: list[tuple[str, str, Any]] = [
    ("GET", "", None),
    ("PATCH", "", {"side": {"project_key": "PWN"}, "delete_policy": "ignore"}),
    ("DELETE", "", None),
    ("POST", "/pause", None),
    ("POST", "/resume", None),
    ("POST", "/invitation", None),
    ("GET", "/scripts", None),
    ("POST", "/scripts/outgoing", {"source": "replica.summary = issue.summary\n"}),
    ("POST", "/scripts/outgoing/rollback", {"number": 1}),
    ("POST", "/scripts/incoming/test", {"source": "issue.summary = 'x'\n", "issue_key": "SUP-1"}),
    ("GET", "/jobs", None),
    ("GET", "/queue", None),
    ("GET", "/twins", None),
    ("POST", "/sync", {"issue_key": "SUP-1"}),
    ("POST", "/bulk", {"query": "project = SUP"}),
    ("POST", "/migrate", {"query": "project = SUP"}),
    ("POST", "/link", {"a_key": "SUP-1", "b_key": "PAR-1"}),
]


@pytest.mark.parametrize(("method", "suffix", "body"), ATTACKS)
def test_another_sites_connection_is_not_found_and_unchanged(
    app: Flask, acme: Site, globex: Site, private: int, method: str, suffix: str, body: Any
) -> None:
    before = _snapshot(app, private)
    response = globex.api(method, f"/connections/{private}{suffix}", body)
    assert response.status_code == 404, response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == "not_found"
    assert _snapshot(app, private) == before
    assert acme.api("GET", f"/connections/{private}").status_code == 200


def test_not_found_looks_the_same_as_a_missing_connection(globex: Site, private: int) -> None:
    foreign = globex.api("GET", f"/connections/{private}").get_json()["error"]
    missing = globex.api("GET", "/connections/999999").get_json()["error"]
    assert foreign["message"].replace(str(private), "N") == missing["message"].replace("999999", "N")


def test_another_sites_job_cannot_be_retried_or_resolved(app: Flask, globex: Site, private: int) -> None:
    job_id = add_job(app, private, JobState.FAILED)
    for action in ("retry", "resolve"):
        response = globex.api("POST", f"/jobs/{job_id}/{action}")
        assert response.status_code == 404
    assert job_state(app, job_id) is JobState.FAILED


def test_another_sites_twin_cannot_be_unlinked_or_resynced(app: Flask, globex: Site, private: int) -> None:
    twin_id = add_twin(app, private)
    assert globex.api("POST", f"/twins/{twin_id}/unlink").status_code == 404
    assert globex.api("POST", f"/twins/{twin_id}/resync", {"hard": True}).status_code == 404
    with app.app_context():
        twin = db.session.get(Twin, twin_id)
        assert twin is not None and twin.state is TwinState.LINKED
        db.session.remove()


def test_the_other_party_cannot_configure_or_script_my_side(
    app: Flask, acme: Site, globex: Site, linked: int
) -> None:
    """globex is a party to ``linked`` but side a is acme's: its rules are acme's admin's."""
    before = _snapshot(app, linked)
    attempts = [
        ("PATCH", "", {"position": "a", "side": {"project_key": "PWN"}}),
        ("POST", "/scripts/outgoing", {"position": "a", "source": "replica.summary = 'pwned'\n"}),
        ("POST", "/scripts/outgoing/rollback", {"position": "a", "number": 1}),
        ("POST", "/sync", {"position": "a", "issue_key": "SUP-1"}),
        ("POST", "/bulk", {"position": "a", "query": "project = SUP"}),
    ]
    for method, suffix, body in attempts:
        response = globex.api(method, f"/connections/{linked}{suffix}", body)
        assert response.status_code == 403, (suffix, response.get_data(as_text=True))
    assert globex.api("GET", f"/connections/{linked}/scripts?position=a").status_code == 403
    assert _snapshot(app, linked) == before


def test_body_ids_do_not_decide_ownership(app: Flask, acme: Site, globex: Site, private: int) -> None:
    """Ids smuggled into a body are ignored: only the URL id, checked against the caller, counts."""
    own_id = int(
        globex.ok("POST", "/connections", {"name": "g", "project_key": "G"}, 201)["connection"]["id"]
    )
    response = globex.api(
        "PATCH",
        f"/connections/{own_id}",
        {"side": {"project_key": "X"}, "id": private, "connection_id": private},
    )
    assert response.status_code == 422  # unknown fields are refused, not interpreted
    assert _snapshot(app, private)[3][0][0] == "SUP"


# -- authentication --------------------------------------------------------------------------


def _api_routes(app: Flask) -> list[tuple[str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin/api"):
            continue
        path = rule.rule.replace("<int:connection_id>", "1").replace("<int:job_id>", "1")
        path = path.replace("<int:twin_id>", "1").replace("<direction>", "outgoing")
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            routes.append((method, path))
    return routes


def test_every_api_route_requires_a_token(app: Flask, acme: Site) -> None:
    routes = _api_routes(app)
    assert len(routes) >= 25
    for method, path in routes:
        response = acme.client.open(path, method=method, json={})
        assert response.status_code == 401, (method, path)
        assert response.get_json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize(
    "token_of",
    [
        lambda site: site.context_token() + "x",  # bad signature
        lambda site: site.context_token(exp=1),  # expired
        lambda site: site.context_token(iss="jira:unknown"),  # unknown tenant
        lambda site: site.context_token(sub=None),  # names no user
        lambda site: site.page_token("GET", "/admin/api/connections/1", sub="u"),  # bound elsewhere
    ],
    ids=["signature", "expired", "unknown-tenant", "no-user", "other-request"],
)
def test_bad_tokens_are_refused(acme: Site, token_of: Any) -> None:
    response = acme.client.get("/admin/api/connections", headers={"Authorization": f"JWT {token_of(acme)}"})
    assert response.status_code == 401


def test_a_request_bound_token_naming_a_user_is_accepted_on_the_api(acme: Site, linked: int) -> None:
    token = acme.page_token("GET", "/admin/api/connections", sub="admin-user")
    response = acme.client.get("/admin/api/connections", headers={"Authorization": f"JWT {token}"})
    assert response.status_code == 200
    assert [c["id"] for c in response.get_json()["connections"]] == [linked]


def test_a_context_token_is_refused_on_the_pages(acme: Site) -> None:
    token = acme.context_token()
    for path in ("/admin/page", "/admin/issue-panel?issue=SUP-1"):
        separator = "&" if "?" in path else "?"
        assert acme.client.get(f"{path}{separator}jwt={token}").status_code == 401
        assert acme.client.get(path, headers={"Authorization": f"JWT {token}"}).status_code == 401


def test_a_page_token_is_bound_to_its_page(acme: Site) -> None:
    token = acme.page_token("GET", "/admin/page?project=SUP")
    assert acme.client.get(f"/admin/page?project=SUP&jwt={token}").status_code == 200
    assert acme.client.get(f"/admin/page?project=OTHER&jwt={token}").status_code == 401
