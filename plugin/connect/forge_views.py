"""Endpoints the Forge remote calls (Connect-on-Forge), authenticated by Forge Invocation Tokens."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from plugin.connect.auth import current_caller, forge_request

bp = Blueprint("forge", __name__, url_prefix="/forge")


@bp.get("/whoami")
@forge_request
def whoami() -> Response:
    """Which installation and site the Forge platform says is calling; used by the health check."""
    caller = current_caller()
    app_claims = caller.claims.get("app")
    installation_id = app_claims.get("installationId") if isinstance(app_claims, dict) else None
    return jsonify(
        {
            "installation_id": installation_id,
            "tenant": caller.tenant.client_key if caller.tenant else None,
            "account_id": caller.account_id,
        }
    )
