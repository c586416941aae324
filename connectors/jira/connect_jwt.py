"""Atlassian Connect JWT: the canonical request, its hash (``qsh``), and HS256 tokens.

Pure functions shared by the three parties that speak Connect JWT here: the add-on server
(verifying Jira's requests), the Jira client (signing the app's calls to Jira) and the Jira
simulator (verifying those calls, signing its webhooks). The algorithm is a parameter of no
function: HS256 is fixed, and a token's own ``alg`` header is never consulted.

Canonicalization follows Atlassian's rules: ``METHOD&path&query`` with the path relative to
the base URL, no trailing slash, ``&`` in the path as ``%26``; parameters sorted by encoded
name, ``jwt`` excluded, repeated values sorted and joined by ``,``; RFC 3986 encoding (space
``%20``, ``*`` ``%2A``, ``~`` kept).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import jwt

ALGORITHM = "HS256"
CONTEXT_QSH = "context-qsh"
DEFAULT_LIFETIME_SECONDS = 180


class ConnectJwtError(Exception):
    """The token is missing, malformed, forged, expired or bound to another request."""


def _encode(value: str) -> str:
    return quote(value, safe="~")


def canonical_path(path: str, base_path: str = "") -> str:
    base = base_path.rstrip("/")
    if base and path.startswith(base):
        path = path[len(base) :]
    path = path.strip("/").replace("&", "%26")
    return "/" + path


def canonical_query(query: str | Mapping[str, Sequence[str]]) -> str:
    params = parse_qs(query, keep_blank_values=True) if isinstance(query, str) else query
    pairs = [
        (_encode(name), ",".join(_encode(v) for v in sorted(values)))
        for name, values in params.items()
        if name != "jwt"
    ]
    return "&".join(f"{name}={values}" for name, values in sorted(pairs))


def canonical_request(
    method: str, path: str, query: str | Mapping[str, Sequence[str]] = "", base_path: str = ""
) -> str:
    return f"{method.upper()}&{canonical_path(path, base_path)}&{canonical_query(query)}"


def query_string_hash(
    method: str, path: str, query: str | Mapping[str, Sequence[str]] = "", base_path: str = ""
) -> str:
    canonical = canonical_request(method, path, query, base_path)
    return hashlib.sha256(canonical.encode()).hexdigest()


def qsh_for_url(method: str, url: str, base_url: str) -> str:
    """The ``qsh`` of a call to ``url``, a full URL under ``base_url`` (or a path)."""
    parts = urlsplit(url)
    return query_string_hash(method, parts.path, parts.query, urlsplit(base_url).path)


def encode_token(
    *,
    issuer: str,
    secret: str,
    method: str,
    url: str,
    base_url: str,
    lifetime: int = DEFAULT_LIFETIME_SECONDS,
    now: float | None = None,
    extra_claims: Mapping[str, Any] | None = None,
) -> str:
    """An HS256 token for one request, as Jira signs webhooks and apps sign REST calls."""
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "iss": issuer,
        "iat": issued,
        "exp": issued + lifetime,
        "qsh": qsh_for_url(method, url, base_url),
    }
    if extra_claims:
        claims.update(extra_claims)
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def unverified_issuer(token: str) -> str:
    """The ``iss`` claim, read only to find which secret to verify the token with."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise ConnectJwtError(f"malformed token: {exc}") from exc
    issuer = claims.get("iss")
    if not isinstance(issuer, str) or not issuer:
        raise ConnectJwtError("token has no 'iss' claim")
    return issuer


def decode_token(
    token: str,
    secret: str,
    *,
    leeway: int = 30,
    expected_qsh: str | None = None,
    allow_context_qsh: bool = False,
    audience: str | None = None,
) -> dict[str, Any]:
    """Verify an HS256 token and its request binding; return its claims.

    ``expected_qsh`` is the hash of the request being served. A ``context-qsh`` token (from
    ``AP.context.getToken()``) is accepted only where ``allow_context_qsh`` says so.
    """
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            leeway=leeway,
            audience=audience,
            options={"require": ["iss", "iat", "exp"], "verify_aud": audience is not None},
        )
    except jwt.ExpiredSignatureError as exc:
        raise ConnectJwtError("token expired") from exc
    except jwt.PyJWTError as exc:
        raise ConnectJwtError(f"invalid token: {exc}") from exc
    qsh = claims.get("qsh")
    if qsh == CONTEXT_QSH:
        if not allow_context_qsh:
            raise ConnectJwtError("a context token is not accepted here")
    elif expected_qsh is not None and qsh != expected_qsh:
        raise ConnectJwtError("token 'qsh' does not match this request")
    return claims
