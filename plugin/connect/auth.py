"""Who is calling: every request from Jira (or Forge) proves it before a view runs.

Each endpoint fixes its algorithm and its verification rule; a token's own header never
chooses them:

* :func:`signed_install` - install/uninstall lifecycle: RS256, key fetched by ``kid`` from the
  install-key server, ``aud`` = our base URL, ``iss`` = the ``clientKey`` in the body, ``qsh``.
* :func:`jira_request` - webhooks, page loads, enable/disable: HS256 with the tenant's shared
  secret and a ``qsh`` bound to this exact request.
* :func:`context_request` - the admin JSON API: as above, but a ``context-qsh`` token from
  ``AP.context.getToken()`` is accepted too; it must name the user (``sub``).
* :func:`forge_request` - calls through the Forge remote: a Forge Invocation Token (RS256, JWKS).

The verified caller is in :func:`current_tenant` / :func:`current_claims` for the view.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar, cast
from urllib.parse import urlsplit

import jwt
from flask import current_app, g, request

from connectors.jira.connect_jwt import (
    ConnectJwtError,
    decode_token,
    encode_token,
    query_string_hash,
    unverified_issuer,
)
from plugin.connect.keys import ForgeKeys, InstallKeys, KeyUnavailable
from plugin.errors import ApiError, Forbidden, Unauthorized
from plugin.extensions import db
from plugin.models.tenant import Tenant

P = ParamSpec("P")
R = TypeVar("R")

INSTALL_ALGORITHM = "RS256"
FORGE_ALGORITHM = "RS256"
FORGE_ISSUER = "forge/invocation-token"


@dataclass(frozen=True)
class Caller:
    tenant: Tenant | None
    claims: dict[str, Any]

    @property
    def account_id(self) -> str | None:
        # Connect tokens name the user in ``sub``; Forge invocation tokens in ``principal``.
        user = self.claims.get("sub", self.claims.get("principal"))
        return user if isinstance(user, str) else None


# -- the pieces of a request a token is bound to ---------------------------------------------


def request_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme in ("JWT", "Bearer") and value.strip():
        return value.strip()
    token = request.args.get("jwt")
    if token:
        return token
    raise Unauthorized("missing JWT: send 'Authorization: JWT <token>' or a 'jwt' query parameter")


def request_qsh() -> str:
    """The qsh of the request being served, relative to our own base URL."""
    base_path = urlsplit(current_app.config["BASE_URL"]).path
    query = request.query_string.decode("utf-8", errors="replace")
    return query_string_hash(request.method, request.path, query, base_path)


def _accepted_audiences() -> list[str]:
    base_url = current_app.config["BASE_URL"]
    return [base_url, base_url + "/"]


# -- verification ----------------------------------------------------------------------------


def verify_signed_install(token: str, client_key: str) -> dict[str, Any]:
    """Claims of an RS256 lifecycle token from Jira, bound to this request and this client."""
    header = _header(token)
    if header.get("alg") != INSTALL_ALGORITHM:
        raise Unauthorized(f"install lifecycle calls must be signed with {INSTALL_ALGORITHM}")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise Unauthorized("install token has no key id")
    try:
        key = install_keys().public_key(kid)
    except KeyUnavailable as exc:
        raise Unauthorized(f"install token not verifiable: {exc}") from exc
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[INSTALL_ALGORITHM],
            audience=_accepted_audiences(),
            leeway=current_app.config["JWT_LEEWAY"],
            options={"require": ["iss", "exp", "iat", "aud", "qsh"]},
        )
    except jwt.InvalidAudienceError as exc:
        raise Unauthorized("install token is for another app (aud)") from exc
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("install token expired") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"invalid install token: {exc}") from exc
    if claims["iss"] != client_key:
        raise Unauthorized("install token was issued for another clientKey")
    if claims["qsh"] != request_qsh():
        raise Unauthorized("install token is bound to another request (qsh)")
    return claims


def verify_tenant_token(token: str, *, allow_context_qsh: bool) -> tuple[Tenant, dict[str, Any]]:
    """The tenant that signed this HS256 token with its shared secret, and the claims."""
    _reject_foreign_algorithm(token)
    try:
        client_key = unverified_issuer(token)
    except ConnectJwtError as exc:
        raise Unauthorized(str(exc)) from exc
    tenant = db.session.execute(db.select(Tenant).filter_by(client_key=client_key)).scalar_one_or_none()
    if tenant is None:
        raise Unauthorized("unknown tenant")
    try:
        claims = decode_token(
            token,
            tenant.shared_secret,
            leeway=current_app.config["JWT_LEEWAY"],
            expected_qsh=request_qsh(),
            allow_context_qsh=allow_context_qsh,
        )
    except ConnectJwtError as exc:
        raise Unauthorized(str(exc)) from exc
    return tenant, claims


def verify_forge_token(token: str) -> dict[str, Any]:
    config = current_app.config
    if not config.get("FORGE_APP_ID"):
        raise Forbidden("this server is not configured for Forge (TANDEM_FORGE_APP_ID is unset)")
    if _header(token).get("alg") != FORGE_ALGORITHM:
        raise Unauthorized(f"Forge invocation tokens are signed with {FORGE_ALGORITHM}")
    try:
        key = forge_keys().signing_key(token)
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[FORGE_ALGORITHM],
            audience=config["FORGE_APP_ID"],
            issuer=FORGE_ISSUER,
            leeway=config["JWT_LEEWAY"],
            options={"require": ["iss", "aud", "exp"]},
        )
    except KeyUnavailable as exc:
        raise Unauthorized(f"Forge token not verifiable: {exc}") from exc
    except jwt.InvalidAudienceError as exc:
        raise Unauthorized("Forge token is for another app (aud)") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"invalid Forge token: {exc}") from exc
    return claims


def _header(token: str) -> dict[str, Any]:
    try:
        return jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"malformed token: {exc}") from exc


def _reject_foreign_algorithm(token: str) -> None:
    # decode_token pins HS256 anyway; this only turns the failure into a clear message.
    alg = _header(token).get("alg")
    if alg != "HS256":
        raise Unauthorized(f"this endpoint accepts HS256 tokens only, not {alg!r}")


# -- decorators ------------------------------------------------------------------------------


def _tenant_request(
    *, allow_context_qsh: bool, active_only: bool, user_required: bool
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            tenant, claims = verify_tenant_token(request_token(), allow_context_qsh=allow_context_qsh)
            if active_only:
                _require_active(tenant)
            if user_required and not isinstance(claims.get("sub"), str):
                raise Unauthorized("token does not name a user (sub)")
            g.caller = Caller(tenant, claims)
            return view(*args, **kwargs)

        return wrapper

    return decorate


def jira_request(view: Callable[P, R]) -> Callable[P, R]:
    """A request from Jira signed with the tenant's shared secret and bound by qsh."""
    return _tenant_request(allow_context_qsh=False, active_only=True, user_required=False)(view)


def lifecycle_request(view: Callable[P, R]) -> Callable[P, R]:
    """enable/disable: HS256 like :func:`jira_request`, but a disabled tenant may call."""
    return _tenant_request(allow_context_qsh=False, active_only=False, user_required=False)(view)


def context_request(view: Callable[P, R]) -> Callable[P, R]:
    """The admin UI's API calls: a context token naming the user, or a request-bound token."""
    return _tenant_request(allow_context_qsh=True, active_only=True, user_required=True)(view)


def forge_request(view: Callable[P, R]) -> Callable[P, R]:
    """A call through the Forge remote; the tenant is the site named by the token's context."""

    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        claims = verify_forge_token(request_token())
        g.caller = Caller(_tenant_for_forge(claims), claims)
        return view(*args, **kwargs)

    return wrapper


def _tenant_for_forge(claims: dict[str, Any]) -> Tenant | None:
    context = claims.get("context")
    cloud_id = context.get("cloudId") if isinstance(context, dict) else None
    if not isinstance(cloud_id, str):
        return None
    return db.session.execute(db.select(Tenant).filter_by(cloud_id=cloud_id)).scalar_one_or_none()


def _require_active(tenant: Tenant) -> None:
    if not tenant.is_active:
        raise ApiError("the app is not enabled on this site", status=403, code="tenant_inactive")


def current_caller() -> Caller:
    caller = g.get("caller")
    if caller is None:
        raise Unauthorized("request is not authenticated")
    return cast(Caller, caller)


def current_tenant() -> Tenant:
    tenant = current_caller().tenant
    if tenant is None:
        raise Forbidden("no Jira site is installed for this caller")
    return tenant


def current_claims() -> dict[str, Any]:
    return current_caller().claims


# -- outgoing --------------------------------------------------------------------------------


def sign_for_tenant(tenant: Tenant, method: str, url: str, *, app_key: str | None = None) -> str:
    """A token for the app's own call to ``url`` on the tenant's site (``iss`` = app key)."""
    return encode_token(
        issuer=app_key or current_app.config["APP_KEY"],
        secret=tenant.shared_secret,
        method=method,
        url=url,
        base_url=tenant.base_url,
    )


# -- key sources, one per app ----------------------------------------------------------------


def install_keys() -> InstallKeys:
    keys = current_app.extensions.get("tandem.install_keys")
    if keys is None:
        keys = InstallKeys(current_app.config["INSTALL_KEYS_URL"], timeout=current_app.config["HTTP_TIMEOUT"])
        current_app.extensions["tandem.install_keys"] = keys
    return cast(InstallKeys, keys)


def forge_keys() -> ForgeKeys:
    keys = current_app.extensions.get("tandem.forge_keys")
    if keys is None:
        keys = ForgeKeys(current_app.config["FORGE_JWKS_URL"], timeout=current_app.config["HTTP_TIMEOUT"])
        current_app.extensions["tandem.forge_keys"] = keys
    return cast(ForgeKeys, keys)
