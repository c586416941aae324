"""One sync job, step by step: fetch, outgoing, incoming, resolve, apply, record.

The job's ``step`` always names where it is, so a failure tells the admin where it stopped.
Errors are sorted by what happens next: retriable ones wait and retry, skippable ones end the
job quietly, fatal ones (and script errors) stop this twin's queue until an admin acts.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from connectors.base import Connector, FatalError, NotFoundError, RetriableError, SkippableError
from connectors.model import Issue
from plugin.extensions import db
from plugin.models.connection import Connection, DeletePolicy, Direction, Side
from plugin.models.sync import SyncJob, Twin, TwinState
from plugin.sync import queue
from plugin.sync.apply import Applier, WaitingForParent, state_of
from plugin.sync.connectors import connector_for, side_config
from plugin.sync.merge import normalize
from plugin.sync.scripts import connection_context, effective_source, run_script

log = logging.getLogger(__name__)

MANUAL_TRIGGERS = ("manual", "bulk", "migrate", "resync")


class ScriptFailed(Exception):
    """A user's script raised or broke a limit: the job fails with the script's line."""

    def __init__(self, direction: Direction, error: Any, replica: dict[str, Any] | None) -> None:
        super().__init__(error.message)
        self.direction = direction
        self.error = error
        self.replica = replica


@dataclass
class Job:
    """Everything one run of a job needs, loaded once."""

    record: SyncJob
    connection: Connection
    source: Side
    target: Side
    source_connector: Connector
    target_connector: Connector
    twin: Twin | None = None
    notes: list[str] = field(default_factory=list)
    replica: dict[str, Any] | None = None
    echo_fields: set[str] = field(default_factory=set)

    def step(self, name: str) -> None:
        self.record.step = name


def run_job(record: SyncJob) -> None:
    """Run a claimed job to its end state; never raises."""
    job: Job | None = None
    try:
        job = _load(record)
        outcome = _run(job)
        record.twin_id = job.twin.id if job.twin else record.twin_id
        queue.finish(record, outcome)
    except WaitingForParent as exc:
        _rollback(record)
        queue.retry_later(record, _error(record, str(exc)), retry_after=0.5, max_attempts=_max_attempts())
    except RetriableError as exc:
        _rollback(record)
        queue.retry_later(
            record, _error(record, str(exc)), retry_after=exc.retry_after, max_attempts=_max_attempts()
        )
    except SkippableError as exc:
        _rollback(record)
        queue.finish(record, f"skipped: {exc}")
    except ScriptFailed as exc:
        _rollback(record)
        queue.fail(record, _script_error(record, exc))
    except FatalError as exc:
        _rollback(record)
        queue.fail(record, _error(record, str(exc), replica=job.replica if job else None))
    except Exception:  # our bug: keep the worker alive, show the admin where it happened
        log.exception("sync job %s failed unexpectedly", record.id)
        _rollback(record)
        queue.fail(record, _error(record, "internal error; the server log has the details", kind="internal"))


def _rollback(record: SyncJob) -> None:
    """Undo the failed step's partial changes, but keep where the job stopped."""
    step = record.step
    db.session.rollback()
    record.step = step


def _max_attempts() -> int:
    return int(current_app.config["MAX_ATTEMPTS"])


def _error(
    record: SyncJob, message: str, *, kind: str = "connector", replica: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {"step": record.step, "kind": kind, "message": message, "replica": replica}


def _script_error(record: SyncJob, exc: ScriptFailed) -> dict[str, Any]:
    details: dict[str, Any] = exc.error.to_dict()
    return {**details, "step": record.step, "direction": exc.direction.value, "replica": exc.replica}


def _load(record: SyncJob) -> Job:
    connection = db.session.get(Connection, record.connection_id)
    if connection is None:
        raise SkippableError("connection deleted")
    source = connection.side(record.source)
    target = connection.other(source)
    return Job(record, connection, source, target, connector_for(source), connector_for(target))


def _run(job: Job) -> str:
    if not job.source.sends and job.record.trigger not in MANUAL_TRIGGERS:
        return "skipped: this side does not send its changes (one-way sync)"
    job.step("fetch")
    try:
        issue = job.source_connector.get_issue(job.record.issue_id)
    except NotFoundError:
        return _source_deleted(job)
    job.record.issue_key = issue.key
    job.twin = queue.twin_for_issue(job.connection.id, job.source.position, issue.id)
    if job.twin is not None and job.twin.state is TwinState.UNLINKED:
        return "skipped: the twins are unlinked"
    if job.twin is None and not _starts_sync(job, issue):
        return "skipped: not under sync (no trigger matches)"

    replica = _outgoing(job, issue)
    if replica is None:
        return "; ".join(job.notes) or "skipped by the outgoing script"
    job.replica = replica
    hard = bool(job.record.options.get("hard"))
    if job.twin is not None and not hard and job.twin.sent(job.source.position) == replica:
        return "no changes to send"
    if not job.target.receives:
        _remember_sent(job, replica)
        return "sent; the other side does not receive"
    # Our own write comes back here once; it runs the incoming side to refresh the merge base
    # (so a later change back to an earlier value is not mistaken for "no change"), and its
    # echoed fields are excluded from what may be written.
    job.echo_fields = set() if hard else _echo_fields(job, issue)
    outcome = _incoming_and_apply(job, issue, replica, hard=hard)
    if job.record.options.get("migrate") and job.twin is not None:
        job.twin.state = TwinState.UNLINKED  # migration: copy once, then let the two diverge
        db.session.commit()
        outcome += "; migrated and unlinked"
    return outcome


def _echo_fields(job: Job, issue: Issue) -> set[str]:
    """Fields of the source issue that still hold exactly what this engine last wrote there.

    Their values in the replica are our own echo, not the source side's change, so they must
    not overwrite anything on the other side (which may have moved on since).
    """
    if job.twin is None:
        return set()
    applied = job.twin.applied(job.source.position)
    if not applied:
        return set()
    current = state_of(issue)
    return {name for name, value in applied.items() if normalize(current.get(name)) == normalize(value)}


def _starts_sync(job: Job, issue: Issue) -> bool:
    """A new issue syncs when asked for explicitly, or when it matches the side's trigger."""
    if job.record.trigger in MANUAL_TRIGGERS:
        return True
    if job.source.project_key and issue.project != job.source.project_key:
        return False
    if not job.source.trigger_query:
        return True
    job.step("trigger")
    return job.source_connector.matches(job.source.trigger_query, issue)


def _outgoing(job: Job, issue: Issue) -> dict[str, Any] | None:
    job.step("outgoing")
    previous = job.twin.sent(job.source.position) if job.twin else None
    result = run_script(
        effective_source(job.source, Direction.OUTGOING),
        Direction.OUTGOING,
        issue=issue.to_dict(),
        replica=None,
        previous=previous,
        first_sync=job.twin is None,
        connection=connection_context(job.source),
    )
    if not result.ok:
        raise ScriptFailed(Direction.OUTGOING, result.error, None)
    if result.unlink and job.twin is not None:
        job.twin.state = TwinState.UNLINKED
        job.notes.append("unlinked by the outgoing script")
        return None
    if result.skip is not None:
        job.notes.append(f"skipped by the outgoing script: {result.skip}")
        return None
    replica: dict[str, Any] = dict(result.value)
    # Where it came from travels with the replica; the engine needs it, scripts may read it.
    replica["key"], replica["id"] = issue.key, issue.id
    return replica


def _incoming_and_apply(job: Job, issue: Issue, replica: dict[str, Any], *, hard: bool) -> str:
    position = job.target.position
    local = _local_twin_issue(job)
    first_sync = local is None
    job.step("incoming")
    blank = Issue(id="", key="", project=job.target.project_key or "", type="", summary="")
    previous = job.twin.sent(job.source.position) if job.twin else None
    result = run_script(
        effective_source(job.target, Direction.INCOMING),
        Direction.INCOMING,
        issue=(local or blank).to_dict(),
        replica=replica,
        previous=previous,
        first_sync=first_sync,
        connection=connection_context(job.target),
    )
    if not result.ok:
        raise ScriptFailed(Direction.INCOMING, result.error, replica)
    if result.unlink and job.twin is not None:
        job.twin.state = TwinState.UNLINKED
        db.session.commit()
        return "unlinked by the incoming script"
    if result.skip is not None:
        _remember_sent(job, replica)
        return f"skipped by the incoming script: {result.skip}"

    applier = Applier(
        connection=job.connection,
        source=job.source,
        target=job.target,
        source_connector=job.source_connector,
        target_connector=job.target_connector,
        can_impersonate="act_as" in side_config(job.target),
        max_attachment_bytes=int(current_app.config["MAX_ATTACHMENT_MB"]) * 1024 * 1024,
        set_step=job.step,
    )
    job.step("resolve")
    desired = applier.resolve(dict(result.value), local)
    job.step("apply")
    if first_sync:
        job.twin, summary = applier.create(job.twin, issue, desired)
    else:
        assert job.twin is not None and local is not None
        summary = applier.update(job.twin, issue, local, desired, hard=hard, echo_fields=job.echo_fields)
    job.step("record")
    job.twin.set_sent(job.source.position, replica)
    job.twin.set_applied(position, applier.applied_state(desired))
    job.record.writes = applier.writes
    db.session.commit()
    return summary


def _local_twin_issue(job: Job) -> Issue | None:
    if job.twin is None or job.twin.issue_id(job.target.position) is None:
        return None
    job.step("fetch-twin")
    twin_id = job.twin.issue_id(job.target.position)
    assert twin_id is not None
    try:
        return job.target_connector.get_issue(twin_id)
    except NotFoundError:
        job.twin.state = TwinState.UNLINKED
        db.session.commit()
        raise SkippableError(
            f"the twin {job.twin.issue_key(job.target.position)} was deleted; unlinked"
        ) from None


def _remember_sent(job: Job, replica: dict[str, Any]) -> None:
    if job.twin is not None:
        job.twin.set_sent(job.source.position, replica)
        db.session.commit()


def _source_deleted(job: Job) -> str:
    twin = queue.twin_for_issue(job.connection.id, job.source.position, job.record.issue_id)
    if twin is None or twin.state is TwinState.UNLINKED:
        return "skipped: the issue no longer exists"
    job.twin = twin
    policy = job.connection.delete_policy
    if policy is DeletePolicy.IGNORE:
        return "the issue was deleted; policy: ignore"
    target_id = twin.issue_id(job.target.position)
    if policy is DeletePolicy.DELETE_TWIN and target_id:
        job.step("delete-twin")
        with contextlib.suppress(NotFoundError):
            job.target_connector.delete_issue(target_id)
    twin.state = TwinState.UNLINKED
    db.session.commit()
    action = "deleted its twin" if policy is DeletePolicy.DELETE_TWIN else "unlinked"
    return f"the issue was deleted; {action} {twin.issue_key(job.target.position)}"
