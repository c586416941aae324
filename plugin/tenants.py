"""The install lifecycle of a tenant, independent of HTTP: install, enable, uninstall, purge.

Every function is idempotent: Jira retries lifecycle calls, and a repeated call must leave the
same state as a single one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from plugin.errors import ValidationFailed
from plugin.extensions import db
from plugin.models.tenant import Tenant, TenantState, utcnow

REQUIRED_INSTALL_FIELDS = ("key", "clientKey", "sharedSecret", "baseUrl")
MIN_SECRET_LENGTH = 16


def validate_install_payload(payload: Any, *, app_key: str) -> dict[str, Any]:
    """The payload if it is a usable install event; every problem reported at once otherwise."""
    if not isinstance(payload, Mapping):
        raise ValidationFailed("install payload must be a JSON object")
    problems: dict[str, str] = {}
    for name in REQUIRED_INSTALL_FIELDS:
        value = payload.get(name)
        if not isinstance(value, str) or not value.strip():
            problems[name] = "required, a non-empty string"
    if "key" not in problems and payload["key"] != app_key:
        problems["key"] = f"this server is the app {app_key!r}"
    if "sharedSecret" not in problems and len(payload["sharedSecret"]) < MIN_SECRET_LENGTH:
        problems["sharedSecret"] = f"at least {MIN_SECRET_LENGTH} characters"
    for name in ("baseUrl", "displayUrl"):
        value = payload.get(name)
        if isinstance(value, str) and value and not _is_http_url(value):
            problems[name] = "must be an http(s) URL"
    if problems:
        raise ValidationFailed("invalid install payload", details=problems)
    return dict(payload)


def _is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def find_tenant(client_key: str) -> Tenant | None:
    return db.session.execute(db.select(Tenant).filter_by(client_key=client_key)).scalar_one_or_none()


def record_install(payload: Mapping[str, Any]) -> Tenant:
    """Create the tenant, or restore and update it (reinstall, secret rotation)."""
    tenant = find_tenant(payload["clientKey"])
    if tenant is None:
        tenant = Tenant(client_key=payload["clientKey"])
        db.session.add(tenant)
    tenant.shared_secret = payload["sharedSecret"]
    tenant.base_url = payload["baseUrl"].rstrip("/")
    tenant.display_url = (payload.get("displayUrl") or payload["baseUrl"]).rstrip("/")
    tenant.product_type = payload.get("productType") or "jira"
    tenant.description = payload.get("description")
    tenant.oauth_client_id = payload.get("oauthClientId")
    tenant.cloud_id = payload.get("cloudId")
    tenant.state = TenantState.INSTALLED
    tenant.uninstalled_at = None
    tenant.purge_after = None
    db.session.commit()
    return tenant


def record_uninstall(tenant: Tenant, *, retention_days: int) -> None:
    """Disable the tenant and keep its data for the retention period."""
    if tenant.state is not TenantState.UNINSTALLED:
        tenant.state = TenantState.UNINSTALLED
        tenant.uninstalled_at = utcnow()
        tenant.purge_after = tenant.uninstalled_at + timedelta(days=retention_days)
        db.session.commit()


def record_enabled(tenant: Tenant, enabled: bool) -> None:
    if tenant.state is TenantState.UNINSTALLED:
        return  # a late enable/disable must not resurrect an uninstalled tenant
    tenant.state = TenantState.ENABLED if enabled else TenantState.DISABLED
    db.session.commit()


def purge_expired(now: datetime | None = None) -> list[str]:
    """Delete tenants whose retention ran out; their connections go with them (cascade)."""
    moment = now or utcnow()
    expired = db.session.execute(
        db.select(Tenant).where(Tenant.state == TenantState.UNINSTALLED, Tenant.purge_after <= moment)
    ).scalars()
    purged = []
    for tenant in expired:
        purged.append(tenant.client_key)
        db.session.delete(tenant)
    db.session.commit()
    return purged
