"""The Forge manifest and the Connect descriptor describe the same app."""

from __future__ import annotations

from typing import Any

import yaml
from flask.testing import FlaskClient

from tests.conftest import PROJECT_ROOT


def _manifest() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((PROJECT_ROOT / "manifest.yml").read_text())
    return data


def test_manifest_declares_connect_on_forge_with_a_remote() -> None:
    manifest = _manifest()
    connect = manifest["app"]["connect"]
    assert connect["key"] == "io.tandem.sync"
    assert connect["remote"] in {remote["key"] for remote in manifest["remotes"]}
    assert manifest["app"]["id"].startswith("ari:cloud:ecosystem::app/")


def test_manifest_modules_match_the_descriptor(client: FlaskClient) -> None:
    descriptor = client.get("/atlassian-connect.json").get_json()
    modules = _manifest()["connectModules"]
    (lifecycle,) = modules["jira:lifecycle"]
    assert {k: v for k, v in lifecycle.items() if k != "key"} == descriptor["lifecycle"]
    manifest_hooks = {(hook["event"], hook["url"]) for hook in modules["jira:webhooks"]}
    descriptor_hooks = {(hook["event"], hook["url"]) for hook in descriptor["modules"]["webhooks"]}
    assert manifest_hooks == descriptor_hooks
    for name in ("adminPages", "jiraProjectAdminTabPanels", "jiraIssueGlances"):
        assert [m["url"] if "url" in m else m["target"]["url"] for m in modules[f"jira:{name}"]] == [
            m["url"] if "url" in m else m["target"]["url"] for m in descriptor["modules"][name]
        ]
