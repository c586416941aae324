"""The simulator plays Jira installing a Connect app: signed-install (RS256), lifecycle, OAuth grants."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from typing import Any
from urllib.parse import urljoin, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from connectors.jira.connect_jwt import encode_token, qsh_for_url

from . import seed
from .errors import InstallError
from .model import Installation, User, WebhookModule
from .state import Site

OAUTH_AUDIENCE = "https://oauth-2-authorization-server.services.atlassian.com"
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CLIENT_ID_PREFIX = "urn:atlassian:connect:clientid:"
USER_PREFIX = "urn:atlassian:connect:useraccountid:"


class KeyServer:
    """The RSA key pair used for signed installs, served by ``kid`` like connect-install-keys."""

    def __init__(self) -> None:
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "sim-" + uuid.uuid4().hex[:12]
        self.public_pem = (
            self.private_key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )

    def public_key(self, kid: str) -> str | None:
        return self.public_pem if kid == self.kid else None

    def sign_lifecycle(self, client_key: str, app_base_url: str, callback_url: str) -> str:
        now = int(time.time())
        claims = {
            "iss": client_key,
            "sub": client_key,
            "aud": app_base_url,
            "iat": now,
            "exp": now + 180,
            "qsh": qsh_for_url("POST", callback_url, app_base_url),
            "context": {},
        }
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": self.kid})


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    return session


def fetch_descriptor(descriptor_url: str) -> dict[str, Any]:
    with _session() as session, session.get(descriptor_url, timeout=10) as response:
        if response.status_code != 200:
            raise InstallError(response.status_code, response.text)
        descriptor: dict[str, Any] = response.json()
    for required in ("key", "baseUrl"):
        if not descriptor.get(required):
            raise InstallError(400, f"descriptor has no '{required}'")
    return descriptor


def install(site: Site, keys: KeyServer, descriptor_url: str, rotate_secret: bool = False) -> dict[str, Any]:
    descriptor = fetch_descriptor(descriptor_url)
    app_key = str(descriptor["key"])
    with site.lock:
        existing = site.installations.get(app_key)
        client_key = "jira:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"{site.name}/{app_key}"))
        secret = existing.shared_secret if existing and not rotate_secret else secrets.token_urlsafe(36)
        oauth_client_id = (
            existing.oauth_client_id if existing else hashlib.sha256(client_key.encode()).hexdigest()[:32]
        )
        app_user = _app_user(site, app_key, str(descriptor.get("name") or app_key))
    installation = Installation(
        app_key=app_key,
        client_key=client_key,
        shared_secret=secret,
        oauth_client_id=oauth_client_id,
        app_base_url=str(descriptor["baseUrl"]).rstrip("/"),
        descriptor=descriptor,
        app_user=app_user,
        scopes=tuple(str(s).upper() for s in descriptor.get("scopes", ["READ"])),
        webhooks=[
            WebhookModule(str(m["event"]), str(m["url"]), m.get("filter") or None, bool(m.get("excludeBody")))
            for m in (descriptor.get("modules") or {}).get("webhooks", [])
        ],
    )
    payload = {
        "key": app_key,
        "clientKey": client_key,
        "sharedSecret": secret,
        "serverVersion": "100260",
        "pluginsVersion": "1001.0.0-SNAPSHOT",
        "baseUrl": site.base_url,
        "displayUrl": site.base_url,
        "productType": "jira",
        "description": f"Atlassian JIRA at {site.base_url}",
        "eventType": "installed",
        "oauthClientId": oauth_client_id,
        "cloudId": str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{site.name}.simulated.atlassian.net")),
    }
    lifecycle = descriptor.get("lifecycle") or {}
    if lifecycle.get("installed"):
        _post_lifecycle(keys, installation, str(lifecycle["installed"]), payload)
    with site.lock:
        site.installations[app_key] = installation
    return payload


def uninstall(site: Site, keys: KeyServer, app_key: str) -> None:
    with site.lock:
        installation = site.installations.get(app_key)
    if installation is None:
        raise KeyError(app_key)
    lifecycle = installation.descriptor.get("lifecycle") or {}
    payload = {
        "key": app_key,
        "clientKey": installation.client_key,
        "baseUrl": site.base_url,
        "productType": "jira",
        "eventType": "uninstalled",
    }
    with site.lock:
        site.installations.pop(app_key, None)
    if lifecycle.get("uninstalled"):
        _post_lifecycle(keys, installation, str(lifecycle["uninstalled"]), payload)


def _post_lifecycle(keys: KeyServer, installation: Installation, path: str, payload: dict[str, Any]) -> None:
    url = urljoin(installation.app_base_url + "/", path.lstrip("/"))
    token = keys.sign_lifecycle(installation.client_key, installation.app_base_url, url)
    headers = {"Authorization": f"JWT {token}", "Content-Type": "application/json"}
    try:
        with _session() as session, session.post(url, json=payload, headers=headers, timeout=10) as response:
            if not 200 <= response.status_code < 300:
                raise InstallError(response.status_code, response.text)
    except requests.RequestException as exc:
        raise InstallError(0, str(exc)) from exc


def _app_user(site: Site, app_key: str, name: str) -> str:
    account_id = seed.account_id(site.name, f"app:{app_key}")
    site.users.setdefault(account_id, User(account_id, name, None, account_type="app"))
    return account_id


class OAuthGrantError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


def act_as_user_grant(sites: dict[str, Site], assertion: str) -> tuple[Site, Installation, str]:
    """Verify a JWT-bearer assertion; return the site, installation and accountId to act as."""
    try:
        unverified = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise OAuthGrantError("invalid_grant", "malformed assertion") from None
    client_id = str(unverified.get("iss", "")).removeprefix(CLIENT_ID_PREFIX)
    site, installation = _find_installation(sites, client_id, str(unverified.get("tnt", "")))
    try:
        claims = jwt.decode(
            assertion,
            installation.shared_secret,
            algorithms=["HS256"],
            audience=OAUTH_AUDIENCE,
            options={"require": ["iss", "sub", "iat", "exp"]},
        )
    except jwt.PyJWTError as exc:
        raise OAuthGrantError("invalid_grant", f"assertion rejected: {exc}") from None
    if "ACT_AS_USER" not in installation.scopes:
        raise OAuthGrantError("unauthorized_client", "the app does not have the ACT_AS_USER scope")
    subject = str(claims["sub"])
    if not subject.startswith(USER_PREFIX):
        raise OAuthGrantError("invalid_grant", "sub must be urn:atlassian:connect:useraccountid:<accountId>")
    account_id = subject.removeprefix(USER_PREFIX)
    with site.lock:
        user = site.users.get(account_id)
    if user is None or user.account_type != "atlassian":
        raise OAuthGrantError("invalid_grant", "unknown user")
    return site, installation, account_id


def _find_installation(sites: dict[str, Site], client_id: str, tenant: str) -> tuple[Site, Installation]:
    tenant_path = urlsplit(tenant).path.strip("/")
    for site in sites.values():
        with site.lock:
            for installation in site.installations.values():
                if installation.oauth_client_id == client_id and (
                    not tenant or tenant.rstrip("/") == site.base_url or tenant_path == site.name
                ):
                    return site, installation
    raise OAuthGrantError("invalid_grant", "unknown oauthClientId or tenant")


def set_enabled(site: Site, app_key: str, enabled: bool) -> None:
    """Jira's enable/disable: an HS256-signed lifecycle POST; a disabled app gets no calls or webhooks."""
    with site.lock:
        installation = site.installations.get(app_key)
    if installation is None:
        raise KeyError(app_key)
    event = "enabled" if enabled else "disabled"
    path = (installation.descriptor.get("lifecycle") or {}).get(event)
    if path:
        url = urljoin(installation.app_base_url + "/", str(path).lstrip("/"))
        token = encode_token(
            issuer=installation.client_key,
            secret=installation.shared_secret,
            method="POST",
            url=url,
            base_url=installation.app_base_url,
        )
        payload = {
            "key": app_key,
            "clientKey": installation.client_key,
            "baseUrl": site.base_url,
            "productType": "jira",
            "eventType": event,
        }
        headers = {"Authorization": f"JWT {token}", "Content-Type": "application/json"}
        try:
            with (
                _session() as session,
                session.post(url, json=payload, headers=headers, timeout=10) as response,
            ):
                if not 200 <= response.status_code < 300:
                    raise InstallError(response.status_code, response.text)
        except requests.RequestException as exc:
            raise InstallError(0, str(exc)) from exc
    with site.lock:
        installation.enabled = enabled
