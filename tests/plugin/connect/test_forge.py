"""Forge Invocation Tokens: RS256 from the Forge JWKS, for our app id only."""

from __future__ import annotations

import time
from typing import Any

import jwt
from flask.testing import FlaskClient

from tests.plugin.connect.conftest import FORGE_APP_ID, Installer
from tests.support import KeyServer, new_rsa_key


def _fit(key: Any, kid: str, **overrides: Any) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": "forge/invocation-token",
        "aud": FORGE_APP_ID,
        "iat": now,
        "nbf": now,
        "exp": now + 60,
        "app": {"installationId": "ari:cloud:ecosystem::installation/abc", "id": FORGE_APP_ID},
        "context": {"cloudId": "cloud-jira:acme"},
        "principal": "557058:alice",
    }
    claims.update(overrides)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def test_valid_forge_token_resolves_the_tenant(
    client: FlaskClient, installer: Installer, key_server: tuple[KeyServer, str]
) -> None:
    installer.install("jira:acme")
    server, _ = key_server
    token = _fit(server.keys["forge-kid-1"], "forge-kid-1")
    response = client.get("/forge/whoami", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {
        "installation_id": "ari:cloud:ecosystem::installation/abc",
        "tenant": "jira:acme",
        "account_id": "557058:alice",
    }


def test_forge_token_signed_by_an_unknown_key(client: FlaskClient) -> None:
    token = _fit(new_rsa_key(), "forge-kid-unknown")
    response = client.get("/forge/whoami", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert "error" in response.get_json()


def test_forge_token_with_a_known_kid_but_wrong_key(client: FlaskClient) -> None:
    token = _fit(new_rsa_key(), "forge-kid-1")
    assert client.get("/forge/whoami", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_forge_token_for_another_app(client: FlaskClient, key_server: tuple[KeyServer, str]) -> None:
    server, _ = key_server
    token = _fit(server.keys["forge-kid-1"], "forge-kid-1", aud="ari:cloud:ecosystem::app/someone-else")
    response = client.get("/forge/whoami", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert "aud" in response.get_json()["error"]["message"]


def test_expired_forge_token(client: FlaskClient, key_server: tuple[KeyServer, str]) -> None:
    server, _ = key_server
    past = int(time.time()) - 3600
    token = _fit(server.keys["forge-kid-1"], "forge-kid-1", iat=past, nbf=past, exp=past + 60)
    assert client.get("/forge/whoami", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_forge_token_with_hs256_is_refused(client: FlaskClient) -> None:
    token = jwt.encode(
        {"iss": "forge/invocation-token", "aud": FORGE_APP_ID, "exp": time.time() + 60}, "k" * 32
    )
    assert client.get("/forge/whoami", headers={"Authorization": f"Bearer {token}"}).status_code == 401
