"""The sync queue and the twins of a connection, as the admin page shows and acts on them."""

from __future__ import annotations

from flask import Flask

from plugin.extensions import db
from plugin.models.sync import JobKind, JobState, SyncJob, Twin, TwinState
from tests.plugin.admin.conftest import Site, add_job, add_twin, job_state


def test_jobs_listing_filters_and_pages(app: Flask, acme: Site, linked: int) -> None:
    done = add_job(app, linked, JobState.DONE, issue_key="SUP-1")
    failed = add_job(app, linked, JobState.FAILED, issue_key="SUP-2")
    queued = add_job(app, linked, JobState.QUEUED, issue_key="SUP-3")

    jobs = acme.ok("GET", f"/connections/{linked}/jobs")["jobs"]
    assert [j["id"] for j in jobs] == [queued, failed, done]  # newest first
    failed_job = jobs[1]
    assert failed_job["issue_key"] == "SUP-2"
    assert failed_job["error"]["line"] == 2
    assert failed_job["attempts"] == 3

    only_failed = acme.ok("GET", f"/connections/{linked}/jobs?state=failed")["jobs"]
    assert [j["id"] for j in only_failed] == [failed]
    several = acme.ok("GET", f"/connections/{linked}/jobs?state=failed,done")["jobs"]
    assert [j["id"] for j in several] == [failed, done]
    page = acme.ok("GET", f"/connections/{linked}/jobs?limit=1&before={queued}")["jobs"]
    assert [j["id"] for j in page] == [failed]


def test_queue_counters_count_by_state(app: Flask, acme: Site, linked: int) -> None:
    add_job(app, linked, JobState.FAILED)
    add_job(app, linked, JobState.FAILED, issue_key="SUP-9")
    add_job(app, linked, JobState.QUEUED)
    counters = acme.ok("GET", f"/connections/{linked}/queue")["queue"]
    assert (counters["failed"], counters["queued"], counters["running"]) == (2, 1, 0)
    listed = acme.ok("GET", "/connections")["connections"][0]["queue"]
    assert listed == counters


def test_retry_and_resolve_a_failed_job(app: Flask, acme: Site, globex: Site, linked: int) -> None:
    to_retry = add_job(app, linked, JobState.FAILED)
    to_resolve = add_job(app, linked, JobState.FAILED, issue_key="SUP-7")
    retried = acme.ok("POST", f"/jobs/{to_retry}/retry")["job"]
    assert (retried["state"], retried["attempts"]) == ("queued", 0)
    # Either party to the connection may act on its queue.
    assert globex.ok("POST", f"/jobs/{to_resolve}/resolve")["job"]["state"] == "resolved"
    assert job_state(app, to_retry) is JobState.QUEUED
    assert job_state(app, to_resolve) is JobState.RESOLVED


def test_only_failed_jobs_can_be_retried_or_resolved(app: Flask, acme: Site, linked: int) -> None:
    done = add_job(app, linked, JobState.DONE)
    assert acme.api("POST", f"/jobs/{done}/retry").status_code == 409
    assert acme.api("POST", f"/jobs/{done}/resolve").status_code == 409
    assert job_state(app, done) is JobState.DONE


def test_missing_job_is_404(acme: Site) -> None:
    assert acme.api("POST", "/jobs/424242/retry").status_code == 404


def test_twins_list_with_keys_conflicts_and_last_job(app: Flask, acme: Site, linked: int) -> None:
    first = add_twin(app, linked, "SUP-1", "DEV-1")
    second = add_twin(app, linked, "SUP-2", "DEV-2")
    add_job(app, linked, JobState.DONE, twin_id=second)
    latest = add_job(app, linked, JobState.FAILED, twin_id=second)

    twins = acme.ok("GET", f"/connections/{linked}/twins")["twins"]
    assert [(t["id"], t["a_issue_key"], t["b_issue_key"]) for t in twins] == [
        (second, "SUP-2", "DEV-2"),
        (first, "SUP-1", "DEV-1"),
    ]
    assert twins[0]["conflicts"] == [{"field": "summary", "winner": "b"}]
    assert twins[0]["last_job"]["id"] == latest
    assert twins[1]["last_job"] is None

    by_issue = acme.ok("GET", f"/connections/{linked}/twins?issue=DEV-1")["twins"]
    assert [t["id"] for t in by_issue] == [first]


def test_unlink_keeps_both_issues_and_stops_the_twin(app: Flask, acme: Site, linked: int) -> None:
    twin_id = add_twin(app, linked)
    body = acme.ok("POST", f"/twins/{twin_id}/unlink")
    assert body["twin"]["state"] == "unlinked"
    with app.app_context():
        twin = db.session.get(Twin, twin_id)
        assert twin is not None and twin.state is TwinState.UNLINKED
        assert (twin.a_issue_key, twin.b_issue_key) == ("SUP-1", "DEV-1")
        db.session.remove()


def test_resync_enqueues_a_resync_job(app: Flask, globex: Site, linked: int) -> None:
    twin_id = add_twin(app, linked)
    job = globex.ok("POST", f"/twins/{twin_id}/resync", {"hard": True}, 202)["job"]
    assert (job["kind"], job["twin_id"], job["state"]) == ("resync", twin_id, "queued")
    with app.app_context():
        stored = db.session.get(SyncJob, job["id"])
        assert stored is not None
        assert stored.kind is JobKind.RESYNC
        assert stored.options == {"hard": True}
        db.session.remove()


def test_resync_validates_hard(app: Flask, acme: Site, linked: int) -> None:
    twin_id = add_twin(app, linked)
    response = acme.api("POST", f"/twins/{twin_id}/resync", {"hard": "yes"})
    assert response.status_code == 422
    assert response.get_json()["error"]["details"] == {"hard": "true or false"}


def test_operations_on_a_pending_connection_conflict(acme: Site) -> None:
    connection_id = acme.ok("POST", "/connections", {"name": "p", "project_key": "P"}, 201)["connection"][
        "id"
    ]
    response = acme.api("POST", f"/connections/{connection_id}/bulk", {"query": "project = P"})
    assert response.status_code == 409
