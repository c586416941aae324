from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest
from flask.testing import FlaskClient

from tests.conftest import SHARED_REFERENCE


@pytest.fixture(scope="module")
def connect_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(
        (SHARED_REFERENCE / "atlassian-connect-jira-global-schema.json").read_text()
    )
    schema = copy.deepcopy(schema)
    # The 2021 schema predates signed-install and context-qsh; those keys are allowed on top.
    schema["properties"]["apiMigrations"]["additionalProperties"] = True
    return schema


def test_descriptor_validates_against_the_connect_schema(
    client: FlaskClient, connect_schema: dict[str, Any]
) -> None:
    descriptor = client.get("/atlassian-connect.json").get_json()
    errors = [error.message for error in jsonschema.Draft4Validator(connect_schema).iter_errors(descriptor)]
    assert errors == []


def test_schema_check_is_not_vacuous(connect_schema: dict[str, Any]) -> None:
    broken = {"key": "x", "baseUrl": "https://x", "authentication": {"type": "sideways"}, "scopes": ["ROOT"]}
    assert list(jsonschema.Draft4Validator(connect_schema).iter_errors(broken))


def test_descriptor_uses_configured_base_url_and_security_migrations(client: FlaskClient) -> None:
    descriptor = client.get("/atlassian-connect.json").get_json()
    assert descriptor["baseUrl"] == "https://tandem.test"
    assert descriptor["authentication"] == {"type": "jwt"}
    assert descriptor["apiMigrations"] == {"signed-install": True, "context-qsh": True, "gdpr": True}
    assert set(descriptor["lifecycle"]) == {"installed", "uninstalled", "enabled", "disabled"}
    events = {hook["event"] for hook in descriptor["modules"]["webhooks"]}
    assert {"jira:issue_created", "jira:issue_updated", "comment_created", "comment_deleted"} <= events
    assert {"adminPages", "jiraProjectAdminTabPanels", "jiraIssueGlances"} <= set(descriptor["modules"])
    assert "ACT_AS_USER" in descriptor["scopes"]
