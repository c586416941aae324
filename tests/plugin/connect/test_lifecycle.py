"""Signed install: only Jira, proven by an RS256 signature from the key server, installs."""

from __future__ import annotations

import time
from datetime import timedelta

import jwt
from flask import Flask

from plugin import tenants
from plugin.extensions import db
from plugin.models.tenant import Tenant, TenantState, utcnow
from tests.plugin.connect.conftest import BASE_URL, Installer
from tests.support import install_payload, install_token, new_rsa_key


def _tenant(app: Flask, client_key: str = "jira:acme") -> Tenant | None:
    with app.app_context():
        tenant = tenants.find_tenant(client_key)
        if tenant is not None:
            db.session.expunge(tenant)
        return tenant


def _assert_rejected(response: object, status: int = 401) -> None:
    assert response.status_code == status, response.get_data(as_text=True)  # type: ignore[attr-defined]
    body = response.get_json()  # type: ignore[attr-defined]
    assert body["error"]["code"] and body["error"]["message"]


def test_signed_install_creates_the_tenant(app: Flask, installer: Installer) -> None:
    installer.install(secret="a" * 32)
    tenant = _tenant(app)
    assert tenant is not None
    assert tenant.shared_secret == "a" * 32
    assert tenant.state is TenantState.INSTALLED
    assert tenant.base_url == "https://acme.atlassian.net"
    assert tenant.oauth_client_id == "oauth-jira:acme"


def test_secret_is_encrypted_at_rest(app: Flask, installer: Installer) -> None:
    installer.install(secret="plain-secret-value-123")
    with app.app_context():
        raw = db.session.execute(db.text("SELECT shared_secret FROM tenant")).scalar_one()
    assert "plain-secret-value-123" not in raw


def test_install_is_idempotent(app: Flask, installer: Installer) -> None:
    installer.install()
    installer.install()
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Tenant)).scalar_one() == 1


def test_signed_reinstall_rotates_the_secret(app: Flask, installer: Installer) -> None:
    installer.install(secret="a" * 32)
    installer.install(secret="b" * 32)
    tenant = _tenant(app)
    assert tenant is not None and tenant.shared_secret == "b" * 32


def test_alg_none_is_rejected(app: Flask, installer: Installer) -> None:
    payload = install_payload("jira:acme", "x" * 32, "https://acme.atlassian.net")
    now = int(time.time())
    claims = {"iss": "jira:acme", "aud": BASE_URL, "iat": now, "exp": now + 60, "qsh": "x"}
    token = jwt.encode(claims, None, algorithm="none")  # type: ignore[arg-type]
    _assert_rejected(installer.post("installed", payload, token=token))
    assert _tenant(app) is None


def test_hs256_token_on_install_is_rejected(app: Flask, installer: Installer) -> None:
    payload = install_payload("jira:acme", "x" * 32, "https://acme.atlassian.net")
    now = int(time.time())
    claims = {"iss": "jira:acme", "aud": BASE_URL, "iat": now, "exp": now + 60}
    # Signed with the secret the attacker is trying to register: proves nothing.
    token = jwt.encode(claims, "x" * 32, algorithm="HS256", headers={"kid": "jira-kid-1"})
    _assert_rejected(installer.post("installed", payload, token=token))
    assert _tenant(app) is None


def test_unknown_kid_is_rejected(app: Flask, installer: Installer) -> None:
    payload = install_payload("jira:acme", "x" * 32, "https://acme.atlassian.net")
    token = install_token(
        new_rsa_key(), "kid-the-server-never-issued", client_key="jira:acme", audience=BASE_URL
    )
    _assert_rejected(installer.post("installed", payload, token=token))
    assert _tenant(app) is None


def test_path_walking_kid_is_rejected(app: Flask, installer: Installer) -> None:
    payload = install_payload("jira:acme", "x" * 32, "https://acme.atlassian.net")
    token = install_token(new_rsa_key(), "../jwks.json", client_key="jira:acme", audience=BASE_URL)
    _assert_rejected(installer.post("installed", payload, token=token))


def test_wrong_audience_is_rejected(app: Flask, installer: Installer) -> None:
    payload = install_payload("jira:acme", "x" * 32, "https://acme.atlassian.net")
    response = installer.post("installed", payload, claims={"aud": "https://evil.example"})
    _assert_rejected(response)
    assert _tenant(app) is None


def test_wrong_qsh_is_rejected(app: Flask, installer: Installer) -> None:
    payload = install_payload("jira:acme", "x" * 32, "https://acme.atlassian.net")
    _assert_rejected(installer.post("installed", payload, claims={"qsh": "0" * 64}))
    assert _tenant(app) is None


def test_missing_qsh_is_rejected(app: Flask, installer: Installer) -> None:
    payload = install_payload("jira:acme", "x" * 32, "https://acme.atlassian.net")
    _assert_rejected(installer.post("installed", payload, claims={"qsh": None}))
    assert _tenant(app) is None


def test_expired_install_token_is_rejected(app: Flask, installer: Installer) -> None:
    payload = install_payload("jira:acme", "x" * 32, "https://acme.atlassian.net")
    _assert_rejected(installer.post("installed", payload, lifetime=-3600))
    assert _tenant(app) is None


def test_token_for_another_client_key_is_rejected(app: Flask, installer: Installer) -> None:
    installer.install(secret="a" * 32)
    # A validly signed token for globex cannot carry a payload for acme.
    payload = install_payload("jira:acme", "evil" * 8, "https://acme.atlassian.net")
    response = installer.post("installed", payload, claims={"iss": "jira:globex"})
    _assert_rejected(response)
    tenant = _tenant(app)
    assert tenant is not None and tenant.shared_secret == "a" * 32


def test_forged_reinstall_cannot_replace_the_secret(app: Flask, installer: Installer) -> None:
    installer.install(secret="a" * 32)
    forged_key = new_rsa_key()  # the attacker's key, presented under Jira's kid
    payload = install_payload("jira:acme", "evil" * 8, "https://evil.example")
    token = install_token(forged_key, "jira-kid-1", client_key="jira:acme", audience=BASE_URL)
    _assert_rejected(installer.post("installed", payload, token=token))
    tenant = _tenant(app)
    assert tenant is not None
    assert tenant.shared_secret == "a" * 32
    assert tenant.base_url == "https://acme.atlassian.net"


def test_invalid_payload_is_a_clear_4xx(installer: Installer) -> None:
    payload = {"clientKey": "jira:acme", "baseUrl": "ftp://nope", "key": "io.tandem.sync"}
    response = installer.post("installed", payload)
    assert response.status_code == 422
    details = response.get_json()["error"]["details"]
    assert set(details) == {"sharedSecret", "baseUrl"}


def test_uninstall_keeps_data_then_reinstall_restores(app: Flask, installer: Installer) -> None:
    payload = installer.install(secret="a" * 32)
    response = installer.post("uninstalled", {**payload, "eventType": "uninstalled"})
    assert response.status_code == 204
    tenant = _tenant(app)
    assert tenant is not None and tenant.state is TenantState.UNINSTALLED
    assert tenant.purge_after is not None
    installer.install(secret="c" * 32)
    tenant = _tenant(app)
    assert tenant is not None and tenant.state is TenantState.INSTALLED and tenant.purge_after is None


def test_forged_uninstall_is_rejected(app: Flask, installer: Installer) -> None:
    payload = installer.install()
    token = install_token(new_rsa_key(), "jira-kid-1", client_key="jira:acme", audience=BASE_URL)
    _assert_rejected(installer.post("uninstalled", payload, token=token))
    tenant = _tenant(app)
    assert tenant is not None and tenant.state is TenantState.INSTALLED


def test_purge_removes_tenants_past_retention_only(app: Flask, installer: Installer) -> None:
    payload = installer.install("jira:acme")
    installer.install("jira:globex")
    installer.post("uninstalled", payload)
    with app.app_context():
        assert tenants.purge_expired(utcnow() + timedelta(days=1)) == []
        assert tenants.purge_expired(utcnow() + timedelta(days=31)) == ["jira:acme"]
    assert _tenant(app, "jira:acme") is None
    assert _tenant(app, "jira:globex") is not None
