"""Each auth mode against the simulator: Connect JWT after a real install, act-as-user, OAuth refresh."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
import requests

from connectors.base import FatalError, IssueChanges
from connectors.jira.auth import (
    ATLASSIAN_OAUTH_AUDIENCE,
    ActAsUserAuth,
    BasicAuth,
    ConnectJwtAuth,
    OAuthBearerAuth,
)
from connectors.jira.client import JiraClient
from connectors.jira.connector import JiraConnector
from connectors.jira.simulator import JiraSimulator
from connectors.model import User

from .support import APP_KEY, ConnectAppServer


@pytest.fixture(scope="module")
def sim() -> Iterator[JiraSimulator]:
    with JiraSimulator(sites=("acme", "globex"), seed=1).start(port=0) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def install(sim: JiraSimulator) -> Iterator[dict[str, Any]]:
    app = ConnectAppServer().start()
    try:
        payload = sim.install_app("acme", app.descriptor_url)
        assert app.installs and app.installs[0]["clientKey"] == payload["clientKey"]
        yield payload
    finally:
        app.stop()


def user_named(sim: JiraSimulator, site: str, first_name: str) -> Any:
    return next(u for u in sim.site(site).users.values() if u.display_name.startswith(first_name))


def connect_config(sim: JiraSimulator, install: dict[str, Any], act_as: bool = False) -> dict[str, Any]:
    config: dict[str, Any] = {
        "base_url": install["baseUrl"],
        "auth": {"type": "connect", "app_key": APP_KEY, "shared_secret": install["sharedSecret"]},
        "timeout": 5.0,
    }
    if act_as:
        config["act_as"] = {"oauth_client_id": install["oauthClientId"], "token_url": sim.oauth_token_url}
    return config


def test_connect_jwt_signs_every_call(sim: JiraSimulator, install: dict[str, Any]) -> None:
    connector = JiraConnector(connect_config(sim, install))
    try:
        issue = connector.create_issue(
            "SUP", "Task", IssueChanges({"summary": "via JWT", "labels": ["jwt"]}), "jwt-1"
        )
        # get_issue sends a query string (fields=*all): the qsh must cover it.
        assert connector.get_issue(issue.key).summary == "via JWT"
        assert [i.key for i in connector.iter_issues('labels = "jwt"')] == [issue.key]
        comment = connector.add_comment(issue.id, "from the app")
        assert comment.author is not None and comment.author.account_id != sim.site("acme").admin.account_id
    finally:
        connector.close()


def test_connect_jwt_with_wrong_secret_is_fatal(sim: JiraSimulator, install: dict[str, Any]) -> None:
    auth = ConnectJwtAuth(APP_KEY, "wrong" * 8, install["baseUrl"])
    with JiraClient(install["baseUrl"], auth) as client, pytest.raises(FatalError) as caught:
        client.myself()
    assert caught.value.status == 401


def test_connect_jwt_token_claims() -> None:
    auth = ConnectJwtAuth("my-app", "s" * 32, "https://x.atlassian.net/jira")
    request = requests.Request("GET", "https://x.atlassian.net/jira/rest/api/3/search?b=2&a=1").prepare()
    token = auth(request).headers["Authorization"].removeprefix("JWT ")
    claims = jwt.decode(token, "s" * 32, algorithms=["HS256"])
    assert claims["iss"] == "my-app"
    assert 0 < claims["exp"] - claims["iat"] <= 180
    expected = hashlib.sha256(b"GET&/rest/api/3/search&a=1&b=2").hexdigest()
    assert claims["qsh"] == expected


def test_act_as_user_posts_as_the_real_author(sim: JiraSimulator, install: dict[str, Any]) -> None:
    alice = user_named(sim, "acme", "Alice")
    connector = JiraConnector(connect_config(sim, install, act_as=True))
    try:
        issue = connector.create_issue("SUP", "Task", IssueChanges({"summary": "act as"}), "act-as-1")
        by_id = connector.add_comment(
            issue.id, "written by **Alice**", author=User(account_id=alice.account_id)
        )
        assert by_id.author is not None and by_id.author.account_id == alice.account_id
        by_email = connector.add_comment(issue.id, "again", author=User(email=alice.email))
        assert by_email.author is not None and by_email.author.account_id == alice.account_id
        # Someone unknown on this site: the comment is posted by the app itself.
        stranger = connector.add_comment(
            issue.id, "stranger", author=User(account_id="0" * 24, email="no@x.y")
        )
        assert stranger.author is not None and stranger.author.account_id != alice.account_id
        bodies = [
            (c.author.account_id if c.author else None, c.body)
            for c in connector.get_issue(issue.id).comments
        ]
        assert bodies[0] == (alice.account_id, "written by **Alice**")
    finally:
        connector.close()


def test_act_as_user_assertion_and_token_cache(sim: JiraSimulator, install: dict[str, Any]) -> None:
    alice = user_named(sim, "acme", "Alice")
    auth = ActAsUserAuth(
        install["oauthClientId"],
        install["sharedSecret"],
        install["baseUrl"],
        alice.account_id,
        token_url=sim.oauth_token_url,
    )
    claims = jwt.decode(
        auth.assertion(), install["sharedSecret"], algorithms=["HS256"], audience=ATLASSIAN_OAUTH_AUDIENCE
    )
    assert claims["iss"] == f"urn:atlassian:connect:clientid:{install['oauthClientId']}"
    assert claims["sub"] == f"urn:atlassian:connect:useraccountid:{alice.account_id}"
    assert claims["tnt"] == install["baseUrl"]
    first = auth.access_token()
    assert auth.access_token() == first  # cached
    auth.refresh()
    assert auth.access_token() != first


def test_act_as_unknown_user_is_fatal(sim: JiraSimulator, install: dict[str, Any]) -> None:
    auth = ActAsUserAuth(
        install["oauthClientId"],
        install["sharedSecret"],
        install["baseUrl"],
        "f" * 24,
        token_url=sim.oauth_token_url,
    )
    with pytest.raises(FatalError):
        auth.access_token()


def test_oauth_bearer_refreshes_on_401(sim: JiraSimulator) -> None:
    admin = sim.site("acme").admin
    grant = sim.issue_oauth_token("acme", admin.account_id)
    saved: list[tuple[str, str | None]] = []
    auth = OAuthBearerAuth(
        "expired-or-revoked",
        refresh_token=grant["refresh_token"],
        token_url=sim.oauth_token_url,
        client_id="client",
        client_secret="secret",
        on_refresh=lambda access, refresh: saved.append((access, refresh)),
    )
    with JiraClient(sim.base_url("acme"), auth) as client:
        assert client.myself()["accountId"] == admin.account_id
        assert client.myself()["accountId"] == admin.account_id
    assert len(saved) == 1
    assert saved[0][0] == auth.access_token and saved[0][1] != grant["refresh_token"]


def test_oauth_connector_config(sim: JiraSimulator) -> None:
    admin = sim.site("acme").admin
    grant = sim.issue_oauth_token("acme", admin.account_id)
    config = {
        "base_url": sim.base_url("acme"),
        "auth": {"type": "oauth", "access_token": grant["access_token"]},
    }
    connector = JiraConnector(config)
    try:
        assert connector.find_user(account_id=admin.account_id) == User(
            admin.account_id, admin.email, admin.display_name
        )
    finally:
        connector.close()


def test_oauth_without_refresh_token_is_fatal_on_401(sim: JiraSimulator) -> None:
    with JiraClient(sim.base_url("acme"), OAuthBearerAuth("bogus")) as client, pytest.raises(FatalError):
        client.myself()


def test_basic_auth_header() -> None:
    request = requests.Request("GET", "https://x.example/rest").prepare()
    assert BasicAuth("me@x.y", "tok")(request).headers["Authorization"] == "Basic bWVAeC55OnRvaw=="
