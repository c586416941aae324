"""A side that is a Jira site without Tandem: API-token credentials, changes found by polling."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.base import IssueChanges
from plugin.models.sync import JobState
from tests.e2e.conftest import A_PROJECT, A_SITE, B_PROJECT, B_SITE, Env


@pytest.fixture
def stack_options() -> dict[str, Any]:
    return {"poll_interval": 0.5}


def test_remote_side_without_the_app_syncs_through_api_token_and_polling(env: Env) -> None:
    site = env.stack.sim.site(B_SITE)
    body = {
        "name": "to a site without Tandem",
        "project_key": A_PROJECT,
        "remote": {
            "project_key": B_PROJECT,
            "config": {
                "base_url": env.stack.sim.base_url(B_SITE),
                "auth": {"type": "basic", "email": site.admin_email, "api_token": site.admin_api_token},
            },
        },
    }
    created = env.stack.api(A_SITE, "POST", "/admin/api/connections/remote", body, expect=201)
    env.connection_id = created["connection"]["id"]
    issue = env.create_a("Over API token")
    twin = env.twin_of(issue.key)
    env.b.update_issue(twin.id, IssueChanges({"summary": "Edited on the remote site"}))
    env.eventually(lambda: env.a.get_issue(issue.id).summary == "Edited on the remote site")
    env.settle()
    assert env.jobs(JobState.FAILED) == []
