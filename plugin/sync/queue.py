"""The durable sync queue: enqueue, lease a connection, claim a job, finish it.

Ordering: one worker at a time holds a connection's lease (a compare-and-set on the
connection row, so it holds across threads and machines), and takes that connection's jobs
oldest first. A failed job blocks only the later jobs of the same issue or twin; everything
else keeps flowing.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, or_, update

from plugin.errors import Conflict
from plugin.extensions import db
from plugin.models.connection import Connection, ConnectionState
from plugin.models.sync import JobKind, JobState, SyncJob, Twin
from plugin.sync.clock import as_utc, utcnow

LEASE_SECONDS = 120
BACKOFF_BASE_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 300.0
PENDING = (JobState.QUEUED, JobState.RUNNING)


def enqueue(
    connection_id: int,
    source: str,
    issue_id: str,
    *,
    issue_key: str | None = None,
    kind: JobKind = JobKind.SYNC,
    trigger: str = "webhook",
    options: dict[str, Any] | None = None,
    twin_id: int | None = None,
) -> SyncJob:
    """A job for this issue, unless an identical one is already waiting (it reads fresh state)."""
    waiting: SyncJob | None = db.session.execute(
        db.select(SyncJob).where(
            SyncJob.connection_id == connection_id,
            SyncJob.source == source,
            SyncJob.issue_id == issue_id,
            SyncJob.kind == kind,
            SyncJob.state == JobState.QUEUED,
            SyncJob.attempts == 0,
        )
    ).scalar_one_or_none()
    if waiting is not None and not options:
        return waiting
    job = SyncJob(
        connection_id=connection_id,
        source=source,
        issue_id=issue_id,
        issue_key=issue_key,
        kind=kind,
        trigger=trigger,
        options=options or {},
        twin_id=twin_id,
        next_attempt_at=utcnow(),
    )
    db.session.add(job)
    db.session.commit()
    return job


# -- leases ----------------------------------------------------------------------------------


def connections_with_due_jobs(limit: int = 50) -> list[int]:
    now = utcnow()
    query = (
        db.select(SyncJob.connection_id)
        .join(Connection, Connection.id == SyncJob.connection_id)
        .where(
            SyncJob.state == JobState.QUEUED,
            SyncJob.next_attempt_at <= now,
            Connection.state == ConnectionState.ACTIVE,
            or_(Connection.lease_until.is_(None), Connection.lease_until < now),
        )
        .group_by(SyncJob.connection_id)
        .order_by(db.func.min(SyncJob.id))
        .limit(limit)
    )
    return list(db.session.execute(query).scalars())


def take_lease(connection_id: int, worker: str) -> bool:
    now = utcnow()
    result = db.session.execute(
        update(Connection)
        .where(
            Connection.id == connection_id,
            or_(Connection.lease_until.is_(None), Connection.lease_until < now),
        )
        .values(lease_owner=worker, lease_until=now + timedelta(seconds=LEASE_SECONDS))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def release_lease(connection_id: int, worker: str) -> None:
    db.session.execute(
        update(Connection)
        .where(Connection.id == connection_id, Connection.lease_owner == worker)
        .values(lease_owner=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


# -- claiming --------------------------------------------------------------------------------


def claim_next(connection_id: int) -> SyncJob | None:
    """The oldest due job of the (leased) connection that no failed job blocks."""
    now = utcnow()
    candidates = db.session.execute(
        db.select(SyncJob)
        .where(
            SyncJob.connection_id == connection_id,
            SyncJob.state == JobState.QUEUED,
            SyncJob.next_attempt_at <= now,
        )
        .order_by(SyncJob.id)
        .limit(20)
    ).scalars()
    job: SyncJob
    for job in candidates:
        if _blocked(job):
            continue
        job.state = JobState.RUNNING
        job.started_at = now
        job.attempts += 1
        db.session.commit()
        return job
    return None


def _blocked(job: SyncJob) -> bool:
    same_issue = and_(SyncJob.source == job.source, SyncJob.issue_id == job.issue_id)
    same_twin = SyncJob.twin_id == job.twin_id if job.twin_id is not None else same_issue
    failed = db.session.execute(
        db.select(SyncJob.id)
        .where(
            SyncJob.connection_id == job.connection_id,
            SyncJob.state == JobState.FAILED,
            SyncJob.id < job.id,
            or_(same_issue, same_twin),
        )
        .limit(1)
    ).first()
    return failed is not None


# -- finishing -------------------------------------------------------------------------------


def _close(job: SyncJob, state: JobState, outcome: str | None) -> None:
    job.state = state
    job.outcome = outcome
    job.finished_at = utcnow()
    started = as_utc(job.started_at)
    if started is not None:
        job.duration_ms = (job.finished_at - started).total_seconds() * 1000
    db.session.commit()


def finish(job: SyncJob, outcome: str) -> None:
    job.error = None
    _close(job, JobState.DONE, outcome)


def fail(job: SyncJob, error: dict[str, Any]) -> None:
    job.error = error
    _close(job, JobState.FAILED, error.get("message"))


def retry_later(job: SyncJob, error: dict[str, Any], *, retry_after: float | None, max_attempts: int) -> None:
    if job.attempts >= max_attempts:
        fail(job, {**error, "message": f"{error.get('message')} (gave up after {job.attempts} attempts)"})
        return
    delay = backoff_seconds(job.attempts)
    if retry_after is not None:
        delay = max(delay, retry_after)
    job.state = JobState.QUEUED
    job.error = error
    job.next_attempt_at = utcnow() + timedelta(seconds=delay)
    db.session.commit()


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with full jitter, capped."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * (2 ** max(0, attempts - 1)))
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not security


def recover_stale_running(older_than_seconds: float = LEASE_SECONDS) -> int:
    """Jobs left RUNNING by a worker that died go back to the queue (their writes are idempotent)."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    result = db.session.execute(
        update(SyncJob)
        .where(SyncJob.state == JobState.RUNNING, SyncJob.started_at < cutoff)
        .values(state=JobState.QUEUED, next_attempt_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]


# -- what admins do with the queue -----------------------------------------------------------


def list_jobs(
    connection_id: int,
    *,
    states: list[JobState] | None = None,
    limit: int = 100,
    before_id: int | None = None,
    trigger: str | None = None,
) -> list[SyncJob]:
    query = db.select(SyncJob).where(SyncJob.connection_id == connection_id)
    if trigger:
        query = query.where(SyncJob.trigger == trigger)
    if states:
        query = query.where(SyncJob.state.in_(states))
    if before_id is not None:
        query = query.where(SyncJob.id < before_id)
    return list(
        db.session.execute(query.order_by(SyncJob.id.desc()).limit(max(1, min(limit, 500)))).scalars()
    )


def queue_counters(connection_id: int) -> dict[str, int]:
    rows = db.session.execute(
        db.select(SyncJob.state, db.func.count())
        .where(SyncJob.connection_id == connection_id)
        .group_by(SyncJob.state)
    ).all()
    counters = {state.value: 0 for state in JobState}
    counters.update({state.value: count for state, count in rows})
    return counters


def retry_job(job: SyncJob) -> None:
    if job.state is not JobState.FAILED:
        raise Conflict(f"job {job.id} is {job.state.value}, only failed jobs can be retried")
    job.state = JobState.QUEUED
    job.attempts = 0
    job.next_attempt_at = utcnow()
    db.session.commit()


def resolve_job(job: SyncJob) -> None:
    """Dismiss a failed job: the issue's later jobs run again."""
    if job.state is not JobState.FAILED:
        raise Conflict(f"job {job.id} is {job.state.value}, only failed jobs can be resolved")
    job.state = JobState.RESOLVED
    db.session.commit()


def twin_for_issue(connection_id: int, position: str, issue_id: str) -> Twin | None:
    column = Twin.a_issue_id if position == "a" else Twin.b_issue_id
    return db.session.execute(
        db.select(Twin).where(Twin.connection_id == connection_id, column == issue_id)
    ).scalar_one_or_none()
