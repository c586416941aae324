"""Connections as an admin manages them: create and invite, accept, configure, pause, delete.

Autonomy: each side's rules belong to the admin of the tenant that owns the side. Every
function takes the acting tenant and refuses (``Forbidden``/``NotFound``) what it does not own;
a connection of another tenant is indistinguishable from one that does not exist.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from flask import current_app

from plugin.errors import Conflict, Forbidden, NotFound, ValidationFailed
from plugin.extensions import db
from plugin.models.connection import (
    Connection,
    ConnectionState,
    DeletePolicy,
    Direction,
    Invitation,
    ScriptVersion,
    Side,
    SyncMode,
)
from plugin.models.tenant import Tenant
from plugin.sync.clock import as_utc, utcnow

INVITATION_LIFETIME = timedelta(days=3)
MAX_NAME_LENGTH = 200


# -- reading ---------------------------------------------------------------------------------


def connections_of(tenant: Tenant) -> list[Connection]:
    """Every connection the tenant is a party to (owns a side of)."""
    query = (
        db.select(Connection)
        .join(Side, Side.connection_id == Connection.id)
        .where(Side.owner_tenant_id == tenant.id)
        .order_by(Connection.id)
        .distinct()
    )
    return list(db.session.execute(query).scalars())


def get_connection(tenant: Tenant, connection_id: int) -> Connection:
    connection = db.session.get(Connection, connection_id)
    if connection is None or connection.side_of_tenant(tenant.id) is None:
        raise NotFound(f"connection {connection_id} not found")
    return connection


def own_side(tenant: Tenant, connection: Connection, position: str | None = None) -> Side:
    """The side the tenant may configure; ``position`` picks one when it owns both."""
    owned = [side for side in connection.sides if side.owner_tenant_id == tenant.id]
    if position is not None:
        owned = [side for side in owned if side.position == position]
    if not owned:
        raise Forbidden("that side belongs to the other site's admin")
    return owned[0]


# -- creating --------------------------------------------------------------------------------


def create_connection(
    tenant: Tenant, *, name: str, project_key: str, trigger_query: str | None = None
) -> tuple[Connection, str]:
    """A pending connection with this tenant as side a, and a one-time invitation code."""
    _check_name(name)
    connection = Connection(name=name.strip(), owner_tenant_id=tenant.id, state=ConnectionState.PENDING)
    connection.sides.append(_tenant_side(tenant, "a", project_key, trigger_query))
    db.session.add(connection)
    db.session.flush()
    code = _new_invitation(connection)
    db.session.commit()
    return connection, code


def create_connector_connection(
    tenant: Tenant,
    *,
    name: str,
    project_key: str,
    remote: Mapping[str, Any],
    trigger_query: str | None = None,
) -> Connection:
    """A connection to a site without the app: side b is a connector this tenant's admin owns."""
    from connectors.jira.connector import JiraConnector

    _check_name(name)
    config = dict(remote.get("config") or {})
    errors = JiraConnector.validate_config(config)
    remote_project = remote.get("project_key")
    if not isinstance(remote_project, str) or not remote_project.strip():
        errors.append("remote.project_key: required")
    if errors:
        raise ValidationFailed("invalid remote side", details=errors)
    connection = Connection(name=name.strip(), owner_tenant_id=tenant.id, state=ConnectionState.ACTIVE)
    connection.sides.append(_tenant_side(tenant, "a", project_key, trigger_query))
    connection.sides.append(
        Side(
            position="b",
            tenant_id=None,
            owner_tenant_id=tenant.id,
            connector_type="jira",
            connector_config=json.dumps(config),
            project_key=_project_key(str(remote_project)),
            trigger_query=remote.get("trigger_query") or None,
        )
    )
    db.session.add(connection)
    db.session.commit()
    return connection


def accept_invitation(
    tenant: Tenant, code: str, *, project_key: str, trigger_query: str | None = None
) -> Connection:
    invitation = _verified_invitation(code)
    connection = db.session.get(Connection, invitation.connection_id)
    if connection is None or connection.state is not ConnectionState.PENDING:
        raise Conflict("this invitation's connection is no longer pending")
    if connection.owner_tenant_id == tenant.id:
        raise Conflict("an invitation is accepted from the other site, not the one that created it")
    invitation.used_at = utcnow()
    invitation.used_by_tenant_id = tenant.id
    connection.sides.append(_tenant_side(tenant, "b", project_key, trigger_query))
    connection.state = ConnectionState.ACTIVE
    db.session.commit()
    return connection


def _tenant_side(tenant: Tenant, position: str, project_key: str, trigger_query: str | None) -> Side:
    """A side on the tenant's own site, whose rules its admin owns."""
    return Side(
        position=position,
        tenant_id=tenant.id,
        owner_tenant_id=tenant.id,
        project_key=_project_key(project_key),
        trigger_query=trigger_query or None,
    )


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_LENGTH:
        raise ValidationFailed(
            "invalid name", details={"name": f"required, at most {MAX_NAME_LENGTH} characters"}
        )


def _project_key(key: str) -> str:
    if not isinstance(key, str) or not key.strip() or len(key) > 64:
        raise ValidationFailed("invalid project", details={"project_key": "required, a project key"})
    return key.strip()


# -- invitations: signed, expiring, single use; only a hash is stored -------------------------


def _signature(body: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()[:24]


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _new_invitation(connection: Connection) -> str:
    body = f"{connection.id}.{secrets.token_urlsafe(18)}"
    code = f"{body}.{_signature(body)}"
    db.session.add(
        Invitation(
            connection_id=connection.id, code_hash=_hash(code), expires_at=utcnow() + INVITATION_LIFETIME
        )
    )
    return code


def new_invitation(tenant: Tenant, connection: Connection) -> str:
    """A fresh code for a still-pending connection (the first one was lost or expired)."""
    if connection.owner_tenant_id != tenant.id:
        raise Forbidden("only the inviting site can issue invitation codes")
    if connection.state is not ConnectionState.PENDING:
        raise Conflict("the connection has already been accepted")
    code = _new_invitation(connection)
    db.session.commit()
    return code


def _verified_invitation(code: str) -> Invitation:
    body, _, signature = (code or "").strip().rpartition(".")
    if not body or not hmac.compare_digest(signature, _signature(body)):
        raise ValidationFailed("invalid invitation code", details={"code": "not a code this server issued"})
    invitation: Invitation | None = db.session.execute(
        db.select(Invitation).filter_by(code_hash=_hash(code.strip()))
    ).scalar_one_or_none()
    if invitation is None:
        raise ValidationFailed("invalid invitation code", details={"code": "unknown code"})
    if invitation.used_at is not None:
        raise Conflict("this invitation code has already been used")
    expires_at = as_utc(invitation.expires_at)
    if expires_at is None or expires_at < utcnow():
        raise Conflict("this invitation code has expired; ask for a new one")
    return invitation


# -- configuring -----------------------------------------------------------------------------

SIDE_SETTINGS = (
    "project_key",
    "trigger_query",
    "sends",
    "receives",
    "mode",
    "visual_mapping",
    "user_map",
    "default_account_id",
)


def configure_side(
    tenant: Tenant, connection: Connection, changes: Mapping[str, Any], position: str | None = None
) -> Side:
    side = own_side(tenant, connection, position)
    problems: dict[str, str] = {}
    unknown = sorted(set(changes) - set(SIDE_SETTINGS))
    for name in unknown:
        problems[name] = f"unknown setting (known: {', '.join(SIDE_SETTINGS)})"
    if "project_key" in changes:
        try:
            side.project_key = _project_key(changes["project_key"])
        except ValidationFailed:
            problems["project_key"] = "required, a project key"
    if "trigger_query" in changes:
        value = changes["trigger_query"]
        if value is not None and not isinstance(value, str):
            problems["trigger_query"] = "a query string or null"
        else:
            side.trigger_query = value or None
            problem = _trigger_problem(side)
            if problem:
                problems["trigger_query"] = problem
    for flag in ("sends", "receives"):
        if flag in changes:
            if isinstance(changes[flag], bool):
                setattr(side, flag, changes[flag])
            else:
                problems[flag] = "true or false"
    if "mode" in changes:
        try:
            side.mode = SyncMode(changes["mode"])
        except ValueError:
            problems["mode"] = "one of basic, visual, script"
    if "user_map" in changes:
        value = changes["user_map"]
        if value is None or (
            isinstance(value, Mapping)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
        ):
            side.user_map = dict(value) if value else None
        else:
            problems["user_map"] = "an object of account id (theirs) to account id (ours), or null"
    if "default_account_id" in changes:
        value = changes["default_account_id"]
        if value is None or (isinstance(value, str) and 0 < len(value) <= 128):
            side.default_account_id = value
        else:
            problems["default_account_id"] = "an account id, or null for unassigned"
    if "visual_mapping" in changes:
        from plugin.sync.rules import validate_visual_mapping

        mapping_problems = validate_visual_mapping(changes["visual_mapping"])
        if mapping_problems:
            problems["visual_mapping"] = "; ".join(mapping_problems)
        else:
            side.visual_mapping = changes["visual_mapping"]
    if problems:
        db.session.rollback()
        raise ValidationFailed("invalid side settings", details=problems)
    db.session.commit()
    return side


def _trigger_problem(side: Side) -> str | None:
    """Ask the side's own site whether the trigger query is valid (JQL is the site's to judge)."""
    if not side.trigger_query:
        return None
    from connectors.base import ConnectorError
    from plugin.sync.connectors import connector_for
    from plugin.sync.polling import side_query

    try:
        connector_for(side).fetch_page(side_query(side), updated_since=None, page_token=None, page_size=1)
    except ConnectorError as exc:
        return f"the site rejected this query: {exc}"
    return None


def publish_script(
    tenant: Tenant,
    connection: Connection,
    direction: Direction,
    source: str,
    *,
    author: str | None,
    position: str | None = None,
) -> ScriptVersion:
    """Compile, then store a new version and make it the active one in one transaction."""
    from plugin.sync.scripts import compile_errors

    side = own_side(tenant, connection, position)
    errors = compile_errors(source, direction)
    if errors:
        raise ValidationFailed("the script does not compile", details={"errors": errors})
    number = 1 + (
        db.session.execute(
            db.select(db.func.max(ScriptVersion.number)).where(
                ScriptVersion.side_id == side.id, ScriptVersion.direction == direction
            )
        ).scalar_one()
        or 0
    )
    version = ScriptVersion(
        side_id=side.id,
        direction=direction,
        number=number,
        source=source,
        source_hash=hashlib.sha256(source.encode()).hexdigest(),
        mode=SyncMode.SCRIPT,
        author_account_id=author,
    )
    db.session.add(version)
    db.session.flush()
    _activate(side, version)
    side.mode = SyncMode.SCRIPT
    db.session.commit()
    return version


def rollback_script(
    tenant: Tenant, connection: Connection, direction: Direction, number: int, position: str | None = None
) -> ScriptVersion:
    side = own_side(tenant, connection, position)
    version: ScriptVersion | None = db.session.execute(
        db.select(ScriptVersion).filter_by(side_id=side.id, direction=direction, number=number)
    ).scalar_one_or_none()
    if version is None:
        raise NotFound(f"no {direction.value} script version {number}")
    _activate(side, version)
    side.mode = SyncMode.SCRIPT
    db.session.commit()
    return version


def _activate(side: Side, version: ScriptVersion) -> None:
    if version.direction is Direction.OUTGOING:
        side.outgoing_version_id = version.id
    else:
        side.incoming_version_id = version.id


def script_versions(
    tenant: Tenant, connection: Connection, position: str | None = None
) -> list[ScriptVersion]:
    side = own_side(tenant, connection, position)
    query = (
        db.select(ScriptVersion)
        .filter_by(side_id=side.id)
        .order_by(ScriptVersion.direction, ScriptVersion.number)
    )
    return list(db.session.execute(query).scalars())


# -- lifecycle -------------------------------------------------------------------------------


def set_paused(tenant: Tenant, connection: Connection, paused: bool) -> Connection:
    own_side(tenant, connection)
    if connection.state is ConnectionState.PENDING:
        raise Conflict("a pending connection cannot be paused or resumed")
    connection.state = ConnectionState.PAUSED if paused else ConnectionState.ACTIVE
    connection.state_reason = None
    db.session.commit()
    return connection


def set_delete_policy(tenant: Tenant, connection: Connection, policy: str) -> Connection:
    own_side(tenant, connection)
    try:
        connection.delete_policy = DeletePolicy(policy)
    except ValueError as exc:
        raise ValidationFailed(
            "invalid delete policy", details={"delete_policy": "unlink, delete_twin or ignore"}
        ) from exc
    db.session.commit()
    return connection


def delete_connection(tenant: Tenant, connection: Connection) -> None:
    own_side(tenant, connection)
    db.session.delete(connection)
    db.session.commit()


def connection_to_dict(connection: Connection, viewer: Tenant) -> dict[str, Any]:
    """What ``viewer``'s admin may see: its own sides in full, the other side's identity only."""
    return {
        "id": connection.id,
        "name": connection.name,
        "state": connection.state.value,
        "state_reason": connection.state_reason,
        "delete_policy": connection.delete_policy.value,
        "created_at": connection.created_at.isoformat() if connection.created_at else None,
        "sides": [_side_to_dict(side, owned=side.owner_tenant_id == viewer.id) for side in connection.sides],
    }


def _side_to_dict(side: Side, *, owned: bool) -> dict[str, Any]:
    public: dict[str, Any] = {
        "position": side.position,
        "site": side.tenant.base_url if side.tenant else _remote_url(side),
        "project_key": side.project_key,
        "owned": owned,
    }
    if owned:
        public.update(
            {
                "trigger_query": side.trigger_query,
                "sends": side.sends,
                "receives": side.receives,
                "mode": side.mode.value,
                "visual_mapping": side.visual_mapping,
                "user_map": side.user_map or {},
                "default_account_id": side.default_account_id,
                "outgoing_version": side.outgoing_version.number if side.outgoing_version else None,
                "incoming_version": side.incoming_version.number if side.incoming_version else None,
            }
        )
    return public


def _remote_url(side: Side) -> str | None:
    if not side.connector_config:
        return None
    url = json.loads(side.connector_config).get("base_url")
    return url if isinstance(url, str) else None
