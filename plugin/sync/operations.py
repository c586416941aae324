"""What an admin asks of a connection: sync now, bulk connect, link, unlink, resync, migrate."""

from __future__ import annotations

from flask import current_app

from plugin.errors import Conflict, NotFound, ValidationFailed
from plugin.extensions import db
from plugin.models.connection import Connection, ConnectionState
from plugin.models.sync import JobKind, SyncJob, Twin, TwinState
from plugin.sync import queue
from plugin.sync.connectors import connector_for
from plugin.sync.dispatcher import dispatcher
from plugin.sync.polling import side_query


def _require_active(connection: Connection) -> None:
    if connection.state is ConnectionState.PENDING:
        raise Conflict("the connection has not been accepted yet")


def _wake() -> None:
    dispatcher(current_app._get_current_object()).notify()  # type: ignore[attr-defined]


def sync_now(connection: Connection, side_position: str, issue_key: str) -> SyncJob:
    """Sync one issue now, whether or not it matches the trigger."""
    _require_active(connection)
    side = connection.side(side_position)
    issue = connector_for(side).get_issue(issue_key)
    job = queue.enqueue(connection.id, side.position, issue.id, issue_key=issue.key, trigger="manual")
    _wake()
    return job


def bulk_connect(connection: Connection, side_position: str, query: str | None = None) -> int:
    """Sync every existing issue matching ``query`` (default: the side's trigger); jobs enqueued."""
    _require_active(connection)
    side = connection.side(side_position)
    effective = query or side_query(side)
    if not effective:
        raise ValidationFailed("a query is required", details={"query": "required"})
    count = 0
    for issue in connector_for(side).iter_issues(effective):
        queue.enqueue(connection.id, side.position, issue.id, issue_key=issue.key, trigger="bulk")
        count += 1
    _wake()
    return count


def migrate(connection: Connection, side_position: str, query: str) -> int:
    """Copy once, then unlink: each job unlinks its twin after the copy."""
    _require_active(connection)
    side = connection.side(side_position)
    count = 0
    for issue in connector_for(side).iter_issues(query):
        queue.enqueue(
            connection.id,
            side.position,
            issue.id,
            issue_key=issue.key,
            trigger="migrate",
            options={"migrate": True},
        )
        count += 1
    _wake()
    return count


def link_issues(connection: Connection, a_key: str, b_key: str) -> Twin:
    """Pair two existing issues without copying; later changes sync as usual."""
    _require_active(connection)
    a_issue = connector_for(connection.side("a")).get_issue(a_key)
    b_issue = connector_for(connection.side("b")).get_issue(b_key)
    for position, issue in (("a", a_issue), ("b", b_issue)):
        existing = queue.twin_for_issue(connection.id, position, issue.id)
        if existing is not None and existing.state is TwinState.LINKED:
            raise Conflict(f"{issue.key} is already linked in this connection")
    twin = Twin(connection_id=connection.id, origin=f"link-{a_issue.id}-{b_issue.id}-{connection.id}")
    twin.set_issue("a", a_issue.id, a_issue.key)
    twin.set_issue("b", b_issue.id, b_issue.key)
    db.session.add(twin)
    db.session.commit()
    return twin


def _twin(connection: Connection, twin_id: int) -> Twin:
    twin = db.session.get(Twin, twin_id)
    if twin is None or twin.connection_id != connection.id:
        raise NotFound(f"twin {twin_id} not found")
    return twin


def unlink(connection: Connection, twin_id: int) -> None:
    """Stop syncing the pair; both issues stay."""
    twin = _twin(connection, twin_id)
    twin.state = TwinState.UNLINKED
    db.session.commit()


def resync(connection: Connection, twin_id: int, *, hard: bool) -> SyncJob:
    """Send side a's issue again: changed fields only, or (hard) every field."""
    _require_active(connection)
    twin = _twin(connection, twin_id)
    if twin.state is TwinState.UNLINKED:
        twin.state = TwinState.LINKED
        db.session.commit()
    issue_id = twin.a_issue_id or twin.b_issue_id
    position = "a" if twin.a_issue_id else "b"
    assert issue_id is not None
    job = queue.enqueue(
        connection.id,
        position,
        issue_id,
        issue_key=twin.issue_key(position),
        kind=JobKind.RESYNC,
        trigger="resync",
        options={"hard": hard},
        twin_id=twin.id,
    )
    _wake()
    return job
