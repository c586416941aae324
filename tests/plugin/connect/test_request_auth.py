"""HS256 requests from Jira: shared secret, qsh bound to the request, context tokens only on the API."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import atlassian_jwt
import jwt
import pytest
from flask import Flask, jsonify
from flask.testing import FlaskClient

from connectors.jira.connect_jwt import encode_token, query_string_hash
from plugin.connect.auth import context_request, current_caller, current_tenant, jira_request, sign_for_tenant
from plugin.extensions import db
from plugin.models.tenant import TenantState
from tests.plugin.connect.conftest import Installer

SECRET = "acme-shared-secret-0123456789abcdef"


@pytest.fixture
def app(app: Flask) -> Iterator[Flask]:
    # Routes that exist only in tests, to exercise the decorators the real views use.
    def who() -> Any:
        caller = current_caller()
        return jsonify({"tenant": current_tenant().client_key, "sub": caller.account_id})

    app.add_url_rule("/t/hook", "t_hook", jira_request(who), methods=["GET", "POST"])
    app.add_url_rule("/t/api", "t_api", context_request(who), methods=["GET", "POST"])
    yield app


@pytest.fixture
def tenants(installer: Installer) -> None:
    installer.install("jira:acme", SECRET)
    installer.install("jira:globex", "globex-shared-secret-0123456789abcd")


def _token(method: str, url: str, *, secret: str = SECRET, issuer: str = "jira:acme", **claims: Any) -> str:
    return encode_token(
        issuer=issuer,
        secret=secret,
        method=method,
        url=url,
        base_url="https://tandem.test",
        extra_claims=claims,
    )


def _get(client: FlaskClient, path: str, token: str) -> Any:
    return client.get(path, headers={"Authorization": f"JWT {token}"})


def _assert_401(response: Any) -> None:
    assert response.status_code == 401, response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_webhook_signed_as_jira_signs_is_accepted(client: FlaskClient, tenants: None) -> None:
    url = "/t/hook?b=2&a=1 2"
    response = client.post("/t/hook?b=2&a=1%202", headers={"Authorization": f"JWT {_token('POST', url)}"})
    assert response.status_code == 200
    assert response.get_json()["tenant"] == "jira:acme"


def test_token_in_query_parameter_is_accepted_for_page_loads(client: FlaskClient, tenants: None) -> None:
    token = _token("GET", "/t/hook?project=SUP")
    response = client.get(f"/t/hook?project=SUP&jwt={token}")
    assert response.status_code == 200


def test_atlassian_jwt_library_tokens_are_accepted(client: FlaskClient, tenants: None) -> None:
    # The reference implementation's canonicalization must agree with ours.
    class Auth(atlassian_jwt.Authenticator):  # type: ignore[misc]
        def get_shared_secret(self, client_key: str) -> str:
            return SECRET

    token = atlassian_jwt.encode_token("GET", "/t/hook?z=last&a=first&sp=a%20b", "jira:acme", SECRET)
    response = _get(client, "/t/hook?z=last&a=first&sp=a%20b", token)
    assert response.status_code == 200, response.get_data(as_text=True)


def test_missing_token(client: FlaskClient, tenants: None) -> None:
    _assert_401(client.get("/t/hook"))


def test_alg_none(client: FlaskClient, tenants: None) -> None:
    now = int(time.time())
    claims = {"iss": "jira:acme", "iat": now, "exp": now + 60, "qsh": query_string_hash("GET", "/t/hook")}
    _assert_401(_get(client, "/t/hook", jwt.encode(claims, None, algorithm="none")))  # type: ignore[arg-type]


def test_rs256_token_is_not_accepted_where_hs256_is_fixed(client: FlaskClient, tenants: None) -> None:
    from tests.support import new_rsa_key

    now = int(time.time())
    claims = {"iss": "jira:acme", "iat": now, "exp": now + 60, "qsh": query_string_hash("GET", "/t/hook")}
    _assert_401(_get(client, "/t/hook", jwt.encode(claims, new_rsa_key(), algorithm="RS256")))


def test_wrong_qsh(client: FlaskClient, tenants: None) -> None:
    _assert_401(_get(client, "/t/hook?a=1", _token("GET", "/t/hook?a=2")))
    _assert_401(_get(client, "/t/hook", _token("POST", "/t/hook")))


def test_missing_qsh(client: FlaskClient, tenants: None) -> None:
    now = int(time.time())
    token = jwt.encode({"iss": "jira:acme", "iat": now, "exp": now + 60}, SECRET, algorithm="HS256")
    _assert_401(_get(client, "/t/hook", token))


def test_context_qsh_is_refused_on_webhooks(client: FlaskClient, tenants: None) -> None:
    token = _token("GET", "/t/hook", qsh="context-qsh", sub="user-1")
    _assert_401(_get(client, "/t/hook", token))


def test_context_token_is_accepted_on_the_admin_api(client: FlaskClient, tenants: None) -> None:
    token = _token("GET", "/anything", qsh="context-qsh", sub="557058:alice")
    response = _get(client, "/t/api?x=1", token)
    assert response.status_code == 200
    assert response.get_json() == {"tenant": "jira:acme", "sub": "557058:alice"}


def test_context_token_must_name_a_user(client: FlaskClient, tenants: None) -> None:
    _assert_401(_get(client, "/t/api", _token("GET", "/t/api", qsh="context-qsh")))


def test_expired(client: FlaskClient, tenants: None) -> None:
    now = int(time.time()) - 3600
    token = jwt.encode(
        {"iss": "jira:acme", "iat": now, "exp": now + 60, "qsh": query_string_hash("GET", "/t/hook")},
        SECRET,
        algorithm="HS256",
    )
    _assert_401(_get(client, "/t/hook", token))


def test_signed_with_another_tenants_secret(client: FlaskClient, tenants: None) -> None:
    token = _token("GET", "/t/hook", secret="globex-shared-secret-0123456789abcd")
    _assert_401(_get(client, "/t/hook", token))


def test_unknown_issuer(client: FlaskClient, tenants: None) -> None:
    _assert_401(_get(client, "/t/hook", _token("GET", "/t/hook", issuer="jira:nobody")))


def test_uninstalled_tenant_is_refused(app: Flask, client: FlaskClient, tenants: None) -> None:
    from plugin.tenants import find_tenant

    with app.app_context():
        tenant = find_tenant("jira:acme")
        assert tenant is not None
        tenant.state = TenantState.UNINSTALLED
        db.session.commit()
    response = _get(client, "/t/hook", _token("GET", "/t/hook"))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "tenant_inactive"


def test_enable_disable_lifecycle(app: Flask, client: FlaskClient, tenants: None) -> None:
    from plugin.tenants import find_tenant

    disabled = client.post(
        "/lifecycle/disabled",
        json={},
        headers={"Authorization": f"JWT {_token('POST', '/lifecycle/disabled')}"},
    )
    assert disabled.status_code == 204
    assert _get(client, "/t/hook", _token("GET", "/t/hook")).status_code == 403
    enabled = client.post(
        "/lifecycle/enabled",
        json={},
        headers={"Authorization": f"JWT {_token('POST', '/lifecycle/enabled')}"},
    )
    assert enabled.status_code == 204
    with app.app_context():
        tenant = find_tenant("jira:acme")
        assert tenant is not None and tenant.state is TenantState.ENABLED


def test_disable_with_forged_token_is_refused(app: Flask, client: FlaskClient, tenants: None) -> None:
    token = _token("POST", "/lifecycle/disabled", secret="not-the-secret-at-all-0000000000000")
    response = client.post("/lifecycle/disabled", json={}, headers={"Authorization": f"JWT {token}"})
    _assert_401(response)


def test_outgoing_signature_verifies_as_jira_would(app: Flask, tenants: None) -> None:
    from plugin.tenants import find_tenant

    with app.app_context():
        tenant = find_tenant("jira:acme")
        assert tenant is not None
        url = "https://acme.atlassian.net/rest/api/3/search/jql?maxResults=50&jql=project%20%3D%20SUP"
        token = sign_for_tenant(tenant, "GET", url)
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert claims["iss"] == "io.tandem.sync"
    assert claims["qsh"] == atlassian_jwt.url_utils.hash_url(
        "GET", "/rest/api/3/search/jql?maxResults=50&jql=project%20%3D%20SUP"
    )
