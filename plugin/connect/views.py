"""Atlassian Connect endpoints: the descriptor and the install lifecycle."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from plugin import tenants
from plugin.connect.auth import current_tenant, lifecycle_request, request_token, verify_signed_install
from plugin.connect.descriptor import build_descriptor
from plugin.errors import ValidationFailed

bp = Blueprint("connect", __name__)


@bp.get("/atlassian-connect.json")
def descriptor() -> Response:
    config = current_app.config
    body = build_descriptor(
        base_url=config["BASE_URL"], app_key=config["APP_KEY"], app_name=config["APP_NAME"]
    )
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-cache"
    return response


def _lifecycle_payload() -> dict[str, Any]:
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise ValidationFailed("lifecycle payload must be a JSON object")
    return payload


@bp.post("/lifecycle/installed")
def installed() -> tuple[str, int]:
    token = request_token()
    payload = tenants.validate_install_payload(_lifecycle_payload(), app_key=current_app.config["APP_KEY"])
    # Signed install: the token, not the body, decides whether this secret may be stored.
    verify_signed_install(token, payload["clientKey"])
    tenants.record_install(payload)
    return "", 204


@bp.post("/lifecycle/uninstalled")
def uninstalled() -> tuple[str, int]:
    token = request_token()
    client_key = _lifecycle_payload().get("clientKey")
    if not isinstance(client_key, str) or not client_key:
        raise ValidationFailed("clientKey is required", details={"clientKey": "required"})
    verify_signed_install(token, client_key)
    tenant = tenants.find_tenant(client_key)
    if tenant is not None:
        tenants.record_uninstall(tenant, retention_days=current_app.config["UNINSTALL_RETENTION_DAYS"])
    return "", 204


@bp.post("/lifecycle/enabled")
@lifecycle_request
def enabled() -> tuple[str, int]:
    tenants.record_enabled(current_tenant(), True)
    return "", 204


@bp.post("/lifecycle/disabled")
@lifecycle_request
def disabled() -> tuple[str, int]:
    tenants.record_enabled(current_tenant(), False)
    return "", 204
