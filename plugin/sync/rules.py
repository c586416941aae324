"""The rules a side runs in Basic and Visual mode, as scripts.

Basic mode is a fixed pair of scripts; Visual mode is a mapping table that compiles to a
script. Both produce plain script text, so "switch to Script" starts from exactly what ran.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

BASIC_OUTGOING = """\
# Basic mode: send the common fields, comments and attachments.
replica.summary = issue.summary
replica.description = issue.description
replica.type = issue.type
replica.priority = issue.priority
replica.labels = issue.labels
replica.status = issue.status
replica.assignee = issue.assignee
replica.reporter = issue.reporter
replica.parent = issue.parent
replica.comments = issue.comments
replica.attachments = issue.attachments
"""

BASIC_INCOMING = """\
# Basic mode: apply what arrived; statuses and types by name. Users are matched by the
# engine: by email, then the side's account-id map, then the side's default.
if first_sync:
    issue.type = replica.type
issue.summary = replica.summary
issue.description = replica.description
issue.priority = replica.priority
issue.labels = replica.labels
issue.status = replica.status
issue.assignee = replica.assignee
issue.parent = replica.parent
issue.comments = comments.merge(issue, replica)
issue.attachments = attachments.merge(issue, replica)
"""

# Fields a visual row may name, and how a value crosses in each direction.
SIMPLE_FIELDS = ("summary", "description", "labels", "parent")
MAPPED_FIELDS = {"status": "statuses", "priority": "priorities", "type": "issue_types"}
USER_FIELDS = ("assignee", "reporter")
COLLECTION_FIELDS = ("comments", "attachments")
KNOWN_FIELDS = (*SIMPLE_FIELDS, *MAPPED_FIELDS, *USER_FIELDS, *COLLECTION_FIELDS)
DIRECTIONS = ("a_to_b", "b_to_a", "both")
WHEN = ("always", "create")
UNMAPPED = ("keep", "default", "error")


def validate_visual_mapping(mapping: Any) -> list[str]:
    """Every problem with a visual mapping, at once."""
    if not isinstance(mapping, Mapping) or not isinstance(mapping.get("rows"), list):
        return ['a visual mapping is {"rows": [...]}']
    problems: list[str] = []
    for number, row in enumerate(mapping["rows"], start=1):
        problems.extend(f"row {number}: {problem}" for problem in _row_problems(row))
    return problems


def _row_problems(row: Any) -> list[str]:
    if not isinstance(row, Mapping):
        return ["must be an object"]
    problems = []
    for end in ("local", "remote"):
        name = row.get(end)
        if not isinstance(name, str) or not (name in KNOWN_FIELDS or name.startswith("custom:")):
            problems.append(f"{end}: one of {', '.join(KNOWN_FIELDS)} or custom:<field id>")
    if row.get("direction", "both") not in DIRECTIONS:
        problems.append(f"direction: one of {', '.join(DIRECTIONS)}")
    if row.get("when", "always") not in WHEN:
        problems.append(f"when: one of {', '.join(WHEN)}")
    if row.get("unmapped", "keep") not in UNMAPPED:
        problems.append(f"unmapped: one of {', '.join(UNMAPPED)}")
    values = row.get("values", {})
    if not isinstance(values, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in values.items()
    ):
        problems.append("values: an object of text to text")
    return problems


def _sends(row: Mapping[str, Any], position: str) -> bool:
    direction = str(row.get("direction", "both"))
    return direction == "both" or direction == ("a_to_b" if position == "a" else "b_to_a")


def _receives(row: Mapping[str, Any], position: str) -> bool:
    direction = str(row.get("direction", "both"))
    return direction == "both" or direction == ("b_to_a" if position == "a" else "a_to_b")


def _ref(view: str, name: str) -> str:
    if name.startswith("custom:"):
        return f"{view}.custom[{json.dumps(name.removeprefix('custom:'))}]"
    return f"{view}.{name}"


def visual_outgoing(mapping: Mapping[str, Any], position: str) -> str:
    lines = ["# Generated from the visual mapping: what this side sends."]
    for row in mapping.get("rows", []):
        if _sends(row, position):
            lines.append(f"{_ref('replica', row['remote'])} = {_ref('issue', row['local'])}")
    return "\n".join(lines) + "\n"


def visual_incoming(mapping: Mapping[str, Any], position: str) -> str:
    lines = ["# Generated from the visual mapping: what this side accepts."]
    for row in mapping.get("rows", []):
        if not _receives(row, position):
            continue
        statements = _incoming_statements(row)
        if row.get("when", "always") == "create":
            lines.append("if first_sync:")
            lines.extend("    " + statement for statement in statements)
        else:
            lines.extend(statements)
    return "\n".join(lines) + "\n"


def _incoming_statements(row: Mapping[str, Any]) -> list[str]:
    local, remote = row["local"], row["remote"]
    target, source = _ref("issue", local), _ref("replica", remote)
    if local in COLLECTION_FIELDS:
        return [f"{target} = {local}.merge(issue, replica)"]
    if local in USER_FIELDS:
        return [f"{target} = {source}"]  # resolved by the engine: email, account map, default
    values: dict[str, str] = dict(row.get("values") or {})
    if not values:
        return [f"{target} = {source}"]
    helper = MAPPED_FIELDS.get(local, "statuses")
    literal = json.dumps(values, sort_keys=True)
    unmapped = row.get("unmapped", "keep")
    if unmapped == "error":
        return [
            f"if {source} is not None and {source} not in {literal}:",
            f"    raise ValueError('no mapping for {local} ' + repr({source}))",
            f"{target} = {helper}.map({source}, {literal})",
        ]
    if unmapped == "default":
        return [
            f"{target} = {helper}.map({source}, {literal}, default={json.dumps(row.get('default') or '')})"
        ]
    return [f"{target} = {helper}.map({source}, {literal})"]
