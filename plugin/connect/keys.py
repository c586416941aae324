"""Public keys we trust, fetched on demand and cached.

Two sources: Atlassian's install-key server (one PEM per ``kid``, for signed install
lifecycle calls) and the Forge JWKS (for Forge Invocation Tokens). A key id that the server
does not know is an authentication failure, never a server error.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

KEY_TTL_SECONDS = 3600.0
MAX_CACHED_KEYS = 64
MAX_KEY_BYTES = 16 * 1024


class KeyUnavailable(Exception):
    """No trusted key for this id (unknown kid, key server unreachable, malformed key)."""


class _TtlCache:
    def __init__(self, ttl: float, max_items: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._max = max_items
        self._clock = clock
        self._items: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Any | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is None or hit[0] < self._clock():
                return None
            return hit[1]

    def put(self, key: str, value: Any) -> None:
        with self._lock:
            if len(self._items) >= self._max:
                self._items.pop(next(iter(self._items)))
            self._items[key] = (self._clock() + self._ttl, value)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def _is_safe_kid(kid: str) -> bool:
    # The kid becomes part of a URL we fetch: never let it walk paths or add a query.
    return 0 < len(kid) <= 200 and all(ch.isalnum() or ch in "-_." for ch in kid) and ".." not in kid


class InstallKeys:
    """RS256 public keys from the Connect install-key server, by ``kid``."""

    def __init__(self, server_url: str, *, timeout: float = 5.0) -> None:
        self.server_url = server_url.rstrip("/")
        self.timeout = timeout
        self._cache = _TtlCache(KEY_TTL_SECONDS, MAX_CACHED_KEYS)

    def public_key(self, kid: str) -> RSAPublicKey:
        if not _is_safe_kid(kid):
            raise KeyUnavailable("malformed key id")
        cached = self._cache.get(kid)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        key = self._fetch(kid)
        self._cache.put(kid, key)
        return key

    def _fetch(self, kid: str) -> RSAPublicKey:
        try:
            response = requests.get(f"{self.server_url}/{kid}", timeout=self.timeout)
        except requests.RequestException as exc:
            raise KeyUnavailable(f"install key server unreachable: {exc.__class__.__name__}") from exc
        if response.status_code != 200:
            raise KeyUnavailable(f"unknown key id {kid!r}")
        if len(response.content) > MAX_KEY_BYTES:
            raise KeyUnavailable("install key too large")
        try:
            key = load_pem_public_key(response.content)
        except ValueError as exc:
            raise KeyUnavailable("install key is not a PEM public key") from exc
        if not isinstance(key, RSAPublicKey):
            raise KeyUnavailable("install key is not an RSA key")
        return key


class ForgeKeys:
    """The Forge JWKS, refreshed when a token names a key id we have not seen."""

    def __init__(self, jwks_url: str, *, timeout: float = 5.0) -> None:
        self._client = jwt.PyJWKClient(
            jwks_url, cache_keys=True, lifespan=int(KEY_TTL_SECONDS), timeout=timeout
        )

    def signing_key(self, token: str) -> Any:
        try:
            return self._client.get_signing_key_from_jwt(token).key
        except jwt.PyJWKClientError as exc:
            raise KeyUnavailable(str(exc)) from exc
        except jwt.DecodeError as exc:
            raise KeyUnavailable(f"malformed token: {exc}") from exc
