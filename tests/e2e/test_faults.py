"""Convergence when the network and Jira misbehave: lost webhooks, injected errors."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.base import IssueChanges
from tests.e2e.conftest import A_PROJECT, A_SITE, B_PROJECT, B_SITE, Env


@pytest.fixture
def stack_options() -> dict[str, Any]:
    return {"poll_interval": 0.5, "config": {"MAX_ATTEMPTS": 30}}


def test_half_the_webhooks_dropped_still_converges_through_polling(env: Env) -> None:
    env.connect()
    for site in (A_SITE, B_SITE):
        env.stack.sim.site(site).configure(webhook_drop_rate=0.5)
    issues = [env.create_a(f"Dropped {n}") for n in range(6)]
    for issue in issues:
        env.twin_of(issue.key, timeout=40)
    first = env.twin_of(issues[0].key)
    env.b.update_issue(first.id, IssueChanges({"summary": "Edited on B"}))
    env.eventually(lambda: env.a.get_issue(issues[0].id).summary == "Edited on B", timeout=40)
    env.settle(timeout=40)
    assert len(env.issues_in(B_SITE, B_PROJECT)) == 6


def test_twenty_percent_api_errors_converge_without_duplicates(env: Env) -> None:
    env.connect()
    for site in (A_SITE, B_SITE):
        env.stack.sim.site(site).configure(error_rate=0.2, retry_after=0.05)
    issues = []
    for n in range(8):
        for _attempt in range(20):  # the "person" is not resilient; Tandem must be
            try:
                issues.append(env.create_a(f"Faulty {n}"))
                break
            except Exception:  # noqa: S112 - retry the human's click
                continue
    for issue in issues:
        env.twin_of(issue.key, timeout=60)
    for site in (A_SITE, B_SITE):
        env.stack.sim.site(site).reset_faults()
    env.settle(timeout=60)
    assert len(env.issues_in(B_SITE, B_PROJECT)) == len(issues)
    assert len(env.issues_in(A_SITE, A_PROJECT)) == len(issues)
