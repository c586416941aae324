"""How the Jira client proves who it is: four ``requests`` auth classes behind one interface.

Every class is a :class:`requests.auth.AuthBase` (it signs each prepared request) and a
:class:`JiraAuth` (``refresh()`` tells the client whether retrying a 401 once may succeed):

- :class:`ConnectJwtAuth` — an installed Connect app: a fresh HS256 token per request whose
  ``qsh`` binds it to the method, the path relative to the site base URL and the sorted query.
- :class:`BasicAuth` — email and API token (personal scripts, the external test run).
- :class:`OAuthBearerAuth` — an OAuth 2.0 (3LO) access token, refreshed with the refresh
  token when Jira answers 401.
- :class:`ActAsUserAuth` — a Connect app acting as one user: the JWT bearer grant (an
  assertion signed with the install's shared secret) traded for a short-lived bearer token,
  cached until shortly before it expires.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable
from typing import Any

import jwt
import requests
from requests.auth import AuthBase

from connectors.base import FatalError, RetriableError
from connectors.jira import connect_jwt

JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ATLASSIAN_OAUTH_AUDIENCE = "https://oauth-2-authorization-server.services.atlassian.com"
ATLASSIAN_OAUTH_TOKEN_URL = f"{ATLASSIAN_OAUTH_AUDIENCE}/oauth2/token"
CLIENT_ID_PREFIX = "urn:atlassian:connect:clientid:"
USER_PREFIX = "urn:atlassian:connect:useraccountid:"
# Renew a cached token this many seconds before Jira would reject it (clock skew, slow calls).
EXPIRY_MARGIN_SECONDS = 60
TOKEN_REQUEST_TIMEOUT = 15.0


class JiraAuth(AuthBase):
    """The interface the client uses: sign a request; after a 401, maybe renew and retry once."""

    def refresh(self, rejected: requests.PreparedRequest | None = None) -> bool:
        """Renew the credentials after Jira rejected ``rejected``; True when a retry may succeed."""
        return False


class ConnectJwtAuth(JiraAuth):
    """Sign each call as the Connect app ``app_key`` installed on the site at ``base_url``."""

    def __init__(self, app_key: str, shared_secret: str, base_url: str, lifetime: int = 180) -> None:
        self.app_key = app_key
        self._shared_secret = shared_secret
        self.base_url = base_url.rstrip("/")
        self.lifetime = lifetime

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        token = connect_jwt.encode_token(
            issuer=self.app_key,
            secret=self._shared_secret,
            method=request.method or "GET",
            url=request.url or "",
            base_url=self.base_url,
            lifetime=self.lifetime,
        )
        request.headers["Authorization"] = f"JWT {token}"
        return request


class BasicAuth(JiraAuth):
    """Email and API token, as Atlassian's basic auth for REST APIs."""

    def __init__(self, email: str, api_token: str) -> None:
        self.email = email
        raw = f"{email}:{api_token}".encode()
        self._header = "Basic " + base64.b64encode(raw).decode("ascii")

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = self._header
        return request


def _post_token_request(token_url: str, form: dict[str, str]) -> dict[str, Any]:
    """POST a grant to an OAuth token endpoint; map failures to connector errors."""
    try:
        with requests.post(
            token_url, data=form, headers={"Accept": "application/json"}, timeout=TOKEN_REQUEST_TIMEOUT
        ) as response:
            status = response.status_code
            try:
                payload: Any = response.json()
            except ValueError:
                payload = {}
    except requests.RequestException as exc:
        raise RetriableError(f"OAuth token endpoint unreachable: {exc}") from exc
    if status == 429 or status >= 500:
        raise RetriableError(f"OAuth token endpoint answered {status}", status=status)
    if status != 200 or not isinstance(payload, dict) or "access_token" not in payload:
        detail = (
            payload.get("error_description") or payload.get("error") if isinstance(payload, dict) else None
        )
        raise FatalError(
            f"OAuth token request refused ({status}): {detail or 'no access token'}", status=status
        )
    return payload


class OAuthBearerAuth(JiraAuth):
    """An OAuth 2.0 bearer token; with a refresh token and token URL it renews itself on 401.

    Atlassian rotates refresh tokens: ``on_refresh`` receives every new (access, refresh) pair
    so the caller can persist it.
    """

    def __init__(
        self,
        access_token: str,
        refresh_token: str | None = None,
        token_url: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        *,
        on_refresh: Callable[[str, str | None], None] | None = None,
    ) -> None:
        self.access_token = access_token
        self.refresh_token = refresh_token
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self._on_refresh = on_refresh
        self._lock = threading.Lock()

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        with self._lock:
            request.headers["Authorization"] = f"Bearer {self.access_token}"
        return request

    def refresh(self, rejected: requests.PreparedRequest | None = None) -> bool:
        if not self.refresh_token or not self.token_url:
            return False
        with self._lock:
            sent = rejected.headers.get("Authorization") if rejected is not None else None
            if sent is not None and sent != f"Bearer {self.access_token}":
                return True  # another thread already refreshed since this request was signed
            form = {"grant_type": "refresh_token", "refresh_token": self.refresh_token}
            if self.client_id:
                form["client_id"] = self.client_id
            if self._client_secret:
                form["client_secret"] = self._client_secret
            payload = _post_token_request(self.token_url, form)
            self.access_token = str(payload["access_token"])
            self.refresh_token = str(payload.get("refresh_token") or self.refresh_token)
            access, refresh = self.access_token, self.refresh_token
        if self._on_refresh is not None:
            self._on_refresh(access, refresh)
        return True


class ActAsUserAuth(JiraAuth):
    """A Connect app acting as ``account_id`` through the JWT bearer grant (user impersonation)."""

    def __init__(
        self,
        oauth_client_id: str,
        shared_secret: str,
        base_url: str,
        account_id: str,
        token_url: str = ATLASSIAN_OAUTH_TOKEN_URL,
        scopes: str = "READ WRITE",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.oauth_client_id = oauth_client_id
        self._shared_secret = shared_secret
        self.base_url = base_url.rstrip("/")
        self.account_id = account_id
        self.token_url = token_url
        self.scopes = scopes
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0

    def assertion(self) -> str:
        """The signed JWT that the authorization server trades for a token."""
        now = int(self._clock())
        claims = {
            "iss": CLIENT_ID_PREFIX + self.oauth_client_id,
            "sub": USER_PREFIX + self.account_id,
            "tnt": self.base_url,
            "aud": ATLASSIAN_OAUTH_AUDIENCE,
            "iat": now,
            "exp": now + 60,
        }
        return jwt.encode(claims, self._shared_secret, algorithm="HS256")

    def access_token(self) -> str:
        """The cached bearer token, fetched again shortly before it expires."""
        with self._lock:
            if self._token is None or self._clock() >= self._expires_at:
                form = {"grant_type": JWT_BEARER_GRANT, "assertion": self.assertion(), "scope": self.scopes}
                payload = _post_token_request(self.token_url, form)
                lifetime = float(payload.get("expires_in") or 900)
                self._token = str(payload["access_token"])
                self._expires_at = self._clock() + max(lifetime - EXPIRY_MARGIN_SECONDS, lifetime / 2)
            return self._token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.access_token()}"
        return request

    def refresh(self, rejected: requests.PreparedRequest | None = None) -> bool:
        with self._lock:
            sent = rejected.headers.get("Authorization") if rejected is not None else None
            if sent is None or sent == f"Bearer {self._token}":
                self._token = None
        return True
