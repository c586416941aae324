"""Inbound change events: verify, find the connections the issue belongs to, enqueue, return.

The body is a hint, never the truth: jobs fetch the issue fresh. A webhook for an issue of no
connection costs one query and a 202.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from plugin.connect.auth import current_tenant, jira_request
from plugin.errors import ValidationFailed
from plugin.extensions import db
from plugin.models.connection import Connection, ConnectionState, Side
from plugin.sync import queue
from plugin.sync.dispatcher import dispatcher

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")

RECEIVING_STATES = (ConnectionState.ACTIVE, ConnectionState.PAUSED)  # paused: queue up, flow later


def _issue_of(event: dict[str, Any]) -> tuple[str, str | None, str | None]:
    issue = event.get("issue")
    if not isinstance(issue, dict) or not issue.get("id"):
        raise ValidationFailed("webhook without an issue", details={"issue": "required, with an id"})
    fields = issue.get("fields") if isinstance(issue.get("fields"), dict) else {}
    project = fields.get("project") if isinstance(fields, dict) else None
    project_key = project.get("key") if isinstance(project, dict) else None
    return str(issue["id"]), issue.get("key"), project_key


@bp.post("/jira")
@jira_request
def jira_event() -> tuple[Response, int]:
    event = request.get_json(silent=True)
    if not isinstance(event, dict):
        raise ValidationFailed("webhook body must be a JSON object")
    issue_id, issue_key, project_key = _issue_of(event)
    tenant = current_tenant()
    sides = db.session.execute(
        db.select(Side)
        .join(Connection, Connection.id == Side.connection_id)
        .where(Side.tenant_id == tenant.id, Connection.state.in_(RECEIVING_STATES))
    ).scalars()
    queued = 0
    for side in sides:
        if project_key and side.project_key and side.project_key != project_key:
            twin = queue.twin_for_issue(side.connection_id, side.position, issue_id)
            if twin is None:  # moved out of the project: only twins still follow it
                continue
        queue.enqueue(side.connection_id, side.position, issue_id, issue_key=issue_key, trigger="webhook")
        queued += 1
    if queued:
        dispatcher(current_app._get_current_object()).notify()  # type: ignore[attr-defined]
    return jsonify({"queued": queued}), 202
