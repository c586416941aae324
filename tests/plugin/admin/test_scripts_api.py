"""Publishing, listing, rolling back and (the validation side of) test-running scripts."""

from __future__ import annotations

from flask import Flask

from plugin.sync import rules
from tests.plugin.admin.conftest import Site

GOOD = "replica.summary = issue.summary\n"
BETTER = "replica.summary = issue.summary\nreplica.labels = issue.labels\n"
BROKEN = "replica.summary = issue.summary\nreplica.labels = (\n"


def test_publish_then_list_versions(acme: Site, linked: int) -> None:
    first = acme.ok("POST", f"/connections/{linked}/scripts/outgoing", {"source": GOOD}, 201)
    second = acme.ok("POST", f"/connections/{linked}/scripts/outgoing", {"source": BETTER}, 201)
    assert (first["version"]["number"], second["version"]["number"]) == (1, 2)

    listing = acme.ok("GET", f"/connections/{linked}/scripts")
    assert listing["position"] == "a"
    assert listing["mode"] == "script"
    assert [(v["direction"], v["number"], v["active"], v["author"]) for v in listing["versions"]] == [
        ("outgoing", 1, False, "admin-user"),
        ("outgoing", 2, True, "admin-user"),
    ]
    assert listing["effective"]["outgoing"] == BETTER
    assert listing["effective"]["incoming"] == rules.BASIC_INCOMING


def test_effective_source_of_a_basic_side_is_the_basic_script(globex: Site, linked: int) -> None:
    listing = globex.ok("GET", f"/connections/{linked}/scripts")
    assert listing["position"] == "b"
    assert listing["versions"] == []
    assert listing["effective"] == {"outgoing": rules.BASIC_OUTGOING, "incoming": rules.BASIC_INCOMING}


def test_compile_errors_are_422_with_line_and_column(acme: Site, linked: int) -> None:
    response = acme.api("POST", f"/connections/{linked}/scripts/outgoing", {"source": BROKEN})
    assert response.status_code == 422
    (error,) = response.get_json()["error"]["details"]["errors"]
    assert error["line"] == 2
    assert isinstance(error["column"], int)
    assert error["message"]
    assert acme.ok("GET", f"/connections/{linked}/scripts")["versions"] == []


def test_rollback_activates_an_older_version(acme: Site, linked: int) -> None:
    acme.ok(
        "POST",
        f"/connections/{linked}/scripts/incoming",
        {"source": "issue.summary = replica.summary\n"},
        201,
    )
    acme.ok(
        "POST", f"/connections/{linked}/scripts/incoming", {"source": "issue.labels = replica.labels\n"}, 201
    )
    body = acme.ok("POST", f"/connections/{linked}/scripts/incoming/rollback", {"number": 1})
    assert body["version"] == {"direction": "incoming", "number": 1}
    listing = acme.ok("GET", f"/connections/{linked}/scripts")
    assert listing["effective"]["incoming"] == "issue.summary = replica.summary\n"
    assert [v["active"] for v in listing["versions"]] == [True, False]
    connection = acme.ok("GET", f"/connections/{linked}")["connection"]
    assert connection["sides"][0]["incoming_version"] == 1


def test_rollback_to_a_missing_version_is_404(acme: Site, linked: int) -> None:
    assert (
        acme.api("POST", f"/connections/{linked}/scripts/outgoing/rollback", {"number": 7}).status_code == 404
    )


def test_unknown_direction_is_404(acme: Site, linked: int) -> None:
    response = acme.api("POST", f"/connections/{linked}/scripts/sideways", {"source": GOOD})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_test_run_reports_compile_errors_before_running(acme: Site, linked: int) -> None:
    response = acme.api(
        "POST", f"/connections/{linked}/scripts/outgoing/test", {"source": BROKEN, "issue_key": "SUP-1"}
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["details"]["errors"][0]["line"] == 2


def test_test_run_validates_its_body(acme: Site, linked: int) -> None:
    response = acme.api("POST", f"/connections/{linked}/scripts/incoming/test", {"source": 5, "replica": []})
    assert response.status_code == 422
    assert set(response.get_json()["error"]["details"]) == {"source", "issue_key", "replica"}


def test_publishing_on_a_side_a_connector_connection_picks_by_position(acme: Site, app: Flask) -> None:
    remote = {
        "name": "partner",
        "project_key": "SUP",
        "remote": {
            "config": {
                "base_url": "https://partner.atlassian.net",
                "auth": {"type": "basic", "email": "e@partner.test", "api_token": "t"},
            },
            "project_key": "PAR",
        },
    }
    connection_id = acme.ok("POST", "/connections/remote", remote, 201)["connection"]["id"]
    acme.ok("POST", f"/connections/{connection_id}/scripts/outgoing", {"source": GOOD, "position": "b"}, 201)
    assert acme.ok("GET", f"/connections/{connection_id}/scripts?position=b")["versions"][0]["number"] == 1
    assert acme.ok("GET", f"/connections/{connection_id}/scripts?position=a")["versions"] == []
    bad = acme.api("GET", f"/connections/{connection_id}/scripts?position=c")
    assert bad.status_code == 422
