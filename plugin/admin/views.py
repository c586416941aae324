"""Admin pages (rendered in Jira iframes) and the JSON API they call.

The pages are loaded by Jira with a request-bound token (``?jwt=``, :func:`jira_request`);
they carry no token of their own: the page's script asks ``AP.context.getToken()`` for a
fresh context token before every API call (:mod:`plugin.admin.api`).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, current_app, make_response, render_template, request

from plugin import connections as service
from plugin.admin.api import api_bp, last_jobs, twin_to_dict, twins_of
from plugin.connect.auth import current_tenant, jira_request
from plugin.models.tenant import Tenant

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.register_blueprint(api_bp)

ALL_JS = "https://connect-cdn.atl-paas.net/all.js"
# What Jira substitutes for {project.key}/{issue.key}; anything else is shown as "unknown".
KEY_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}(-[0-9]{1,12})?$")


def _key_or_none(name: str) -> str | None:
    value = request.args.get(name, "").strip()
    return value if KEY_PATTERN.match(value) else None


def _page(template: str, **context: Any) -> Response:
    base_url = current_app.config["BASE_URL"]
    html = render_template(
        template, all_js=ALL_JS, base_url=base_url, static_url=f"{base_url}/static", **context
    )
    response = make_response(html)
    # Per-tenant content inside an iframe: never cached by a shared proxy.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/page")
@jira_request
def admin_page() -> Response:
    tenant = current_tenant()
    return _page("admin/page.html", project=_key_or_none("project"), site=tenant.base_url)


@bp.get("/issue-panel")
@jira_request
def issue_panel() -> Response:
    tenant = current_tenant()
    issue_key = _key_or_none("issue")
    rows = issue_twins(tenant, issue_key) if issue_key else []
    return _page("admin/issue_panel.html", issue_key=issue_key, rows=rows)


def issue_twins(tenant: Tenant, issue_key: str) -> list[dict[str, Any]]:
    """The twins of ``issue_key`` on this tenant's own sides, with the counterpart's key."""
    rows: list[dict[str, Any]] = []
    for connection in service.connections_of(tenant):
        own_positions = {side.position for side in connection.sides if side.owner_tenant_id == tenant.id}
        twins = [
            twin
            for twin in twins_of(connection, issue_key=issue_key)
            if any(twin.issue_key(position) == issue_key for position in own_positions)
        ]
        latest = last_jobs([twin.id for twin in twins])
        for twin in twins:
            position = "a" if "a" in own_positions and twin.a_issue_key == issue_key else "b"
            other = "b" if position == "a" else "a"
            rows.append(
                {
                    "connection_id": connection.id,
                    "connection_name": connection.name,
                    "connection_state": connection.state.value,
                    "position": position,
                    "other_key": twin.issue_key(other),
                    "twin": twin_to_dict(twin, latest.get(twin.id)),
                }
            )
    return rows
