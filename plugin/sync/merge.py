"""Three-way merge of one side's issue with what arrived from the other side.

For each field the incoming rules set, three values meet: the *base* (what the other side
last asked this side to be, stored on the twin), *theirs* (what it asks now) and *ours* (what
the issue is now). In small named steps, like dictdiffer's merge:

1. :func:`changed` - which of theirs and ours moved away from the base;
2. :func:`decide` - only theirs moved: take it; only ours moved: keep it (it travels the other
   way in its own job); both moved to the same value: nothing to do; both moved apart: a
   conflict, and the later change wins, with side ``a`` winning exact ties;
3. :func:`merge` - the decisions for all fields, plus the conflicts to record.

Without a base (first sync, hard resync) theirs wins every field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

MISSING: Any = object()


class Action(StrEnum):
    TAKE = "take"  # write theirs
    KEEP = "keep"  # leave ours
    SAME = "same"  # already equal


@dataclass(frozen=True)
class Conflict:
    field: str
    ours: Any
    theirs: Any
    winner: str  # "ours" or "theirs"

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "ours": self.ours, "theirs": self.theirs, "winner": self.winner}


@dataclass
class MergeResult:
    writes: dict[str, Any] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)


@dataclass(frozen=True)
class Clock:
    """When each side last changed, and which side this merge writes to (for tie-breaks)."""

    ours: datetime | None
    theirs: datetime | None
    ours_position: str


def changed(base: Any, value: Any) -> bool:
    return base is MISSING or normalize(value) != normalize(base)


def normalize(value: Any) -> Any:
    """Compare values as the trackers do: label order and empty text do not matter."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(sorted(value))
    if isinstance(value, Mapping):
        if "account_id" in value or "email" in value:
            return value.get("account_id") or (value.get("email") or "").lower() or None
        return tuple(sorted((k, normalize(v)) for k, v in value.items()))
    if isinstance(value, str):
        return value.strip()
    return value


def theirs_win(clock: Clock) -> bool:
    if clock.ours is None or clock.theirs is None:
        return True
    if clock.theirs != clock.ours:
        return clock.theirs > clock.ours
    return clock.ours_position != "a"  # deterministic: side a wins exact ties


def decide(name: str, base: Any, ours: Any, theirs: Any, clock: Clock) -> tuple[Action, Conflict | None]:
    if normalize(ours) == normalize(theirs):
        return Action.SAME, None
    theirs_moved = changed(base, theirs)
    ours_moved = base is not MISSING and changed(base, ours)
    if theirs_moved and not ours_moved:
        return Action.TAKE, None
    if not theirs_moved:
        return Action.KEEP, None
    winner = "theirs" if theirs_win(clock) else "ours"
    action = Action.TAKE if winner == "theirs" else Action.KEEP
    return action, Conflict(name, ours, theirs, winner)


def merge(
    base: Mapping[str, Any] | None,
    ours: Mapping[str, Any],
    theirs: Mapping[str, Any],
    clock: Clock,
) -> MergeResult:
    """Fields of ``theirs`` to write onto ``ours``, given the common ``base``."""
    result = MergeResult()
    for name, their_value in theirs.items():
        base_value = MISSING if base is None else base.get(name, MISSING)
        action, conflict = decide(name, base_value, ours.get(name), their_value, clock)
        if action is Action.TAKE:
            result.writes[name] = their_value
        if conflict is not None:
            result.conflicts.append(conflict)
    return result
