"""Fixtures: a running simulator per test, and a tiny Connect app (Flask) to install into it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
import requests
from flask import Flask, Response, jsonify, request
from werkzeug.serving import BaseWSGIServer, make_server

from connectors.jira.connect_jwt import decode_token, qsh_for_url
from connectors.jira.simulator import JiraSimulator, Site


@pytest.fixture
def sim() -> Iterator[JiraSimulator]:
    with JiraSimulator(sites=("acme", "globex"), issues_per_project=0).start() as simulator:
        yield simulator


@pytest.fixture
def acme(sim: JiraSimulator) -> Site:
    return sim.site("acme")


@pytest.fixture
def http(sim: JiraSimulator) -> Iterator[requests.Session]:
    """A session authenticated as acme's admin, with the site base URL as ``session.base``."""
    session = requests.Session()
    site = sim.site("acme")
    session.auth = (site.admin_email, site.admin_api_token)
    session.trust_env = False
    yield session
    session.close()


def rest(sim: JiraSimulator, path: str, site: str = "acme") -> str:
    return f"{sim.base_url(site)}/rest/api/3{path}"


def adf(text: str) -> dict[str, Any]:
    return {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}],
    }


@dataclass
class ConnectApp:
    """A minimal Connect app: serves its descriptor, verifies lifecycle and webhook JWTs."""

    key_server_url: str
    scopes: list[str] = field(default_factory=lambda: ["READ", "WRITE", "DELETE", "ACT_AS_USER"])
    webhook_filter: str | None = None
    exclude_body: bool = False
    fail_webhooks: int = 0
    reject_webhooks: bool = False
    lifecycle_status: int = 204
    installs: list[dict[str, Any]] = field(default_factory=list)
    install_claims: list[dict[str, Any]] = field(default_factory=list)
    uninstalls: list[dict[str, Any]] = field(default_factory=list)
    webhooks: list[dict[str, Any]] = field(default_factory=list)
    webhook_headers: list[dict[str, str]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    base_url: str = ""
    server: BaseWSGIServer | None = None
    thread: threading.Thread | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def descriptor(self) -> dict[str, Any]:
        module: dict[str, Any] = {"event": "jira:issue_updated", "url": "/webhooks/jira?src=sim"}
        if self.webhook_filter:
            module["filter"] = self.webhook_filter
        return {
            "key": "tandem-test",
            "name": "Tandem Test",
            "baseUrl": self.base_url,
            "authentication": {"type": "jwt"},
            "apiMigrations": {"signed-install": True, "context-qsh": True},
            "lifecycle": {"installed": "/installed", "uninstalled": "/uninstalled", "disabled": "/disabled"},
            "scopes": self.scopes,
            "modules": {
                "webhooks": [
                    {"event": "jira:issue_created", "url": "/webhooks/jira"},
                    module,
                    {"event": "comment_created", "url": "/webhooks/jira", "excludeBody": self.exclude_body},
                ]
            },
        }

    def verify_install(self, token: str, path: str) -> dict[str, Any]:
        kid = jwt.get_unverified_header(token)["kid"]
        with requests.get(f"{self.key_server_url}/{kid}", timeout=5) as response:
            response.raise_for_status()
            public_key = response.text
        claims: dict[str, Any] = jwt.decode(token, public_key, algorithms=["RS256"], audience=self.base_url)
        if claims["qsh"] != qsh_for_url("POST", self.base_url + path, self.base_url):
            raise ValueError("qsh mismatch")
        return claims

    def build(self) -> Flask:
        app = Flask("connect-test-app")

        @app.get("/atlassian-connect.json")
        def descriptor() -> Response:
            return jsonify(self.descriptor())

        @app.post("/installed")
        def installed() -> tuple[str, int]:
            token = request.headers.get("Authorization", "").removeprefix("JWT ")
            try:
                claims = self.verify_install(token, "/installed")
            except (jwt.PyJWTError, ValueError) as exc:
                self.rejected.append(str(exc))
                return "bad token", 401
            with self.lock:
                self.install_claims.append(claims)
                self.installs.append(request.get_json())
            return "", self.lifecycle_status

        @app.post("/uninstalled")
        def uninstalled() -> tuple[str, int]:
            token = request.headers.get("Authorization", "").removeprefix("JWT ")
            try:
                self.verify_install(token, "/uninstalled")
            except (jwt.PyJWTError, ValueError) as exc:
                self.rejected.append(str(exc))
                return "bad token", 401
            self.uninstalls.append(request.get_json())
            return "", 204

        @app.post("/disabled")
        def disabled() -> tuple[str, int]:
            token = request.headers.get("Authorization", "").removeprefix("JWT ")
            expected = qsh_for_url("POST", request.url, self.base_url)
            try:
                decode_token(token, self.installs[-1]["sharedSecret"], expected_qsh=expected)
            except Exception as exc:
                self.rejected.append(str(exc))
                return "bad token", 401
            self.uninstalls.append(request.get_json())
            return "", 204

        @app.post("/webhooks/jira")
        def webhook() -> tuple[str, int]:
            token = request.headers.get("Authorization", "").removeprefix("JWT ")
            secret = self.installs[-1]["sharedSecret"]
            expected = qsh_for_url("POST", request.url, self.base_url)
            try:
                decode_token(token, secret, expected_qsh=expected)
            except Exception as exc:
                self.rejected.append(str(exc))
                return "bad token", 401
            with self.lock:
                self.webhook_headers.append(dict(request.headers))
                if self.reject_webhooks:
                    return "no thanks", 400
                if self.fail_webhooks > 0:
                    self.fail_webhooks -= 1
                    return "try later", 503
                self.webhooks.append(request.get_json() if request.data else {"empty": True})
            return "", 204

        return app

    def start(self) -> ConnectApp:
        self.server = make_server("127.0.0.1", 0, self.build(), threaded=True)
        self.base_url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05})
        self.thread.start()
        return self

    def stop(self) -> None:
        assert self.server is not None and self.thread is not None
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    @property
    def descriptor_url(self) -> str:
        return f"{self.base_url}/atlassian-connect.json"


@pytest.fixture
def connect_app(sim: JiraSimulator) -> Iterator[ConnectApp]:
    app = ConnectApp(sim.key_server_url).start()
    yield app
    app.stop()
