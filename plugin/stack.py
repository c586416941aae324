"""A whole Tandem installation on loopback: simulated Jira sites, the server, the app installed.

The demo runs on it, and so do the end-to-end tests: the same real HTTP paths a production
install uses (signed install, JWT-signed webhooks, the admin API with context tokens), with
the Jira simulator standing in for Atlassian.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import requests
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from connectors.jira.connect_jwt import CONTEXT_QSH, encode_token
from connectors.jira.connector import JiraConnector
from connectors.jira.simulator import JiraSimulator
from plugin import create_app
from plugin.extensions import db
from plugin.sync.dispatcher import start_dispatcher, stop_dispatcher
from plugin.sync.polling import Poller
from plugin.sync.scripts import close_script_pool


class _LateApp:
    """The server must listen before the app exists: the app's base URL contains the port."""

    def __init__(self) -> None:
        self.app: Flask | None = None

    def __call__(self, environ: Any, start_response: Any) -> Any:
        assert self.app is not None
        return self.app(environ, start_response)


@dataclass
class Stack:
    sim: JiraSimulator
    app: Flask
    base_url: str
    server: BaseWSGIServer
    installs: dict[str, dict[str, Any]] = field(default_factory=dict)
    poller: Poller | None = None
    drop_schema: bool = False
    _thread: threading.Thread | None = None

    # -- the admin API, called as each site's admin would from the Jira UI --------------------

    def api(self, site: str, method: str, path: str, body: Any = None, *, expect: int | None = None) -> Any:
        install = self.installs[site]
        token = encode_token(
            issuer=install["clientKey"],
            secret=install["sharedSecret"],
            method=method,
            url=path,
            base_url=self.base_url,
            extra_claims={"qsh": CONTEXT_QSH, "sub": f"admin-{site}"},
        )
        response = requests.request(
            method, self.base_url + path, json=body, headers={"Authorization": f"JWT {token}"}, timeout=30
        )
        if expect is not None and response.status_code != expect:
            raise AssertionError(f"{method} {path} -> {response.status_code}: {response.text}")
        return response.json() if response.content else None

    def person(self, site: str) -> JiraConnector:
        """The site's admin, editing issues through Jira's REST API with basic auth (a human)."""
        sim_site = self.sim.site(site)
        return JiraConnector(
            {
                "base_url": self.sim.base_url(site),
                "auth": {
                    "type": "basic",
                    "email": sim_site.admin_email,
                    "api_token": sim_site.admin_api_token,
                },
            }
        )

    def install(self, site: str) -> dict[str, Any]:
        payload = self.sim.install_app(site, f"{self.base_url}/atlassian-connect.json")
        self.installs[site] = payload
        return payload

    def connect(
        self,
        a_site: str,
        a_project: str,
        b_site: str,
        b_project: str,
        *,
        name: str = "demo",
        a_settings: dict[str, Any] | None = None,
        b_settings: dict[str, Any] | None = None,
    ) -> int:
        """Create on one site, accept on the other, configure both sides: the admin UI's path."""
        created = self.api(
            a_site, "POST", "/admin/api/connections", {"name": name, "project_key": a_project}, expect=201
        )
        connection_id = int(created["connection"]["id"])
        self.api(
            b_site,
            "POST",
            "/admin/api/invitations/accept",
            {"code": created["invitation_code"], "project_key": b_project},
            expect=200,
        )
        if a_settings:
            self.api(
                a_site, "PATCH", f"/admin/api/connections/{connection_id}", {"side": a_settings}, expect=200
            )
        if b_settings:
            self.api(
                b_site, "PATCH", f"/admin/api/connections/{connection_id}", {"side": b_settings}, expect=200
            )
        return connection_id

    # -- waiting -------------------------------------------------------------------------------

    def settle(self, timeout: float = 20.0) -> bool:
        """Wait until webhooks are delivered and the queue has nothing due or running."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sim.wait_for_webhooks(timeout=max(0.1, deadline - time.monotonic()))
            if self.queue_idle():
                time.sleep(0.15)  # a last webhook may be in flight from the final write
                self.sim.wait_for_webhooks(timeout=2)
                if self.queue_idle():
                    return True
            time.sleep(0.05)
        return False

    def queue_idle(self) -> bool:
        from plugin.models.sync import JobState, SyncJob

        with self.app.app_context():
            busy = db.session.execute(
                db.select(db.func.count())
                .select_from(SyncJob)
                .where(SyncJob.state.in_([JobState.QUEUED, JobState.RUNNING]))
            ).scalar_one()
            db.session.remove()
        return int(busy) == 0

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 20.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.05)
        return predicate()

    def close(self) -> None:
        if self.poller is not None:
            self.poller.stop()
        stop_dispatcher(self.app)
        close_script_pool(self.app)
        self.server.shutdown()
        self.server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self.app.app_context():
            db.session.remove()
            if self.drop_schema:
                db.drop_all()
            db.engine.dispose()
        self.sim.stop()


@contextmanager
def running_stack(
    database_url: str,
    *,
    sites: tuple[str, ...] = ("acme", "globex"),
    issues_per_project: int = 0,
    poll_interval: float | None = None,
    worker_threads: int = 2,
    config: dict[str, Any] | None = None,
    create_schema: bool = True,
    migrate: bool = False,
    drop_schema: bool = False,
) -> Iterator[Stack]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request drowns the output
    sim = JiraSimulator(sites=sites, issues_per_project=issues_per_project).start(port=0)
    late = _LateApp()
    server = make_server("127.0.0.1", 0, late, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "BASE_URL": base_url,
            "SECRET_KEY": "stack-secret-key",
            "INSTALL_KEYS_URL": sim.key_server_url,
            "OAUTH_TOKEN_URL": sim.oauth_token_url,
            "WORKER_THREADS": worker_threads,
            "SCRIPT_WORKERS": 1,
            "POLL_OVERLAP": 120.0,
            **(config or {}),
        }
    )
    late.app = app
    with app.app_context():
        if migrate:
            from flask_migrate import upgrade

            upgrade()
        elif create_schema:
            db.create_all()
    thread = threading.Thread(target=server.serve_forever, name="tandem-http", daemon=True)
    thread.start()
    stack = Stack(sim=sim, app=app, base_url=base_url, server=server, drop_schema=drop_schema, _thread=thread)
    try:
        start_dispatcher(app)
        if poll_interval:
            stack.poller = Poller(app, poll_interval)
        for site in sites:
            stack.install(site)
        yield stack
    finally:
        stack.close()
