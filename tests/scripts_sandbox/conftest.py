from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from scripts_sandbox.pool import ScriptPool
from scripts_sandbox.result import ScriptLimits

ISSUE: dict[str, Any] = {
    "id": "10001",
    "key": "SUP-1",
    "project": "SUP",
    "type": "Bug",
    "summary": "Printer on fire",
    "description": "It *really* burns.",
    "status": "To Do",
    "priority": "High",
    "labels": ["hardware", "urgent"],
    "assignee": {"account_id": "acc-1", "email": "ann@example.com", "display_name": "Ann"},
    "reporter": None,
    "parent": "SUP-0",
    "custom": {"customfield_10042": 5, "customfield_10050": {"value": "Gold"}},
    "custom_names": {"customfield_10042": "Story points", "customfield_10050": "Tier"},
    "created": "2026-01-02T03:04:05+00:00",
    "updated": "2026-01-03T03:04:05+00:00",
    "comments": [
        {
            "id": "c1",
            "body": "public note",
            "author": {"account_id": "acc-1", "email": "ann@example.com", "display_name": "Ann"},
            "created": "2026-01-02T04:00:00+00:00",
            "updated": "2026-01-02T04:00:00+00:00",
            "internal": False,
        },
        {
            "id": "c2",
            "body": "internal note",
            "author": None,
            "created": "2026-01-02T05:00:00+00:00",
            "updated": "2026-01-02T05:00:00+00:00",
            "internal": True,
        },
    ],
    "attachments": [
        {
            "id": "a1",
            "filename": "log.txt",
            "size": 12,
            "mime_type": "text/plain",
            "created": "2026-01-02T04:00:00+00:00",
            "author": None,
        }
    ],
    "url": "https://example.atlassian.net/browse/SUP-1",
}

# Short wall limit keeps the denial-of-service tests fast.
TEST_LIMITS = ScriptLimits(wall_seconds=0.7, cpu_seconds=1.0, memory_mb=256, workers=2)


@pytest.fixture
def issue() -> dict[str, Any]:
    return copy.deepcopy(ISSUE)


@pytest.fixture(scope="session")
def pool() -> Iterator[ScriptPool]:
    with ScriptPool(TEST_LIMITS) as script_pool:
        yield script_pool
