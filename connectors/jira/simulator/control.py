"""The ``/_sim`` control API for operators and the CLI (unauthenticated: bind it to loopback)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from .errors import InstallError

if TYPE_CHECKING:
    from .server import JiraSimulator


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")


def control(sim: JiraSimulator, request: Request, rest: str) -> Response:
    parts = [p for p in rest.split("/") if p]
    if parts == ["sites"] and request.method == "GET":
        return _json(
            [
                {
                    "name": name,
                    "baseUrl": site.base_url,
                    "adminEmail": site.admin_email,
                    "adminApiToken": site.admin_api_token,
                    "projects": sorted(site.projects),
                }
                for name, site in sim.sites.items()
            ]
        )
    if len(parts) != 2 or parts[0] not in sim.sites:
        return _json({"error": "unknown control resource"}, 404)
    site = sim.sites[parts[0]]
    action = parts[1]
    if action == "stats" and request.method == "GET":
        with site.lock:
            return _json(site.stats.to_json())
    body = request.get_json(silent=True) or {}
    if not isinstance(body, dict):
        return _json({"error": "body must be a JSON object"}, 400)
    if action == "configure" and request.method == "POST":
        try:
            site.configure(**body)
        except (TypeError, ValueError) as exc:
            return _json({"error": str(exc)}, 400)
        return _json({"ok": True})
    if action == "install" and request.method == "POST":
        try:
            payload = sim.install_app(
                site.name, str(body.get("descriptor_url", "")), bool(body.get("rotate_secret"))
            )
        except InstallError as exc:
            return _json({"error": str(exc), "status": exc.status}, 502)
        return _json({"clientKey": payload["clientKey"], "key": payload["key"]})
    return _json({"error": "unknown control resource"}, 404)
