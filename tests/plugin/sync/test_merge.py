from __future__ import annotations

from datetime import UTC, datetime, timedelta

from plugin.sync.merge import Clock, merge

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def clock(ours_delta: int = 0, theirs_delta: int = 0, position: str = "b") -> Clock:
    return Clock(T0 + timedelta(seconds=ours_delta), T0 + timedelta(seconds=theirs_delta), position)


def test_first_sync_takes_everything() -> None:
    result = merge(None, {"summary": "x"}, {"summary": "y", "labels": ["a"]}, clock())
    assert result.writes == {"summary": "y", "labels": ["a"]}
    assert result.conflicts == []


def test_only_theirs_changed_is_taken() -> None:
    base = {"summary": "old", "priority": "Low"}
    result = merge(
        base, {"summary": "old", "priority": "Low"}, {"summary": "new", "priority": "Low"}, clock()
    )
    assert result.writes == {"summary": "new"}


def test_only_ours_changed_is_kept() -> None:
    base = {"summary": "old"}
    result = merge(base, {"summary": "ours"}, {"summary": "old"}, clock())
    assert result.writes == {}
    assert result.conflicts == []


def test_different_fields_merge() -> None:
    base = {"summary": "s", "description": "d"}
    ours = {"summary": "s2", "description": "d"}
    theirs = {"summary": "s", "description": "d2"}
    result = merge(base, ours, theirs, clock())
    assert result.writes == {"description": "d2"}


def test_same_field_both_sides_later_wins() -> None:
    base = {"summary": "s"}
    later_theirs = merge(
        base, {"summary": "ours"}, {"summary": "theirs"}, clock(ours_delta=1, theirs_delta=5)
    )
    assert later_theirs.writes == {"summary": "theirs"}
    assert [c.winner for c in later_theirs.conflicts] == ["theirs"]
    later_ours = merge(base, {"summary": "ours"}, {"summary": "theirs"}, clock(ours_delta=5, theirs_delta=1))
    assert later_ours.writes == {}
    assert [c.winner for c in later_ours.conflicts] == ["ours"]


def test_exact_tie_is_deterministic_side_a_wins() -> None:
    base = {"summary": "s"}
    onto_b = merge(base, {"summary": "b"}, {"summary": "a"}, clock(position="b"))
    onto_a = merge(base, {"summary": "a"}, {"summary": "b"}, clock(position="a"))
    assert onto_b.writes == {"summary": "a"}
    assert onto_a.writes == {}


def test_equal_values_need_no_write_and_label_order_is_ignored() -> None:
    base = {"labels": ["x"]}
    result = merge(base, {"labels": ["b", "a"]}, {"labels": ["a", "b"]}, clock())
    assert result.writes == {} and result.conflicts == []


def test_users_compare_by_identity_not_display_name() -> None:
    base = {"assignee": {"account_id": "1", "display_name": "Al"}}
    ours = {"assignee": {"account_id": "1", "display_name": "Alice"}}
    theirs = {"assignee": {"account_id": "1", "display_name": "Alice S."}}
    assert merge(base, ours, theirs, clock()).writes == {}
