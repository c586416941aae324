"""Bad input gets a 4xx JSON answer naming every problem; never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.plugin.admin.conftest import Site, add_job, add_twin

BODY_ROUTES = [
    ("POST", "/connections"),
    ("POST", "/connections/remote"),
    ("POST", "/invitations/accept"),
    ("PATCH", "/connections/{c}"),
    ("POST", "/connections/{c}/scripts/outgoing"),
    ("POST", "/connections/{c}/scripts/outgoing/rollback"),
    ("POST", "/connections/{c}/scripts/incoming/test"),
    ("POST", "/connections/{c}/sync"),
    ("POST", "/connections/{c}/bulk"),
    ("POST", "/connections/{c}/migrate"),
    ("POST", "/connections/{c}/link"),
    ("POST", "/twins/{t}/resync"),
]


@pytest.mark.parametrize("raw", [b"", b"[1, 2]", b'"text"', b"null", b"{not json", b"\xff\xfe"])
def test_a_body_that_is_not_a_json_object_is_400(app: Flask, acme: Site, linked: int, raw: bytes) -> None:
    twin_id = add_twin(app, linked)
    for method, path in BODY_ROUTES:
        response = acme.client.open(
            "/admin/api" + path.format(c=linked, t=twin_id),
            method=method,
            data=raw,
            headers={"Authorization": f"JWT {acme.context_token()}", "Content-Type": "application/json"},
        )
        assert response.status_code == 400, (method, path, response.get_data(as_text=True))
        assert response.get_json()["error"]["code"] == "invalid_body"


def _problems(site: Site, method: str, path: str, body: Any) -> dict[str, Any]:
    response = site.api(method, path, body)
    assert response.status_code == 422, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed"
    return dict(error["details"])


def test_create_reports_every_missing_or_mistyped_field(acme: Site) -> None:
    details = _problems(acme, "POST", "/connections", {"name": 7, "trigger_query": ["x"]})
    assert set(details) == {"name", "project_key", "trigger_query"}
    too_long = _problems(acme, "POST", "/connections", {"name": "n" * 201, "project_key": "   "})
    assert set(too_long) == {"name", "project_key"}
    assert acme.ok("GET", "/connections")["connections"] == []


def test_remote_reports_nested_problems_with_their_path(acme: Site) -> None:
    details = _problems(
        acme,
        "POST",
        "/connections/remote",
        {
            "name": "n",
            "project_key": "SUP",
            "remote": {
                "config": {"base_url": "ftp://x", "auth": {"type": "oauth", "email": 1}, "proxy": "p"},
                "trigger_query": 3,
            },
        },
    )
    assert set(details) == {
        "remote.project_key",
        "remote.trigger_query",
        "remote.config.base_url",
        "remote.config.proxy",
        "remote.config.auth.type",
        "remote.config.auth.email",
        "remote.config.auth.api_token",
    }
    assert set(_problems(acme, "POST", "/connections/remote", {"name": "n", "project_key": "S"})) == {
        "remote"
    }


def test_remote_requires_https_in_production(acme: Site, app: Flask) -> None:
    app.config["TANDEM_ENV"] = "production"
    body = {
        "name": "n",
        "project_key": "SUP",
        "remote": {
            "config": {
                "base_url": "http://10.0.0.1",
                "auth": {"type": "basic", "email": "e", "api_token": "t"},
            },
            "project_key": "PAR",
        },
    }
    assert set(_problems(acme, "POST", "/connections/remote", body)) == {"remote.config.base_url"}


def test_accept_requires_code_and_project(acme: Site) -> None:
    assert set(_problems(acme, "POST", "/invitations/accept", {"code": ""})) == {"code", "project_key"}


def test_patch_reports_every_bad_setting_and_changes_nothing(acme: Site, linked: int) -> None:
    details = _problems(
        acme,
        "PATCH",
        f"/connections/{linked}",
        {
            "side": {
                "project_key": "NEW",
                "sends": "yes",
                "mode": "turbo",
                "trigger_query": 5,
                "visual_mapping": {"rows": [{"local": "nope"}]},
                "colour": "blue",
            }
        },
    )
    assert set(details) == {"sends", "mode", "trigger_query", "visual_mapping", "colour"}
    side = acme.ok("GET", f"/connections/{linked}")["connection"]["sides"][0]
    assert (side["project_key"], side["mode"], side["sends"]) == ("SUP", "basic", True)


def test_patch_top_level_problems(acme: Site, linked: int) -> None:
    details = _problems(
        acme,
        "PATCH",
        f"/connections/{linked}",
        {"side": [], "delete_policy": "burn", "position": "z", "x": 1},
    )
    assert set(details) == {"side", "delete_policy", "position", "x"}
    assert set(_problems(acme, "PATCH", f"/connections/{linked}", {})) == {"side"}
    assert acme.ok("GET", f"/connections/{linked}")["connection"]["delete_policy"] == "unlink"


def test_a_refused_patch_leaves_no_half_update(acme: Site, linked: int) -> None:
    """An invalid side setting must not let the valid delete_policy of the same request through."""
    _problems(acme, "PATCH", f"/connections/{linked}", {"side": {"mode": "turbo"}, "delete_policy": "ignore"})
    assert acme.ok("GET", f"/connections/{linked}")["connection"]["delete_policy"] == "unlink"


def test_rollback_number_must_be_a_positive_integer(acme: Site, linked: int) -> None:
    for number in ("1", 0, True, 1.5, None):
        details = _problems(
            acme, "POST", f"/connections/{linked}/scripts/outgoing/rollback", {"number": number}
        )
        assert set(details) == {"number"}, number


def test_operation_bodies(acme: Site, linked: int) -> None:
    assert set(_problems(acme, "POST", f"/connections/{linked}/sync", {"position": "c"})) == {
        "issue_key",
        "position",
    }
    assert set(_problems(acme, "POST", f"/connections/{linked}/link", {"a_key": ["SUP-1"]})) == {
        "a_key",
        "b_key",
    }
    assert set(_problems(acme, "POST", f"/connections/{linked}/migrate", {})) == {"query"}
    assert set(_problems(acme, "POST", f"/connections/{linked}/bulk", {"query": 12})) == {"query"}


@pytest.mark.parametrize(
    "query",
    ["state=broken", "state=failed,nope", "limit=0", "limit=501", "limit=ten", "before=-1", "before=x"],
)
def test_jobs_query_parameters(acme: Site, linked: int, query: str) -> None:
    response = acme.api("GET", f"/connections/{linked}/jobs?{query}")
    assert response.status_code == 422
    assert response.get_json()["error"]["details"]


def test_non_numeric_ids_are_json_404s(acme: Site) -> None:
    for path in ("/connections/abc", "/jobs/x/retry", "/twins/1.5/unlink", "/connections/-1"):
        method = "GET" if path.startswith("/connections") else "POST"
        response = acme.api(method, path)
        assert response.status_code == 404, path
        assert response.get_json()["error"]["code"] == "not_found"


def test_wrong_method_is_a_json_405(acme: Site) -> None:
    response = acme.api("PUT", "/connections")
    assert response.status_code == 405
    assert "error" in response.get_json()


WEIRD_BODIES: list[Any] = [
    {},
    {"name": None, "project_key": None, "code": None, "side": None, "source": None, "issue_key": None},
    {"name": {"a": 1}, "project_key": [1], "remote": "x", "code": 5, "number": "1", "query": {}, "hard": 1},
    {"side": {"visual_mapping": "rows"}, "replica": "x", "a_key": "", "b_key": None, "position": 1},
    {"name": "\x00", "project_key": "K" * 65, "source": "\x00", "issue_key": "K" * 65, "code": "1.2.3"},
]


def test_no_weird_body_causes_a_server_error(app: Flask, acme: Site) -> None:
    # A pending connection: a body that passes validation stops at "not accepted yet" (409)
    # instead of reaching out to a Jira site this test does not have.
    pending = int(acme.ok("POST", "/connections", {"name": "p", "project_key": "P"}, 201)["connection"]["id"])
    twin_id = add_twin(app, pending)
    job_id = add_job(app, pending)
    routes = [
        *BODY_ROUTES,
        ("POST", "/jobs/{j}/retry"),
        ("POST", "/jobs/{j}/resolve"),
        ("POST", "/connections/{c}/invitation"),
    ]
    for body in WEIRD_BODIES:
        for method, path in routes:
            response = acme.api(method, path.format(c=pending, t=twin_id, j=job_id), body)
            # Retrying the failed job is a valid request; everything else here is refused with a 4xx.
            assert response.status_code < 500, (method, path, body, response.get_data(as_text=True))
            assert response.status_code < 300 or "error" in response.get_json()
