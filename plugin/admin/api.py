"""The admin JSON API under ``/admin/api``, called by the admin pages with context tokens.

Every route is ``@context_request`` and works only on what the calling tenant is a party to:
ids in URLs are looked up through :func:`plugin.connections.get_connection`, which answers 404
for another tenant's connection, and ids in bodies never decide ownership. The engine
(``plugin.sync``) is imported inside the views that need it, so this module loads on its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from plugin import connections as service
from plugin.admin.payload import Fields, json_object, query_int, query_position
from plugin.connect.auth import context_request, current_caller, current_tenant
from plugin.errors import ApiError, NotFound, ValidationFailed
from plugin.extensions import db
from plugin.models.connection import Connection, DeletePolicy, Direction
from plugin.models.sync import JobState, SyncJob, Twin
from plugin.models.tenant import Tenant

api_bp = Blueprint("api", __name__, url_prefix="/api")

MAX_TWINS = 500


def _json(body: Any, status: int = 200) -> Response:
    response = jsonify(body)
    response.status_code = status
    return response


def _connection(connection_id: int) -> Connection:
    return service.get_connection(current_tenant(), connection_id)


def _connection_body(connection: Connection, tenant: Tenant) -> dict[str, Any]:
    return service.connection_to_dict(connection, tenant)


def _direction(value: str) -> Direction:
    try:
        return Direction(value)
    except ValueError:
        raise NotFound(f"no script direction {value!r}: outgoing or incoming") from None


@contextmanager
def _remote_errors() -> Iterator[None]:
    """Connector failures while the engine reads a side become 4xx/502 answers, not 500s."""
    from connectors.base import ConfigError, ConnectorError, NotFoundError

    try:
        yield
    except NotFoundError as exc:
        raise NotFound(f"not found on the site: {exc.message}") from exc
    except ConfigError as exc:
        raise ValidationFailed("the side's connection settings are invalid", details=[str(exc)]) from exc
    except ConnectorError as exc:
        raise ApiError(
            f"the site did not answer as expected: {exc.message}",
            status=502,
            code="remote_error",
            details={"remote_status": exc.status},
        ) from exc


# -- connections -----------------------------------------------------------------------------


@api_bp.get("/connections")
@context_request
def list_connections() -> Response:
    from plugin.sync.queue import queue_counters

    tenant = current_tenant()
    items = []
    for connection in service.connections_of(tenant):
        item = _connection_body(connection, tenant)
        item["queue"] = queue_counters(connection.id)
        items.append(item)
    return _json({"connections": items})


@api_bp.post("/connections")
@context_request
def create_connection() -> Response:
    fields = Fields(json_object())
    name = fields.text("name", max_length=service.MAX_NAME_LENGTH)
    project_key = fields.text("project_key", max_length=64)
    trigger_query = fields.optional_text("trigger_query")
    fields.check("invalid connection")
    tenant = current_tenant()
    connection, code = service.create_connection(
        tenant, name=name, project_key=project_key, trigger_query=trigger_query
    )
    return _json({"connection": _connection_body(connection, tenant), "invitation_code": code}, 201)


@api_bp.post("/connections/remote")
@context_request
def create_remote_connection() -> Response:
    fields = Fields(json_object())
    name = fields.text("name", max_length=service.MAX_NAME_LENGTH)
    project_key = fields.text("project_key", max_length=64)
    trigger_query = fields.optional_text("trigger_query")
    remote = fields.nested("remote")
    remote_project = remote.text("project_key", max_length=64)
    remote_trigger = remote.optional_text("trigger_query")
    config = remote.nested("config")
    base_url = config.text("base_url", max_length=500)
    auth = config.nested("auth")
    if auth.body.get("type") != "basic":
        auth.problem("type", 'required, "basic" (email and API token)')
    email = auth.text("email", max_length=320)
    api_token = auth.text("api_token", max_length=2000)
    _check_remote_url(base_url, config)
    for key in sorted(set(config.body) - {"base_url", "auth"}):
        config.problem(key, "unknown setting")
    fields.check("invalid remote connection")
    tenant = current_tenant()
    connection = service.create_connector_connection(
        tenant,
        name=name,
        project_key=project_key,
        trigger_query=trigger_query,
        remote={
            "config": {
                "base_url": base_url.rstrip("/"),
                "auth": {"type": "basic", "email": email, "api_token": api_token},
            },
            "project_key": remote_project,
            "trigger_query": remote_trigger,
        },
    )
    return _json({"connection": _connection_body(connection, tenant)}, 201)


def _check_remote_url(base_url: str, config: Fields) -> None:
    # Jira Cloud sites are served over https; plain http is allowed outside production so the
    # demo and tests can point at a local simulator.
    if not base_url:
        return
    schemes = (
        ("https://",) if current_app.config.get("TANDEM_ENV") == "production" else ("https://", "http://")
    )
    if not base_url.startswith(schemes):
        config.problem("base_url", "an " + " or ".join(s.rstrip(":/") for s in schemes) + " URL")


@api_bp.post("/invitations/accept")
@context_request
def accept_invitation() -> Response:
    fields = Fields(json_object())
    code = fields.text("code", max_length=500)
    project_key = fields.text("project_key", max_length=64)
    trigger_query = fields.optional_text("trigger_query")
    fields.check("invalid invitation acceptance")
    tenant = current_tenant()
    connection = service.accept_invitation(tenant, code, project_key=project_key, trigger_query=trigger_query)
    return _json({"connection": _connection_body(connection, tenant)})


@api_bp.post("/connections/<int:connection_id>/invitation")
@context_request
def new_invitation(connection_id: int) -> Response:
    connection = _connection(connection_id)
    code = service.new_invitation(current_tenant(), connection)
    return _json({"invitation_code": code}, 201)


@api_bp.get("/connections/<int:connection_id>")
@context_request
def get_connection(connection_id: int) -> Response:
    from plugin.sync.queue import queue_counters

    connection = _connection(connection_id)
    body = _connection_body(connection, current_tenant())
    body["queue"] = queue_counters(connection.id)
    return _json({"connection": body})


@api_bp.patch("/connections/<int:connection_id>")
@context_request
def update_connection(connection_id: int) -> Response:
    tenant = current_tenant()
    connection = _connection(connection_id)
    fields = Fields(json_object())
    side_changes = fields.object("side", required=False)
    policy = fields.choice("delete_policy", tuple(p.value for p in DeletePolicy))
    position = fields.position()
    for key in sorted(set(fields.body) - {"side", "delete_policy", "position"}):
        fields.problem(key, "unknown field (known: side, delete_policy, position)")
    if side_changes is None and policy is None and not fields.problems:
        fields.problem("side", "nothing to change: send side settings or delete_policy")
    fields.check("invalid connection update")
    # Ownership first, so a refusal never leaves half an update behind.
    service.own_side(tenant, connection, position)
    if side_changes is not None:
        service.configure_side(tenant, connection, side_changes, position)
    if policy is not None:
        service.set_delete_policy(tenant, connection, policy)
    return _json({"connection": _connection_body(connection, tenant)})


@api_bp.delete("/connections/<int:connection_id>")
@context_request
def delete_connection(connection_id: int) -> Response:
    connection = _connection(connection_id)
    service.delete_connection(current_tenant(), connection)
    return Response(status=204)


@api_bp.post("/connections/<int:connection_id>/pause")
@context_request
def pause_connection(connection_id: int) -> Response:
    return _set_paused(connection_id, paused=True)


@api_bp.post("/connections/<int:connection_id>/resume")
@context_request
def resume_connection(connection_id: int) -> Response:
    return _set_paused(connection_id, paused=False)


def _set_paused(connection_id: int, *, paused: bool) -> Response:
    tenant = current_tenant()
    connection = service.set_paused(tenant, _connection(connection_id), paused)
    if not paused:
        _wake_dispatcher()
    return _json({"connection": _connection_body(connection, tenant)})


def _wake_dispatcher() -> None:
    # Work queued while paused should start now rather than at the next poll.
    from plugin.sync.dispatcher import dispatcher

    dispatcher(current_app._get_current_object()).notify()  # type: ignore[attr-defined]


# -- scripts ---------------------------------------------------------------------------------


@api_bp.get("/connections/<int:connection_id>/scripts")
@context_request
def list_scripts(connection_id: int) -> Response:
    from plugin.sync.scripts import effective_source

    tenant = current_tenant()
    connection = _connection(connection_id)
    position = query_position()
    side = service.own_side(tenant, connection, position)
    versions = service.script_versions(tenant, connection, side.position)
    active = {Direction.OUTGOING: side.outgoing_version_id, Direction.INCOMING: side.incoming_version_id}
    return _json(
        {
            "position": side.position,
            "mode": side.mode.value,
            "versions": [
                {
                    "direction": version.direction.value,
                    "number": version.number,
                    "source": version.source,
                    "mode": version.mode.value,
                    "author": version.author_account_id,
                    "created_at": version.created_at.isoformat() if version.created_at else None,
                    "active": active[version.direction] == version.id,
                }
                for version in versions
            ],
            "effective": {direction.value: effective_source(side, direction) for direction in Direction},
        }
    )


@api_bp.post("/connections/<int:connection_id>/scripts/<direction>")
@context_request
def publish_script(connection_id: int, direction: str) -> Response:
    script_direction = _direction(direction)
    tenant = current_tenant()
    connection = _connection(connection_id)
    fields = Fields(json_object())
    source = fields.source("source")
    position = fields.position()
    fields.check("invalid script")
    version = service.publish_script(
        tenant, connection, script_direction, source, author=current_caller().account_id, position=position
    )
    return _json({"version": {"direction": version.direction.value, "number": version.number}}, 201)


@api_bp.post("/connections/<int:connection_id>/scripts/<direction>/rollback")
@context_request
def rollback_script(connection_id: int, direction: str) -> Response:
    script_direction = _direction(direction)
    tenant = current_tenant()
    connection = _connection(connection_id)
    fields = Fields(json_object())
    number = fields.integer("number")
    position = fields.position()
    fields.check("invalid rollback")
    version = service.rollback_script(tenant, connection, script_direction, number, position)
    return _json({"version": {"direction": version.direction.value, "number": version.number}})


@api_bp.post("/connections/<int:connection_id>/scripts/<direction>/test")
@context_request
def test_script(connection_id: int, direction: str) -> Response:
    from plugin.sync.scripts import compile_errors, test_run

    script_direction = _direction(direction)
    tenant = current_tenant()
    connection = _connection(connection_id)
    fields = Fields(json_object())
    source = fields.source("source")
    issue_key = fields.text("issue_key", max_length=64)
    replica = fields.object("replica", required=False)
    position = fields.position()
    fields.check("invalid test run")
    side = service.own_side(tenant, connection, position)
    errors = compile_errors(source, script_direction)
    if errors:
        raise ValidationFailed("the script does not compile", details={"errors": errors})
    with _remote_errors():
        result = test_run(side, script_direction, source, issue_key, replica)
    return _json({"result": result})


# -- the sync queue --------------------------------------------------------------------------


def _job_states() -> list[JobState] | None:
    raw = request.args.get("state", "")
    names = [name.strip() for name in raw.split(",") if name.strip()]
    try:
        return [JobState(name) for name in names] or None
    except ValueError:
        known = ", ".join(state.value for state in JobState)
        raise ValidationFailed(
            "invalid query parameter", details={"state": f"one or more of {known}"}
        ) from None


@api_bp.get("/connections/<int:connection_id>/jobs")
@context_request
def list_jobs(connection_id: int) -> Response:
    from plugin.sync.queue import list_jobs as queued_jobs

    connection = _connection(connection_id)
    states = _job_states()
    limit = query_int("limit", default=100, maximum=500) or 100
    before = query_int("before", default=None)
    trigger = request.args.get("trigger") or None  # e.g. "migrate": the migration's report
    jobs = queued_jobs(connection.id, states=states, limit=limit, before_id=before, trigger=trigger)
    return _json({"jobs": [job.to_dict() for job in jobs]})


@api_bp.get("/connections/<int:connection_id>/queue")
@context_request
def queue(connection_id: int) -> Response:
    from plugin.sync.queue import queue_counters

    connection = _connection(connection_id)
    return _json({"queue": queue_counters(connection.id)})


def _job(job_id: int) -> SyncJob:
    job = db.session.get(SyncJob, job_id)
    if job is None:
        raise NotFound(f"job {job_id} not found")
    try:
        _connection(job.connection_id)
    except NotFound:
        raise NotFound(f"job {job_id} not found") from None  # same answer as a missing job
    return job


@api_bp.post("/jobs/<int:job_id>/retry")
@context_request
def retry_job(job_id: int) -> Response:
    from plugin.sync.queue import retry_job as retry

    job = _job(job_id)
    retry(job)
    _wake_dispatcher()
    return _json({"job": job.to_dict()})


@api_bp.post("/jobs/<int:job_id>/resolve")
@context_request
def resolve_job(job_id: int) -> Response:
    from plugin.sync.queue import resolve_job as resolve

    job = _job(job_id)
    resolve(job)
    return _json({"job": job.to_dict()})


# -- operations on issues --------------------------------------------------------------------


@api_bp.post("/connections/<int:connection_id>/sync")
@context_request
def sync_issue(connection_id: int) -> Response:
    from plugin.sync.operations import sync_now

    tenant = current_tenant()
    connection = _connection(connection_id)
    fields = Fields(json_object())
    issue_key = fields.text("issue_key", max_length=64)
    position = fields.position()
    fields.check("invalid sync request")
    # Only the tenant's own side: an admin may not read the other site's issues by key.
    side = service.own_side(tenant, connection, position)
    with _remote_errors():
        job = sync_now(connection, side.position, issue_key)
    return _json({"job": job.to_dict()}, 202)


@api_bp.post("/connections/<int:connection_id>/bulk")
@context_request
def bulk_connect(connection_id: int) -> Response:
    from plugin.sync.operations import bulk_connect as connect_all

    return _enqueue_by_query(connection_id, connect_all)


@api_bp.post("/connections/<int:connection_id>/migrate")
@context_request
def migrate(connection_id: int) -> Response:
    from plugin.sync.operations import migrate as migrate_all

    return _enqueue_by_query(connection_id, migrate_all, query_required=True)


def _enqueue_by_query(connection_id: int, operation: Any, *, query_required: bool = False) -> Response:
    tenant = current_tenant()
    connection = _connection(connection_id)
    fields = Fields(json_object())
    query = fields.text("query") if query_required else fields.optional_text("query")
    position = fields.position()
    fields.check("invalid request")
    side = service.own_side(tenant, connection, position)
    with _remote_errors():
        count = operation(connection, side.position, query)
    return _json({"enqueued": int(count)}, 202)


@api_bp.post("/connections/<int:connection_id>/link")
@context_request
def link_issues(connection_id: int) -> Response:
    from plugin.sync.operations import link_issues as link

    connection = _connection(connection_id)
    fields = Fields(json_object())
    a_key = fields.text("a_key", max_length=64)
    b_key = fields.text("b_key", max_length=64)
    fields.check("invalid link request")
    with _remote_errors():
        twin = link(connection, a_key, b_key)
    return _json({"twin": twin_to_dict(twin)}, 201)


# -- twins -----------------------------------------------------------------------------------


def twin_to_dict(twin: Twin, last_job: SyncJob | None = None) -> dict[str, Any]:
    return {
        "id": twin.id,
        "connection_id": twin.connection_id,
        "state": twin.state.value,
        "a_issue_key": twin.a_issue_key,
        "b_issue_key": twin.b_issue_key,
        "conflicts": list(twin.conflicts or []),
        "created_at": twin.created_at.isoformat() if twin.created_at else None,
        "updated_at": twin.updated_at.isoformat() if twin.updated_at else None,
        "last_job": last_job.to_dict() if last_job is not None else None,
    }


def last_jobs(twin_ids: list[int]) -> dict[int, SyncJob]:
    """The most recent job of each twin, in one query."""
    if not twin_ids:
        return {}
    newest = db.select(db.func.max(SyncJob.id)).where(SyncJob.twin_id.in_(twin_ids)).group_by(SyncJob.twin_id)
    jobs = db.session.execute(db.select(SyncJob).where(SyncJob.id.in_(newest))).scalars()
    return {job.twin_id: job for job in jobs if job.twin_id is not None}


def twins_of(connection: Connection, *, issue_key: str | None = None, limit: int = MAX_TWINS) -> list[Twin]:
    query = db.select(Twin).where(Twin.connection_id == connection.id)
    if issue_key:
        query = query.where((Twin.a_issue_key == issue_key) | (Twin.b_issue_key == issue_key))
    return list(db.session.execute(query.order_by(Twin.id.desc()).limit(limit)).scalars())


@api_bp.get("/connections/<int:connection_id>/twins")
@context_request
def list_twins(connection_id: int) -> Response:
    connection = _connection(connection_id)
    issue_key = request.args.get("issue") or None
    limit = query_int("limit", default=MAX_TWINS, maximum=MAX_TWINS) or MAX_TWINS
    twins = twins_of(connection, issue_key=issue_key, limit=limit)
    latest = last_jobs([twin.id for twin in twins])
    return _json({"twins": [twin_to_dict(twin, latest.get(twin.id)) for twin in twins]})


def _twin(twin_id: int) -> tuple[Connection, Twin]:
    twin = db.session.get(Twin, twin_id)
    if twin is None:
        raise NotFound(f"twin {twin_id} not found")
    try:
        connection = _connection(twin.connection_id)
    except NotFound:
        raise NotFound(f"twin {twin_id} not found") from None
    return connection, twin


@api_bp.post("/twins/<int:twin_id>/unlink")
@context_request
def unlink_twin(twin_id: int) -> Response:
    from plugin.sync.operations import unlink

    connection, twin = _twin(twin_id)
    unlink(connection, twin.id)
    return _json({"twin": twin_to_dict(twin)})


@api_bp.post("/twins/<int:twin_id>/resync")
@context_request
def resync_twin(twin_id: int) -> Response:
    from plugin.sync.operations import resync

    connection, twin = _twin(twin_id)
    fields = Fields(json_object())
    hard = fields.boolean("hard", default=False)
    fields.check("invalid resync request")
    job = resync(connection, twin.id, hard=hard)
    return _json({"job": job.to_dict()}, 202)
