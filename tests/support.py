"""Test helpers that are not fixtures: loopback servers and key material."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from connectors.jira.connect_jwt import query_string_hash


@contextmanager
def serve_wsgi(wsgi_app: Any) -> Iterator[str]:
    """Run ``wsgi_app`` on an ephemeral loopback port for the duration of the block."""
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@dataclass
class KeyServer:
    """Plays Atlassian's install-key server (PEM by kid) and the Forge JWKS endpoint."""

    keys: dict[str, rsa.RSAPrivateKey] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    def add_key(self, kid: str | None = None) -> str:
        kid = kid or uuid.uuid4().hex
        self.keys[kid] = new_rsa_key()
        return kid

    def wsgi(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        self.requests.append(request.path)
        if request.path == "/jwks.json":
            body = json.dumps({"keys": [self._jwk(kid, key) for kid, key in self.keys.items()]})
            return Response(body, mimetype="application/json")(environ, start_response)
        key = self.keys.get(request.path.strip("/"))
        if key is None:
            return Response("not found", status=404)(environ, start_response)
        return Response(public_pem(key), mimetype="text/plain")(environ, start_response)

    @staticmethod
    def _jwk(kid: str, key: rsa.RSAPrivateKey) -> dict[str, Any]:
        jwk: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
        jwk.update({"kid": kid, "use": "sig", "alg": "RS256"})
        return jwk


def install_token(
    key: rsa.RSAPrivateKey,
    kid: str,
    *,
    client_key: str,
    audience: str,
    path: str = "/lifecycle/installed",
    lifetime: int = 180,
    claims: dict[str, Any] | None = None,
) -> str:
    """An RS256 token as Jira signs install/uninstall lifecycle calls."""
    now = int(time.time())
    payload: dict[str, Any] = {
        "iss": client_key,
        "aud": audience,
        "iat": now,
        "exp": now + lifetime,
        "qsh": query_string_hash("POST", path),
        "sub": client_key,
    }
    payload.update(claims or {})
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid})


def install_payload(client_key: str, secret: str, base_url: str, **extra: Any) -> dict[str, Any]:
    payload = {
        "key": "io.tandem.sync",
        "clientKey": client_key,
        "sharedSecret": secret,
        "baseUrl": base_url,
        "displayUrl": base_url,
        "productType": "jira",
        "description": "Atlassian JIRA at " + base_url,
        "eventType": "installed",
        "oauthClientId": "oauth-" + client_key,
        "cloudId": "cloud-" + client_key,
    }
    payload.update(extra)
    return payload
