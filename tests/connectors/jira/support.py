"""Test helpers for the Jira connector: a simulator per module and a tiny Connect app server."""

from __future__ import annotations

import json
import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from connectors.jira.simulator import JiraSimulator

APP_KEY = "tandem-connector-test"


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class ConnectAppServer:
    """Serves a Connect descriptor and answers 204 to lifecycle callbacks (installs are recorded)."""

    def __init__(self, scopes: tuple[str, ...] = ("READ", "WRITE", "DELETE", "ACT_AS_USER")) -> None:
        self.scopes = scopes
        self.installs: list[dict[str, Any]] = []
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.path == "/atlassian-connect.json":
            descriptor = {
                "key": APP_KEY,
                "name": "Tandem connector test",
                "baseUrl": self.base_url,
                "authentication": {"type": "jwt"},
                "lifecycle": {"installed": "/installed"},
                "scopes": list(self.scopes),
                "apiMigrations": {"signed-install": True},
            }
            response = Response(json.dumps(descriptor), mimetype="application/json")
        elif request.path == "/installed" and request.method == "POST":
            self.installs.append(request.get_json(force=True))
            response = Response(status=204)
        else:
            response = Response(status=404)
        return response(environ, start_response)

    def start(self) -> ConnectAppServer:
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True, request_handler=_QuietHandler)
        self.base_url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    @property
    def descriptor_url(self) -> str:
        return f"{self.base_url}/atlassian-connect.json"


def basic_config(sim: JiraSimulator, site_name: str = "acme", **extra: Any) -> dict[str, Any]:
    site = sim.site(site_name)
    return {
        "base_url": sim.base_url(site_name),
        "auth": {"type": "basic", "email": site.admin_email, "api_token": site.admin_api_token},
        "timeout": 5.0,
        "max_attempts": 6,
        **extra,
    }
