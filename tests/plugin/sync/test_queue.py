from __future__ import annotations

from datetime import timedelta

from plugin.extensions import db
from plugin.models.connection import Connection, ConnectionState
from plugin.models.sync import JobState
from plugin.sync import queue
from plugin.sync.clock import utcnow


def test_waiting_duplicate_is_not_enqueued_twice(connection: Connection) -> None:
    first = queue.enqueue(connection.id, "a", "100")
    second = queue.enqueue(connection.id, "a", "100")
    other = queue.enqueue(connection.id, "b", "100")
    assert first.id == second.id
    assert other.id != first.id


def test_one_lease_per_connection(connection: Connection) -> None:
    queue.enqueue(connection.id, "a", "1")
    assert queue.connections_with_due_jobs() == [connection.id]
    assert queue.take_lease(connection.id, "w1")
    assert not queue.take_lease(connection.id, "w2")
    assert queue.connections_with_due_jobs() == []
    queue.release_lease(connection.id, "w1")
    assert queue.take_lease(connection.id, "w2")


def test_expired_lease_can_be_taken_over(connection: Connection) -> None:
    assert queue.take_lease(connection.id, "dead-worker")
    connection.lease_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert queue.take_lease(connection.id, "w2")


def test_claims_oldest_first_and_counts_attempts(connection: Connection) -> None:
    first = queue.enqueue(connection.id, "a", "1")
    queue.enqueue(connection.id, "a", "2")
    job = queue.claim_next(connection.id)
    assert job is not None and job.id == first.id
    assert job.state is JobState.RUNNING and job.attempts == 1


def test_failed_job_blocks_only_its_own_issue(connection: Connection) -> None:
    broken = queue.enqueue(connection.id, "a", "1")
    claimed = queue.claim_next(connection.id)
    assert claimed is not None and claimed.id == broken.id
    queue.fail(claimed, {"step": "outgoing", "message": "boom"})
    later_same = queue.enqueue(connection.id, "a", "1")
    other = queue.enqueue(connection.id, "a", "2")
    nxt = queue.claim_next(connection.id)
    assert nxt is not None and nxt.id == other.id
    assert queue.claim_next(connection.id) is None
    queue.resolve_job(claimed)
    unblocked = queue.claim_next(connection.id)
    assert unblocked is not None and unblocked.id == later_same.id


def test_retry_later_backs_off_then_gives_up(connection: Connection) -> None:
    queue.enqueue(connection.id, "a", "1")
    job = queue.claim_next(connection.id)
    assert job is not None
    queue.retry_later(job, {"message": "429"}, retry_after=30, max_attempts=3)
    assert job.state is JobState.QUEUED
    assert queue.claim_next(connection.id) is None  # not due yet
    job.next_attempt_at = utcnow()
    db.session.commit()
    job = queue.claim_next(connection.id)
    assert job is not None and job.attempts == 2
    job.attempts = 3
    queue.retry_later(job, {"message": "503"}, retry_after=None, max_attempts=3)
    assert job.state is JobState.FAILED
    assert "gave up after 3 attempts" in (job.outcome or "")


def test_paused_connection_is_not_worked(connection: Connection) -> None:
    queue.enqueue(connection.id, "a", "1")
    connection.state = ConnectionState.PAUSED
    db.session.commit()
    assert queue.connections_with_due_jobs() == []


def test_counters_and_manual_retry(connection: Connection) -> None:
    queue.enqueue(connection.id, "a", "1")
    job = queue.claim_next(connection.id)
    assert job is not None
    queue.fail(job, {"message": "x"})
    assert queue.queue_counters(connection.id)["failed"] == 1
    queue.retry_job(job)
    counters = queue.queue_counters(connection.id)
    assert counters["failed"] == 0 and counters["queued"] == 1


def test_backoff_grows_and_is_capped() -> None:
    assert queue.backoff_seconds(1) <= 1.0
    assert 4.0 <= queue.backoff_seconds(4) <= 8.0
    assert queue.backoff_seconds(50) <= queue.BACKOFF_CAP_SECONDS
