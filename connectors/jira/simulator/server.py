"""The HTTP server: one werkzeug app hosting several sites, the key server, OAuth and /_sim."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import secrets
import socket
import struct
import threading
import time
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import Any, NoReturn

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from . import install as installer
from .auth import Principal, TokenStore, authenticate, unauthorized
from .errors import JiraApiError
from .faults import ConnectionReset
from .rest import Call, build_map
from .state import Site
from .webhooks import WebhookDispatcher

log = logging.getLogger(__name__)
MEDIA_TOKEN_LIFETIME = 60


class QuietHandler(WSGIRequestHandler):
    """No access log lines on stderr for every simulated request."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class JiraSimulator:
    """A Jira Cloud simulator serving several sites under ``/<site>`` (or one port per site)."""

    def __init__(
        self,
        sites: Sequence[str] = ("acme", "globex"),
        issues_per_project: int = 0,
        latency: float = 0.0,
        seed: int = 1,
    ) -> None:
        self.sites: dict[str, Site] = {
            name: Site(name, issues_per_project=issues_per_project, seed_value=seed) for name in sites
        }
        self.keys = installer.KeyServer()
        self.tokens = TokenStore()
        self._media_secret = secrets.token_bytes(32)
        self._servers: list[tuple[BaseWSGIServer, threading.Thread]] = []
        self._site_urls: dict[str, str] = {}
        self.url = ""
        self.per_site_ports = False
        self.webhooks: WebhookDispatcher | None = None
        self._rest_map, self._operations = build_map()
        for site in self.sites.values():
            if latency:
                site.configure(latency=latency)

    # ------------------------------------------------------------ lifecycle

    def start(self, host: str = "127.0.0.1", port: int = 0, per_site_ports: bool = False) -> JiraSimulator:
        self.webhooks = WebhookDispatcher()
        for site in self.sites.values():
            site.listeners.append(self.webhooks.on_event)
        self.per_site_ports = per_site_ports
        main = self._serve(SimulatorApp(self, None), host, port)
        self.url = f"http://{host}:{main.server_port}"
        for name, site in self.sites.items():
            if per_site_ports:
                server = self._serve(
                    SimulatorApp(self, name), host, 0 if port == 0 else port + 1 + len(self._site_urls)
                )
                self._site_urls[name] = f"http://{host}:{server.server_port}"
            else:
                self._site_urls[name] = f"{self.url}/{name}"
            site.base_url = self._site_urls[name]
        return self

    def _serve(self, app: SimulatorApp, host: str, port: int) -> BaseWSGIServer:
        server = make_server(host, port, app, threaded=True, request_handler=QuietHandler)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        thread.start()
        self._servers.append((server, thread))
        return server

    def stop(self) -> None:
        for server, thread in self._servers:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
        self._servers.clear()
        if self.webhooks is not None:
            for site in self.sites.values():
                if self.webhooks.on_event in site.listeners:
                    site.listeners.remove(self.webhooks.on_event)
            self.webhooks.close()
            self.webhooks = None

    def __enter__(self) -> JiraSimulator:
        if not self._servers:
            self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # ------------------------------------------------------------ public helpers

    def base_url(self, site: str) -> str:
        return self._site_urls.get(site) or f"{self.url}/{site}"

    def site(self, name: str) -> Site:
        return self.sites[name]

    @property
    def key_server_url(self) -> str:
        return f"{self.url}/_keys"

    @property
    def oauth_token_url(self) -> str:
        return f"{self.url}/_oauth/oauth2/token"

    def install_app(self, site: str, descriptor_url: str, rotate_secret: bool = False) -> dict[str, Any]:
        return installer.install(self.sites[site], self.keys, descriptor_url, rotate_secret)

    def uninstall_app(self, site: str, app_key: str) -> None:
        installer.uninstall(self.sites[site], self.keys, app_key)

    def enable_app(self, site: str, app_key: str) -> None:
        installer.set_enabled(self.sites[site], app_key, True)

    def disable_app(self, site: str, app_key: str) -> None:
        installer.set_enabled(self.sites[site], app_key, False)

    def wait_for_webhooks(self, timeout: float = 5.0) -> bool:
        return True if self.webhooks is None else self.webhooks.wait(timeout)

    def issue_oauth_token(
        self,
        site: str,
        account_id: str,
        scopes: Iterable[str] = ("read:jira-work", "write:jira-work", "read:jira-user"),
    ) -> dict[str, Any]:
        """A 3LO-style bearer (with a refresh token) for ``account_id`` on ``site``."""
        self.sites[site].user(account_id)
        access, token = self.tokens.issue(site, account_id, frozenset(scopes), with_refresh=True)
        return {
            "access_token": access,
            "refresh_token": token.refresh_token,
            "expires_in": 3600,
            "token_type": "Bearer",
            "scope": " ".join(sorted(token.scopes)),
        }

    def media_token(self, site: str, attachment_id: str) -> str:
        expires = int(time.time()) + MEDIA_TOKEN_LIFETIME
        message = f"{site}:{attachment_id}:{expires}".encode()
        signature = hmac.new(self._media_secret, message, hashlib.sha256).hexdigest()[:32]
        return f"{expires}.{signature}"

    def media_token_valid(self, site: str, attachment_id: str, token: str) -> bool:
        expires, _, signature = token.partition(".")
        if not expires.isdigit() or int(expires) < time.time():
            return False
        message = f"{site}:{attachment_id}:{expires}".encode()
        expected = hmac.new(self._media_secret, message, hashlib.sha256).hexdigest()[:32]
        return hmac.compare_digest(expected, signature)

    @property
    def operations(self) -> dict[str, Any]:
        return self._operations


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json", headers=headers)


def reset_connection(request: Request) -> NoReturn:
    """Drop the TCP connection without a response (RST), as a flaky network would."""
    sock = request.environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    raise ConnectionResetError("simulated connection reset")


class SimulatorApp:
    """WSGI entry point. ``fixed_site`` serves one site at the root (per-site ports)."""

    def __init__(self, sim: JiraSimulator, fixed_site: str | None) -> None:
        self.sim = sim
        self.fixed_site = fixed_site

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        try:
            response = self.route(request)
        except ConnectionReset:
            reset_connection(request)
        except JiraApiError as exc:
            response = json_response(exc.body(), exc.status, exc.headers)
        except Exception:  # a simulator bug must still look like a Jira 500, and be logged
            log.exception("unhandled error serving %s %s", request.method, request.path)
            response = json_response({"errorMessages": ["Internal server error"], "errors": {}}, 500)
        finally:
            request.close()  # closes uploaded files' spooled temporaries
        return response(environ, start_response)

    def route(self, request: Request) -> Response:
        path = request.path
        if self.fixed_site is not None:
            return self.rest(request, self.sim.sites[self.fixed_site], path, "")
        first, _, rest = path.lstrip("/").partition("/")
        if first == "_keys":
            return self.key(rest)
        if first == "_oauth" and rest.rstrip("/") == "oauth2/token" and request.method == "POST":
            return self.oauth_token(request)
        if first == "_media":
            return self.media(request, rest)
        if first == "_sim":
            from .control import control

            return control(self.sim, request, rest)
        site = self.sim.sites.get(first)
        if site is None:
            return json_response({"errorMessages": ["Site not found."], "errors": {}}, 404)
        if request.method == "GET" and (rest == "" or rest.startswith("browse/")):
            from .browse import issue_page, site_index

            return issue_page(site, rest.removeprefix("browse/")) if rest else site_index(site)
        return self.rest(request, site, "/" + rest, f"/{first}")

    def key(self, kid: str) -> Response:
        pem = self.sim.keys.public_key(kid)
        if pem is None:
            return Response("Not Found", status=404, mimetype="text/plain")
        return Response(pem, mimetype="text/plain")

    def media(self, request: Request, rest: str) -> Response:
        site_name, _, attachment_id = rest.partition("/")
        site = self.sim.sites.get(site_name)
        if site is None or not self.sim.media_token_valid(
            site_name, attachment_id, request.args.get("token", "")
        ):
            return json_response({"error": "invalid or expired media token"}, 401)
        attachment = site.attachment(attachment_id)
        headers = {"Content-Disposition": f'attachment; filename="{attachment.filename}"'}
        return Response(attachment.content, mimetype=attachment.mime_type, headers=headers)

    def oauth_token(self, request: Request) -> Response:
        grant = request.form.get("grant_type", "")
        try:
            if grant == installer.JWT_BEARER_GRANT:
                site, installation, account_id = installer.act_as_user_grant(
                    self.sim.sites, request.form.get("assertion", "")
                )
                scopes = frozenset((request.form.get("scope") or "READ").upper().split())
                allowed = frozenset(installation.scopes) | {"READ"}
                access, _ = self.sim.tokens.issue(
                    site.name, account_id, scopes & allowed, lifetime=900, app_key=installation.app_key
                )
                return json_response({"access_token": access, "expires_in": 900, "token_type": "Bearer"})
            if grant == "refresh_token":
                return self.refresh(request.form.get("refresh_token", ""))
        except installer.OAuthGrantError as exc:
            return json_response({"error": exc.error, "error_description": exc.description}, exc.status)
        return json_response({"error": "unsupported_grant_type", "error_description": grant}, 400)

    def refresh(self, refresh_token: str) -> Response:
        old = self.sim.tokens.redeem_refresh(refresh_token)
        if old is None:
            raise installer.OAuthGrantError("invalid_grant", "unknown or used refresh token", 403)
        access, token = self.sim.tokens.issue(old.site, old.account_id, old.scopes, with_refresh=True)
        return json_response(
            {
                "access_token": access,
                "refresh_token": token.refresh_token,
                "expires_in": 3600,
                "token_type": "Bearer",
                "scope": " ".join(sorted(token.scopes)),
            }
        )

    def rest(self, request: Request, site: Site, path: str, base_path: str) -> Response:
        adapter = self.sim._rest_map.bind("simulator", path_info=path)
        try:
            endpoint, args = adapter.match(path, method=request.method)
        except MethodNotAllowed:
            raise JiraApiError(405, ["Method not allowed."]) from None
        except (NotFound, HTTPException):
            raise JiraApiError(404, ["No REST resource found for this path."]) from None
        operation = self.sim.operations[str(endpoint)]
        site.count_call(operation.name)
        principal = self.principal(request, site, path, base_path, operation.anonymous)
        if principal is not None and not principal.allows(operation.scope):
            raise JiraApiError(403, [f"The app or token is not allowed to {operation.scope} (scope)."])
        site.faults.before_request()
        args = dict(args)
        api = str(args.pop("api"))
        call = Call(self.sim, site, request, principal, api)
        site.begin_call()
        response: Response = operation.handler(call, **args)
        if operation.mutating and site.call_changed_state():
            with site.lock:
                site.stats.writes += 1
            if site.faults.lose_response():
                raise ConnectionReset
        return response

    def principal(
        self, request: Request, site: Site, path: str, base_path: str, anonymous: bool
    ) -> Principal | None:
        authorization = request.headers.get("Authorization", "")
        if not authorization and request.args.get("jwt"):
            authorization = f"JWT {request.args['jwt']}"  # Connect also accepts ?jwt= (excluded from qsh)
        if not authorization:
            if anonymous:
                return None
            raise unauthorized()
        query = request.query_string.decode()
        return authenticate(
            site, self.sim.tokens, authorization, request.method, base_path + path, query, base_path
        )
