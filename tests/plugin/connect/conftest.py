from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.support import KeyServer, install_payload, install_token, serve_wsgi

BASE_URL = "https://tandem.test"
FORGE_APP_ID = "ari:cloud:ecosystem::app/11111111-2222-3333-4444-555555555555"


@pytest.fixture(scope="session")
def key_server() -> Iterator[tuple[KeyServer, str]]:
    server = KeyServer()
    server.add_key("jira-kid-1")
    server.add_key("forge-kid-1")
    with serve_wsgi(server.wsgi) as url:
        yield server, url


@pytest.fixture
def app_config(app_config: dict[str, Any], key_server: tuple[KeyServer, str]) -> dict[str, Any]:
    _, url = key_server
    return {
        **app_config,
        "BASE_URL": BASE_URL,
        "INSTALL_KEYS_URL": url,
        "FORGE_JWKS_URL": url + "/jwks.json",
        "FORGE_APP_ID": FORGE_APP_ID,
    }


class Installer:
    """Drives the lifecycle endpoints the way Jira does."""

    def __init__(self, client: FlaskClient, key_server: KeyServer) -> None:
        self.client = client
        self.keys = key_server

    def post(
        self,
        event: str,
        payload: dict[str, Any],
        *,
        kid: str = "jira-kid-1",
        token: str | None = None,
        **token_options: Any,
    ) -> Any:
        path = f"/lifecycle/{event}"
        if token is None:
            token = install_token(
                self.keys.keys[kid],
                kid,
                client_key=payload["clientKey"],
                audience=BASE_URL,
                path=path,
                **token_options,
            )
        return self.client.post(path, json=payload, headers={"Authorization": f"JWT {token}"})

    def install(self, client_key: str = "jira:acme", secret: str = "s" * 32, **extra: Any) -> dict[str, Any]:
        payload = install_payload(client_key, secret, "https://acme.atlassian.net", **extra)
        response = self.post("installed", payload)
        assert response.status_code == 204, response.get_data(as_text=True)
        return payload


@pytest.fixture
def installer(client: FlaskClient, key_server: tuple[KeyServer, str]) -> Installer:
    return Installer(client, key_server[0])
