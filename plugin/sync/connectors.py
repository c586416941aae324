"""The connector that speaks for a side: the tenant's own site (Connect JWT) or a configured one.

Connectors are shared per side (sessions, rate budgets) and rebuilt when credentials change.
"""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

from flask import current_app

from connectors.base import Connector
from plugin.models.connection import Side

_cache: dict[tuple[int, str], Connector] = {}
_lock = threading.Lock()


def side_config(side: Side) -> dict[str, Any]:
    config = current_app.config
    if side.tenant is not None:
        tenant = side.tenant
        result: dict[str, Any] = {
            "base_url": tenant.base_url,
            "auth": {"type": "connect", "app_key": config["APP_KEY"], "shared_secret": tenant.shared_secret},
            "timeout": config["HTTP_TIMEOUT"],
        }
        if tenant.oauth_client_id:
            result["act_as"] = {
                "oauth_client_id": tenant.oauth_client_id,
                "token_url": config["OAUTH_TOKEN_URL"],
            }
        return result
    loaded: dict[str, Any] = json.loads(side.connector_config or "{}")
    loaded.setdefault("timeout", config["HTTP_TIMEOUT"])
    return loaded


def connector_for(side: Side) -> Connector:
    from connectors.jira.connector import JiraConnector

    config = side_config(side)
    fingerprint = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()
    key = (side.id, fingerprint)
    with _lock:
        connector = _cache.get(key)
        if connector is None:
            JiraConnector.check_config(config)
            connector = JiraConnector(config)
            _cache[key] = connector
        return connector
