"""Who is calling: Connect JWT (HS256 + qsh), Basic email:API token, or an OAuth bearer token."""

from __future__ import annotations

import base64
import secrets
import threading
import time
from dataclasses import dataclass

from connectors.jira.connect_jwt import ConnectJwtError, decode_token, query_string_hash, unverified_issuer

from .errors import JiraApiError
from .state import Site

UNAUTHENTICATED = "You are not authenticated. Authentication required to perform this operation."
CONNECT_SCOPE_ORDER = ["READ", "WRITE", "DELETE", "PROJECT_ADMIN", "ADMIN"]


@dataclass(frozen=True)
class Principal:
    account_id: str
    method: str  # basic | jwt | bearer
    app_key: str | None = None
    scopes: frozenset[str] = frozenset()

    def allows(self, need: str) -> bool:
        """``need`` is READ, WRITE or DELETE; basic auth users may do anything they can in the UI."""
        if self.method == "basic":
            return True
        upper = {scope.upper() for scope in self.scopes}
        if self.method == "bearer" and any(":" in scope for scope in self.scopes):
            wanted = "READ:JIRA-WORK" if need == "READ" else "WRITE:JIRA-WORK"
            return wanted in upper or "MANAGE:JIRA-CONFIGURATION" in upper
        rank = CONNECT_SCOPE_ORDER.index(need)
        return any(
            scope in CONNECT_SCOPE_ORDER and CONNECT_SCOPE_ORDER.index(scope) >= rank for scope in upper
        )


@dataclass
class OAuthToken:
    site: str
    account_id: str
    scopes: frozenset[str]
    expires_at: float
    app_key: str | None
    refresh_token: str | None


class TokenStore:
    """Bearer tokens issued by the simulator's OAuth endpoint (shared by all sites)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._access: dict[str, OAuthToken] = {}
        self._refresh: dict[str, OAuthToken] = {}

    def issue(
        self,
        site: str,
        account_id: str,
        scopes: frozenset[str],
        *,
        lifetime: int = 3600,
        app_key: str | None = None,
        with_refresh: bool = False,
    ) -> tuple[str, OAuthToken]:
        access = "sim_at_" + secrets.token_urlsafe(24)
        refresh = "sim_rt_" + secrets.token_urlsafe(24) if with_refresh else None
        token = OAuthToken(site, account_id, scopes, time.time() + lifetime, app_key, refresh)
        with self._lock:
            self._access[access] = token
            if refresh:
                self._refresh[refresh] = token
        return access, token

    def lookup(self, access: str) -> OAuthToken | None:
        with self._lock:
            token = self._access.get(access)
        if token is None or token.expires_at < time.time():
            return None
        return token

    def redeem_refresh(self, refresh: str) -> OAuthToken | None:
        """A refresh token is single use: it is rotated with every refresh."""
        with self._lock:
            return self._refresh.pop(refresh, None)


def unauthorized(message: str = UNAUTHENTICATED) -> JiraApiError:
    return JiraApiError(401, [message], headers={"WWW-Authenticate": 'Basic realm="protected-area"'})


def authenticate(
    site: Site,
    tokens: TokenStore,
    authorization: str,
    method: str,
    path: str,
    query: str,
    base_path: str,
) -> Principal:
    scheme, _, credentials = authorization.partition(" ")
    scheme = scheme.lower()
    credentials = credentials.strip()
    if scheme == "basic":
        return _basic(site, credentials)
    if scheme == "jwt":
        return _connect_jwt(site, credentials, method, path, query, base_path)
    if scheme == "bearer":
        return _bearer(site, tokens, credentials)
    raise unauthorized()


def _basic(site: Site, credentials: str) -> Principal:
    try:
        email, _, token = base64.b64decode(credentials, validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        raise unauthorized() from None
    with site.lock:
        user = site.user_by_email(email)
        if user is None or not user.api_token or not secrets.compare_digest(user.api_token, token):
            raise unauthorized()
        return Principal(user.account_id, "basic")


def _connect_jwt(site: Site, token: str, method: str, path: str, query: str, base_path: str) -> Principal:
    try:
        issuer = unverified_issuer(token)
    except ConnectJwtError:
        raise unauthorized() from None
    with site.lock:
        installation = next(
            (i for i in site.installations.values() if issuer in (i.app_key, i.client_key) and i.enabled),
            None,
        )
    if installation is None:
        raise unauthorized()
    expected = query_string_hash(method, path, query, base_path)
    try:
        decode_token(token, installation.shared_secret, expected_qsh=expected)
    except ConnectJwtError:
        raise unauthorized() from None
    return Principal(installation.app_user, "jwt", installation.app_key, frozenset(installation.scopes))


def _bearer(site: Site, tokens: TokenStore, credentials: str) -> Principal:
    token = tokens.lookup(credentials)
    if token is None or token.site != site.name:
        raise unauthorized()
    return Principal(token.account_id, "bearer", token.app_key, token.scopes)
