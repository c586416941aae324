from __future__ import annotations

from plugin.sync import rules


def test_validation_reports_every_problem() -> None:
    problems = rules.validate_visual_mapping(
        {"rows": [{"local": "nope", "remote": "summary", "direction": "sideways"}, "x"]}
    )
    assert any("row 1: local" in p for p in problems)
    assert any("row 1: direction" in p for p in problems)
    assert any("row 2" in p for p in problems)
    assert rules.validate_visual_mapping({"rows": [{"local": "summary", "remote": "summary"}]}) == []


def test_directions_decide_which_side_sends() -> None:
    mapping = {
        "rows": [
            {"local": "summary", "remote": "summary", "direction": "a_to_b"},
            {"local": "priority", "remote": "priority", "direction": "b_to_a"},
        ]
    }
    assert "replica.summary = issue.summary" in rules.visual_outgoing(mapping, "a")
    assert "priority" not in rules.visual_outgoing(mapping, "a")
    assert "issue.priority = replica.priority" in rules.visual_incoming(mapping, "a")
    assert "summary" not in rules.visual_incoming(mapping, "a")
    assert "issue.summary = replica.summary" in rules.visual_incoming(mapping, "b")


def test_value_maps_create_only_rows_and_custom_fields() -> None:
    mapping = {
        "rows": [
            {"local": "status", "remote": "status", "values": {"Open": "To Do"}, "unmapped": "error"},
            {"local": "type", "remote": "type", "when": "create"},
            {"local": "custom:customfield_10042", "remote": "custom:customer"},
        ]
    }
    incoming = rules.visual_incoming(mapping, "b")
    assert 'statuses.map(replica.status, {"Open": "To Do"})' in incoming
    assert "raise ValueError" in incoming
    assert "if first_sync:\n    issue.type = replica.type" in incoming
    assert 'issue.custom["customfield_10042"] = replica.custom["customer"]' in incoming
    compile(incoming, "<generated>", "exec")
    compile(rules.visual_outgoing(mapping, "a"), "<generated>", "exec")
