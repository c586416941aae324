"""The content every simulated site starts with: users, projects, workflows, fields, issues."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .model import StatusDef, TransitionDef, User, Workflow

ISSUE_TYPES: list[dict[str, Any]] = [
    {"id": "10001", "name": "Task", "subtask": False, "hierarchyLevel": 0},
    {"id": "10002", "name": "Bug", "subtask": False, "hierarchyLevel": 0},
    {"id": "10003", "name": "Story", "subtask": False, "hierarchyLevel": 0},
    {"id": "10004", "name": "Epic", "subtask": False, "hierarchyLevel": 1},
    {"id": "10005", "name": "Sub-task", "subtask": True, "hierarchyLevel": -1},
]
PRIORITIES = [("1", "Highest"), ("2", "High"), ("3", "Medium"), ("4", "Low"), ("5", "Lowest")]
DEFAULT_PRIORITY = "3"
RESOLUTIONS = [("10000", "Done"), ("10001", "Won't Do"), ("10002", "Duplicate")]
TEAM_OPTIONS = [("10100", "Red"), ("10101", "Blue"), ("10102", "Green")]
CUSTOMER_FIELD = "customfield_10042"
STORY_POINTS_FIELD = "customfield_10016"
TEAM_FIELD = "customfield_10050"
CUSTOM_FIELDS: list[dict[str, Any]] = [
    {"id": CUSTOMER_FIELD, "name": "Customer", "type": "string", "custom": "textfield", "number": 10042},
    {"id": STORY_POINTS_FIELD, "name": "Story Points", "type": "number", "custom": "float", "number": 10016},
    {"id": TEAM_FIELD, "name": "Team", "type": "option", "custom": "select", "number": 10050},
]
CATEGORY_IDS = {"new": 2, "indeterminate": 4, "done": 3}
CATEGORY_NAMES = {"new": "To Do", "indeterminate": "In Progress", "done": "Done"}
CATEGORY_COLORS = {"new": "blue-gray", "indeterminate": "yellow", "done": "green"}

TransitionSpec = (
    dict[str, Any] | tuple[str, Sequence[str], str] | tuple[str, Sequence[str], str, Sequence[str]]
)

SUPPORT_STATUSES = [
    ("Open", "new"),
    ("In Progress", "indeterminate"),
    ("Waiting for customer", "indeterminate"),
    ("Resolved", "done"),
    ("Closed", "done"),
]
SUPPORT_TRANSITIONS: list[TransitionSpec] = [
    ("Start progress", ["Open"], "In Progress"),
    ("Stop progress", ["In Progress"], "Open"),
    ("Wait for customer", ["Open", "In Progress"], "Waiting for customer"),
    ("Respond to support", ["Waiting for customer"], "In Progress"),
    ("Resolve", ["Open", "In Progress", "Waiting for customer"], "Resolved", ["resolution"]),
    ("Close", ["Resolved"], "Closed"),
    ("Reopen", ["Resolved", "Closed"], "Open"),
]
DEV_STATUSES = [
    ("To Do", "new"),
    ("In Progress", "indeterminate"),
    ("In Review", "indeterminate"),
    ("Done", "done"),
]
DEV_TRANSITIONS: list[TransitionSpec] = [
    ("Start", ["To Do"], "In Progress"),
    ("Stop", ["In Progress"], "To Do"),
    ("Review", ["In Progress"], "In Review"),
    ("Back to progress", ["In Review"], "In Progress"),
    ("Done", ["In Progress", "In Review", "To Do"], "Done"),
    ("Reopen", ["Done"], "To Do"),
]
SUMMARIES = [
    "Login fails with SSO",
    "Export to CSV is slow",
    "Typo on the billing page",
    "Add dark mode",
    "Crash when uploading large files",
    "Customer cannot reset password",
    "Dashboard shows stale data",
    "Improve search relevance",
    "Webhook retries are too aggressive",
    "Upgrade the database driver",
]


@dataclass(frozen=True)
class ProjectSeed:
    key: str
    name: str
    statuses: list[tuple[str, str]]
    transitions: list[TransitionSpec]


def account_id(site: str, name: str) -> str:
    """A deterministic 24-hex-digit accountId, distinct per site (like Jira's)."""
    return hashlib.sha256(f"{site}:{name}".encode()).hexdigest()[:24]


def api_token(site: str, seed: int) -> str:
    return "ATATT" + hashlib.sha256(f"token:{site}:{seed}".encode()).hexdigest()[:40]


def seed_users(site: str, seed: int) -> list[User]:
    users = [
        User(f"admin-{site}", f"{site.title()} Admin", f"admin@{site}.example.com", api_token(site, seed)),
        User(
            account_id(site, "alice"), "Alice Anders", "alice@example.com", api_token(site + ":alice", seed)
        ),
        User(
            account_id(site, "bob"),
            "Bob Brown",
            "bob@example.com",
            api_token(site + ":bob", seed),
            email_hidden=site == "globex",
        ),
    ]
    if site == "acme":
        users.append(
            User(
                account_id(site, "carol"), "Carol Chen", "carol@example.com", api_token(site + ":carol", seed)
            )
        )
    return users


def project_seeds(site: str) -> list[ProjectSeed]:
    if site == "acme":
        return [
            ProjectSeed("SUP", "Support", SUPPORT_STATUSES, SUPPORT_TRANSITIONS),
            ProjectSeed("OPS", "Operations", DEV_STATUSES, DEV_TRANSITIONS),
        ]
    if site == "globex":
        return [
            ProjectSeed("DEV", "Development", DEV_STATUSES, DEV_TRANSITIONS),
            ProjectSeed("ENG", "Engineering", DEV_STATUSES, DEV_TRANSITIONS),
        ]
    first = "".join(ch for ch in site.upper() if ch.isalpha())[:3] or "PRJ"
    if first == "OPS":
        first = "OPX"
    return [
        ProjectSeed(first, f"{site.title()} Project", DEV_STATUSES, DEV_TRANSITIONS),
        ProjectSeed("OPS", "Operations", DEV_STATUSES, DEV_TRANSITIONS),
    ]


def build_workflow(
    statuses: Sequence[str | tuple[str, str]],
    transitions: Sequence[TransitionSpec],
    status_id: Any,
) -> Workflow:
    """A Workflow from names; ``status_id(name, category)`` allocates site-wide status ids."""
    defs: list[StatusDef] = []
    for index, entry in enumerate(statuses):
        if isinstance(entry, tuple):
            name, category = entry
        else:
            name = entry
            category = "new" if index == 0 else ("done" if index == len(statuses) - 1 else "indeterminate")
        defs.append(StatusDef(status_id(name, category), name, category))
    names = {d.name for d in defs}
    result: list[TransitionDef] = []
    for index, spec in enumerate(transitions):
        transition = _transition(spec, str(11 + 10 * index))
        if transition.to not in names or not set(transition.sources) <= names:
            raise ValueError(f"transition {transition.name!r} names an unknown status")
        result.append(transition)
    return Workflow(defs, result)


def _transition(spec: TransitionSpec, default_id: str) -> TransitionDef:
    if isinstance(spec, dict):
        sources = spec.get("from") or ()
        return TransitionDef(
            str(spec.get("id", default_id)),
            str(spec["name"]),
            str(spec["to"]),
            tuple([sources] if isinstance(sources, str) else sources),
            tuple(spec.get("fields", ())),
        )
    name, sources, to = spec[0], spec[1], spec[2]
    required = tuple(spec[3]) if len(spec) > 3 else ()
    return TransitionDef(default_id, name, to, tuple(sources), required)


def random_issue_fields(
    rng: random.Random, project_key: str, index: int, users: list[User]
) -> dict[str, Any]:
    humans = [u for u in users if u.account_type == "atlassian"]
    fields: dict[str, Any] = {
        "project": {"key": project_key},
        "issuetype": {"name": rng.choice(["Task", "Bug", "Story"])},
        "summary": f"{rng.choice(SUMMARIES)} #{index}",
        "description": {
            "type": "doc",
            "version": 1,
            "content": [
                {"type": "paragraph", "content": [{"type": "text", "text": f"Seeded issue {index}."}]}
            ],
        },
        "labels": rng.sample(["backend", "frontend", "urgent", "customer", "ops"], k=rng.randint(0, 2)),
        "priority": {"name": rng.choice([name for _, name in PRIORITIES])},
        CUSTOMER_FIELD: rng.choice(["Initech", "Umbrella", "Hooli", None]),
    }
    if rng.random() < 0.6:
        fields["assignee"] = {"accountId": rng.choice(humans).account_id}
    return fields
