from __future__ import annotations

import time
from collections import Counter

import pytest
import requests

from connectors.jira.simulator import JiraSimulator, Site

from .conftest import rest

NEW_ISSUE = {"fields": {"project": {"key": "SUP"}, "issuetype": {"name": "Task"}, "summary": "fault test"}}


def test_error_rate_uses_configured_statuses_and_never_half_applies(
    sim: JiraSimulator, acme: Site, http: requests.Session
) -> None:
    acme.configure(error_rate=1.0, error_statuses=(500, 503))
    statuses = Counter(http.post(rest(sim, "/issue"), json=NEW_ISSUE).status_code for _ in range(20))
    assert set(statuses) == {500, 503}
    assert acme.issues == {} and acme.stats.writes == 0 and acme.stats.creates == 0
    acme.reset_faults()
    assert http.post(rest(sim, "/issue"), json=NEW_ISSUE).status_code == 201


def test_429_carries_retry_after_and_reset(sim: JiraSimulator, acme: Site, http: requests.Session) -> None:
    acme.configure(error_rate=1.0, error_statuses=(429,), retry_after=0.05)
    response = http.get(rest(sim, "/myself"))
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "0.05"
    assert "X-RateLimit-Reset" in response.headers
    acme.configure(retry_after=1)
    assert http.get(rest(sim, "/myself")).headers["Retry-After"] == "1"


def test_rate_limit_per_second(sim: JiraSimulator, acme: Site, http: requests.Session) -> None:
    acme.configure(rate_limit_per_second=3)
    statuses = [http.get(rest(sim, "/myself")).status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]
    time.sleep(1.05)
    assert http.get(rest(sim, "/myself")).status_code == 200


def test_timeout_sleeps_then_503(sim: JiraSimulator, acme: Site, http: requests.Session) -> None:
    acme.configure(timeout_rate=1.0, timeout_seconds=0.3)
    started = time.monotonic()
    with pytest.raises(requests.Timeout):
        http.get(rest(sim, "/myself"), timeout=0.1)
    response = http.get(rest(sim, "/myself"), timeout=5)
    assert response.status_code == 503 and time.monotonic() - started >= 0.3


def test_reset_drops_connection_without_applying(
    sim: JiraSimulator, acme: Site, http: requests.Session
) -> None:
    acme.configure(reset_rate=1.0)
    with pytest.raises(requests.ConnectionError):
        http.post(rest(sim, "/issue"), json=NEW_ISSUE)
    assert acme.issues == {}


def test_lost_response_applies_the_write(sim: JiraSimulator, acme: Site, http: requests.Session) -> None:
    acme.configure(lost_response_rate=1.0)
    with pytest.raises(requests.ConnectionError):
        http.post(rest(sim, "/issue"), json=NEW_ISSUE)
    assert [issue.fields["summary"] for issue in acme.issues.values()] == ["fault test"]
    assert http.get(rest(sim, "/myself")).status_code == 200  # reads are never lost


def test_latency(sim: JiraSimulator, acme: Site, http: requests.Session) -> None:
    acme.configure(latency=0.2)
    started = time.monotonic()
    assert http.get(rest(sim, "/myself")).status_code == 200
    assert time.monotonic() - started >= 0.2


def test_unknown_knob_is_rejected(acme: Site) -> None:
    with pytest.raises(TypeError):
        acme.configure(nonsense=1)


def test_control_api(sim: JiraSimulator, acme: Site, http: requests.Session) -> None:
    sites = requests.get(f"{sim.url}/_sim/sites", timeout=5).json()
    assert [s["name"] for s in sites] == ["acme", "globex"]
    assert sites[0]["adminApiToken"] == acme.admin_api_token
    assert requests.post(
        f"{sim.url}/_sim/acme/configure", json={"error_rate": 1.0, "error_statuses": [502]}, timeout=5
    ).json() == {"ok": True}
    assert http.get(rest(sim, "/myself")).status_code == 502
    assert requests.post(f"{sim.url}/_sim/acme/configure", json={"bogus": 1}, timeout=5).status_code == 400
    stats = requests.get(f"{sim.url}/_sim/acme/stats", timeout=5).json()
    assert stats["calls"]["getCurrentUser"] == 1
    assert requests.get(f"{sim.url}/_sim/nowhere/stats", timeout=5).status_code == 404


def test_per_site_ports() -> None:
    with JiraSimulator(sites=("acme", "initech"), issues_per_project=2).start(per_site_ports=True) as sim:
        site = sim.site("initech")
        assert sim.base_url("initech") != f"{sim.url}/initech"
        assert sorted(site.projects) == ["INI", "OPS"]
        response = requests.get(
            f"{sim.base_url('initech')}/rest/api/3/search/jql",
            params={"jql": "project = INI", "fields": "summary"},
            auth=(site.admin_email, site.admin_api_token),
            timeout=5,
        )
        assert len(response.json()["issues"]) == 2


def test_control_api_install(sim: JiraSimulator, acme: Site) -> None:
    from .conftest import ConnectApp

    app = ConnectApp(sim.key_server_url).start()
    try:
        installed = requests.post(
            f"{sim.url}/_sim/acme/install", json={"descriptor_url": app.descriptor_url}, timeout=10
        )
        assert installed.status_code == 200
        assert installed.json() == {"clientKey": app.installs[0]["clientKey"], "key": "tandem-test"}
        app.lifecycle_status = 500
        refused = requests.post(
            f"{sim.url}/_sim/acme/install", json={"descriptor_url": app.descriptor_url}, timeout=10
        )
        assert refused.status_code == 502
    finally:
        app.stop()
