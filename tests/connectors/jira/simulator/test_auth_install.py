from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
import requests

from connectors.jira.connect_jwt import encode_token
from connectors.jira.simulator import InstallError, JiraSimulator, Site

from .conftest import ConnectApp, adf, rest

OAUTH_AUDIENCE = "https://oauth-2-authorization-server.services.atlassian.com"


def jwt_get(
    sim: JiraSimulator,
    install: dict[str, Any],
    path: str,
    *,
    secret: str | None = None,
    qsh_path: str | None = None,
    issuer: str = "tandem-test",
) -> requests.Response:
    url = rest(sim, path)
    token = encode_token(
        issuer=issuer,
        secret=secret or install["sharedSecret"],
        method="GET",
        url=rest(sim, qsh_path) if qsh_path else url,
        base_url=sim.base_url("acme"),
    )
    return requests.get(url, headers={"Authorization": f"JWT {token}"}, timeout=5)


def test_basic_auth_failures(sim: JiraSimulator, acme: Site) -> None:
    assert requests.get(rest(sim, "/myself"), timeout=5).status_code == 401
    wrong = requests.get(rest(sim, "/myself"), auth=(acme.admin_email, "nope"), timeout=5)
    assert wrong.status_code == 401
    assert wrong.json()["errorMessages"]
    other_site = sim.site("globex")
    cross = requests.get(
        rest(sim, "/myself"), auth=(other_site.admin_email, other_site.admin_api_token), timeout=5
    )
    assert cross.status_code == 401
    assert requests.get(rest(sim, "/serverInfo"), timeout=5).json()["deploymentType"] == "Cloud"


def test_install_signed_with_rs256_and_jwt_calls(
    sim: JiraSimulator, acme: Site, connect_app: ConnectApp
) -> None:
    install = sim.install_app("acme", connect_app.descriptor_url)
    assert connect_app.rejected == []
    assert connect_app.installs == [install]
    assert install["baseUrl"] == sim.base_url("acme")
    assert install["clientKey"].startswith("jira:") and len(install["sharedSecret"]) >= 32
    claims = connect_app.install_claims[0]
    assert claims["iss"] == install["clientKey"] and claims["aud"] == connect_app.base_url
    assert requests.get(f"{sim.key_server_url}/unknown-kid", timeout=5).status_code == 404

    me = jwt_get(sim, install, "/myself")
    assert me.status_code == 200
    assert me.json()["accountType"] == "app"
    # The qsh binds the token to one request; a token for another path is refused.
    assert jwt_get(sim, install, "/myself", qsh_path="/project").status_code == 401
    assert jwt_get(sim, install, "/myself", secret="x" * 40).status_code == 401
    assert jwt_get(sim, install, "/myself", issuer="someone-else").status_code == 401

    # Reinstall keeps the secret unless asked to rotate it; the clientKey is stable.
    again = sim.install_app("acme", connect_app.descriptor_url)
    assert again["sharedSecret"] == install["sharedSecret"] and again["clientKey"] == install["clientKey"]
    rotated = sim.install_app("acme", connect_app.descriptor_url, rotate_secret=True)
    assert rotated["sharedSecret"] != install["sharedSecret"]
    assert jwt_get(sim, install, "/myself").status_code == 401

    sim.uninstall_app("acme", "tandem-test")
    assert connect_app.uninstalls[0]["eventType"] == "uninstalled"
    assert jwt_get(sim, rotated, "/myself").status_code == 401


def test_install_failure_raises(sim: JiraSimulator, connect_app: ConnectApp) -> None:
    connect_app.lifecycle_status = 500
    with pytest.raises(InstallError) as info:
        sim.install_app("acme", connect_app.descriptor_url)
    assert info.value.status == 500
    assert sim.site("acme").installations == {}


def test_read_only_app_cannot_write(sim: JiraSimulator, connect_app: ConnectApp) -> None:
    connect_app.scopes = ["READ"]
    install = sim.install_app("acme", connect_app.descriptor_url)
    url = rest(sim, "/issue")
    token = encode_token(
        issuer="tandem-test",
        secret=install["sharedSecret"],
        method="POST",
        url=url,
        base_url=sim.base_url("acme"),
    )
    body = {"fields": {"project": {"key": "SUP"}, "issuetype": {"name": "Task"}, "summary": "x"}}
    response = requests.post(url, json=body, headers={"Authorization": f"JWT {token}"}, timeout=5)
    assert response.status_code == 403


def test_webhooks_signed_filtered_and_retried(
    sim: JiraSimulator, acme: Site, connect_app: ConnectApp
) -> None:
    connect_app.webhook_filter = "project = SUP"
    acme.configure(webhook_retry_backoff=0.01)
    sim.install_app("acme", connect_app.descriptor_url)
    issue = acme.create_issue_as("admin-acme", {"project": "SUP", "summary": "hello"})
    other = acme.create_issue_as("admin-acme", {"project": "OPS", "summary": "elsewhere"})
    assert sim.wait_for_webhooks(timeout=5)
    connect_app.fail_webhooks = 2
    acme.update_issue_as("admin-acme", issue.key, {"summary": "changed"})
    acme.update_issue_as("admin-acme", other.key, {"summary": "filtered out"})
    acme.add_comment_as("admin-acme", issue.key, "a comment")
    assert sim.wait_for_webhooks(timeout=5)
    assert connect_app.rejected == []
    events = [(w["webhookEvent"], w["issue"]["key"]) for w in connect_app.webhooks]
    assert events == [
        ("jira:issue_created", issue.key),
        ("jira:issue_created", other.key),
        ("jira:issue_updated", issue.key),
        ("comment_created", issue.key),
        ("jira:issue_updated", issue.key),
    ]
    assert connect_app.webhooks[4]["issue_event_type_name"] == "issue_commented"
    assert "changelog" not in connect_app.webhooks[4]
    updated = connect_app.webhooks[2]
    assert updated["changelog"]["items"][0]["fromString"] == "hello"
    assert updated["changelog"]["items"][0]["toString"] == "changed"
    assert updated["user"]["accountId"] == "admin-acme"
    retries = [h.get("X-Atlassian-Webhook-Retry") for h in connect_app.webhook_headers]
    assert retries[2:5] == [None, "1", "2"]
    identifiers = {h["X-Atlassian-Webhook-Identifier"] for h in connect_app.webhook_headers[2:5]}
    assert len(identifiers) == 1
    assert connect_app.webhooks[3]["comment"]["body"]["type"] == "doc"
    assert acme.stats.webhooks_delivered == 5 and acme.stats.webhooks_retried == 2


def test_webhook_drop_rate(sim: JiraSimulator, acme: Site, connect_app: ConnectApp) -> None:
    sim.install_app("acme", connect_app.descriptor_url)
    acme.configure(webhook_drop_rate=1.0)
    acme.create_issue_as("admin-acme", {"project": "SUP", "summary": "lost"})
    assert sim.wait_for_webhooks(timeout=5)
    assert connect_app.webhooks == [] and acme.stats.webhooks_dropped == 1


def test_rest_changes_by_the_app_are_delivered_too(
    sim: JiraSimulator, acme: Site, connect_app: ConnectApp
) -> None:
    install = sim.install_app("acme", connect_app.descriptor_url)
    url = rest(sim, "/issue")
    token = encode_token(
        issuer="tandem-test",
        secret=install["sharedSecret"],
        method="POST",
        url=url,
        base_url=sim.base_url("acme"),
    )
    body = {
        "fields": {
            "project": {"key": "SUP"},
            "issuetype": {"name": "Task"},
            "summary": "by app",
            "description": adf("x"),
        }
    }
    assert (
        requests.post(url, json=body, headers={"Authorization": f"JWT {token}"}, timeout=5).status_code == 201
    )
    assert sim.wait_for_webhooks(timeout=5)
    assert connect_app.webhooks[0]["user"]["accountType"] == "app"


def act_as_assertion(
    sim: JiraSimulator, install: dict[str, Any], account_id: str, secret: str | None = None
) -> str:
    now = int(time.time())
    claims = {
        "iss": f"urn:atlassian:connect:clientid:{install['oauthClientId']}",
        "sub": f"urn:atlassian:connect:useraccountid:{account_id}",
        "tnt": sim.base_url("acme"),
        "aud": OAUTH_AUDIENCE,
        "iat": now,
        "exp": now + 60,
    }
    return jwt.encode(claims, secret or install["sharedSecret"], algorithm="HS256")


def test_act_as_user_grant(sim: JiraSimulator, acme: Site, connect_app: ConnectApp) -> None:
    install = sim.install_app("acme", connect_app.descriptor_url)
    alice = acme.user_by_email("alice@example.com")
    assert alice is not None
    grant = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "scope": "READ WRITE"}
    token = requests.post(
        sim.oauth_token_url,
        data={**grant, "assertion": act_as_assertion(sim, install, alice.account_id)},
        timeout=5,
    )
    assert token.status_code == 200, token.text
    bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert (
        requests.get(rest(sim, "/myself"), headers=bearer, timeout=5).json()["accountId"] == alice.account_id
    )
    key = acme.create_issue_as("admin-acme", {"project": "SUP", "summary": "x"}).key
    comment = requests.post(
        rest(sim, f"/issue/{key}/comment"), json={"body": adf("as alice")}, headers=bearer, timeout=5
    )
    assert comment.json()["author"]["accountId"] == alice.account_id
    assert requests.get(rest(sim, "/myself", "globex"), headers=bearer, timeout=5).status_code == 401

    forged = requests.post(
        sim.oauth_token_url,
        data={**grant, "assertion": act_as_assertion(sim, install, alice.account_id, "w" * 40)},
        timeout=5,
    )
    assert forged.status_code == 400
    unknown = requests.post(
        sim.oauth_token_url, data={**grant, "assertion": act_as_assertion(sim, install, "ghost")}, timeout=5
    )
    assert unknown.status_code == 400


def test_act_as_user_needs_scope(sim: JiraSimulator, acme: Site, connect_app: ConnectApp) -> None:
    connect_app.scopes = ["READ", "WRITE"]
    install = sim.install_app("acme", connect_app.descriptor_url)
    data = {
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "assertion": act_as_assertion(sim, install, "admin-acme"),
        "scope": "READ",
    }
    response = requests.post(sim.oauth_token_url, data=data, timeout=5)
    assert response.status_code == 400 and response.json()["error"] == "unauthorized_client"


def test_three_legged_token_and_refresh(sim: JiraSimulator, acme: Site) -> None:
    issued = sim.issue_oauth_token("acme", "admin-acme")
    bearer = {"Authorization": f"Bearer {issued['access_token']}"}
    assert requests.get(rest(sim, "/myself"), headers=bearer, timeout=5).status_code == 200
    refreshed = requests.post(
        sim.oauth_token_url,
        data={"grant_type": "refresh_token", "refresh_token": issued["refresh_token"]},
        timeout=5,
    )
    assert refreshed.status_code == 200
    assert refreshed.json()["refresh_token"] != issued["refresh_token"]
    reused = requests.post(
        sim.oauth_token_url,
        data={"grant_type": "refresh_token", "refresh_token": issued["refresh_token"]},
        timeout=5,
    )
    assert reused.status_code == 403
    assert (
        requests.get(rest(sim, "/myself"), headers={"Authorization": "Bearer nope"}, timeout=5).status_code
        == 401
    )


def test_disable_and_enable(sim: JiraSimulator, acme: Site, connect_app: ConnectApp) -> None:
    install = sim.install_app("acme", connect_app.descriptor_url)
    sim.disable_app("acme", "tandem-test")
    assert connect_app.rejected == [] and connect_app.uninstalls[-1]["eventType"] == "disabled"
    assert jwt_get(sim, install, "/myself").status_code == 401
    acme.create_issue_as("admin-acme", {"project": "SUP", "summary": "while disabled"})
    assert sim.wait_for_webhooks(timeout=5) and connect_app.webhooks == []
    sim.enable_app("acme", "tandem-test")  # the descriptor has no "enabled" callback: just re-enabled
    assert jwt_get(sim, install, "/myself").status_code == 200


def test_exclude_body(sim: JiraSimulator, acme: Site, connect_app: ConnectApp) -> None:
    connect_app.exclude_body = True
    sim.install_app("acme", connect_app.descriptor_url)
    issue = acme.create_issue_as("admin-acme", {"project": "SUP", "summary": "x"})
    acme.add_comment_as("admin-acme", issue.key, "no body please")
    assert sim.wait_for_webhooks(timeout=5)
    assert connect_app.rejected == []
    assert connect_app.webhooks.count({"empty": True}) == 1  # only the comment_created module excludes bodies
    assert connect_app.webhooks[0]["webhookEvent"] == "jira:issue_created"


def test_jwt_in_query_and_per_site_ports() -> None:
    from .conftest import ConnectApp

    with JiraSimulator(sites=("acme",)).start(per_site_ports=True) as sim:
        app = ConnectApp(sim.key_server_url).start()
        try:
            install = sim.install_app("acme", app.descriptor_url)
            base = sim.base_url("acme")
            assert install["baseUrl"] == base and not base.endswith("/acme")
            url = f"{base}/rest/api/3/search/jql?jql=project%20%3D%20SUP"
            token = encode_token(
                issuer="tandem-test", secret=install["sharedSecret"], method="GET", url=url, base_url=base
            )
            response = requests.get(f"{url}&jwt={token}", timeout=5)
            assert response.status_code == 200, response.text
            wrong = requests.get(f"{base}/rest/api/3/myself?jwt={token}", timeout=5)
            assert wrong.status_code == 401
        finally:
            app.stop()


def test_webhook_4xx_is_final(sim: JiraSimulator, acme: Site, connect_app: ConnectApp) -> None:
    sim.install_app("acme", connect_app.descriptor_url)
    connect_app.reject_webhooks = True
    acme.create_issue_as("admin-acme", {"project": "SUP", "summary": "refused"})
    assert sim.wait_for_webhooks(timeout=5)
    assert len(connect_app.webhook_headers) == 1
    assert acme.stats.webhooks_rejected == 1 and acme.stats.webhooks_retried == 0
    assert acme.stats.webhooks_delivered == 0
