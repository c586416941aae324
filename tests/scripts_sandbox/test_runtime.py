"""The script API, run in-process (the pool's workers call the same ``run_inline``)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from scripts_sandbox import runtime
from scripts_sandbox.facades import TRUNCATED
from scripts_sandbox.result import ScriptLimits
from scripts_sandbox.runtime import run_inline
from scripts_sandbox.views import ISSUE_FIELDS
from tests.scripts_sandbox.conftest import ISSUE


def out(source: str, **kwargs: Any) -> Any:
    kwargs.setdefault("issue", copy.deepcopy(ISSUE))
    return run_inline(source, direction="outgoing", **kwargs)


def incoming(source: str, **kwargs: Any) -> Any:
    kwargs.setdefault("issue", copy.deepcopy(ISSUE))
    kwargs.setdefault("replica", copy.deepcopy(ISSUE))
    return run_inline(source, direction="incoming", **kwargs)


def test_issue_fields_match_the_connector_model() -> None:
    assert set(ISSUE_FIELDS) == set(ISSUE)


def test_outgoing_copies_fields_with_attribute_and_item_access() -> None:
    result = out(
        "replica.summary = issue.summary\n"
        "replica['status'] = issue['status']\n"
        "replica.assignee = issue.assignee\n"
        "replica.custom = {'points': issue.custom['customfield_10042'],\n"
        "  'tier': issue.custom.customfield_10050.value}\n"
        "replica.labels = list(issue.labels) + ['synced']\n"
    )
    assert result.ok, result.error
    assert result.value == {
        "summary": "Printer on fire",
        "status": "To Do",
        "assignee": ISSUE["assignee"],
        "custom": {"points": 5, "tier": "Gold"},
        "labels": ["hardware", "urgent", "synced"],
    }


def test_input_dicts_are_not_modified(issue: dict[str, Any]) -> None:
    before = copy.deepcopy(issue)
    result = run_inline(
        "issue.summary = 'changed'\nissue.labels.append('x')", direction="incoming", issue=issue, replica={}
    )
    assert result.ok
    assert issue == before
    assert result.value["labels"] == ["hardware", "urgent", "x"]


def test_missing_field_error_suggests_the_right_name() -> None:
    result = out("x = issue.summry")
    assert result.error is not None
    assert result.error.kind == "user"
    assert result.error.exception == "AttributeError"
    assert result.error.message == "issue has no field 'summry' (did you mean 'summary'?)"
    assert result.error.line == 1


def test_writable_view_rejects_unknown_fields_and_non_plain_values() -> None:
    unknown = out("replica.summry = 'x'")
    assert unknown.error is not None and "did you mean 'summary'" in unknown.error.message
    function = out("def f():\n    return 1\nreplica.summary = f")
    assert function.error is not None and function.error.exception == "TypeError"
    assert "cannot be stored" in function.error.message
    appended = out("replica.labels = []\nreplica.labels.append(len)")
    assert appended.error is not None and appended.error.kind == "user"


def test_outgoing_issue_is_read_only() -> None:
    for source in ("issue.summary = 'x'", "issue.custom['a'] = 1", "issue['summary'] = 'x'"):
        result = out(source)
        assert result.error is not None, source
        assert result.error.message == "'issue' is read-only here" or "read-only" in result.error.message


def test_none_assignee_is_none() -> None:
    data = copy.deepcopy(ISSUE)
    data["assignee"] = None
    result = out(
        "if issue.assignee:\n    replica.summary = 'has'\nelse:\n    replica.summary = 'none'", issue=data
    )
    assert result.value == {"summary": "none"}


def test_incoming_first_sync_starts_from_an_empty_issue() -> None:
    result = run_inline(
        "if first_sync:\n"
        "    issue.project = 'OPS'\n"
        "    issue.type = issue_types.map(replica.type, {'Bug': 'Incident'})\n"
        "issue.summary = replica.summary\n",
        direction="incoming",
        issue=None,
        replica=copy.deepcopy(ISSUE),
        first_sync=True,
    )
    assert result.ok, result.error
    assert result.value["project"] == "OPS"
    assert result.value["type"] == "Incident"
    assert result.value["summary"] == "Printer on fire"
    assert result.value["id"] == ""
    assert set(result.value) == set(ISSUE_FIELDS)


def test_incoming_replica_and_previous_are_read_only() -> None:
    assert incoming("replica.summary = 'x'").error is not None
    result = incoming("previous.summary = 'x'", previous=copy.deepcopy(ISSUE))
    assert result.error is not None


def test_comment_and_attachment_helpers() -> None:
    result = incoming(
        "public = comments.filter(replica.comments, lambda c: not c.internal)\n"
        "issue.comments = comments.merge(issue, {'comments': public})\n"
        "issue.attachments = attachments.merge(issue, replica)\n"
    )
    assert result.ok, result.error
    assert result.value["comments"] == [
        {
            "remote_id": "c1",
            "body": "public note",
            "author": ISSUE["comments"][0]["author"],
            "created": "2026-01-02T04:00:00+00:00",
            "internal": False,
        }
    ]
    assert result.value["attachments"] == [
        {"remote_id": "a1", "filename": "log.txt", "size": 12, "mime_type": "text/plain"}
    ]


def test_users_and_map_helpers() -> None:
    result = incoming(
        "issue.assignee = users.by_email(replica.assignee.email) if replica.assignee else None\n"
        "issue.reporter = users.by_id('acc-9')\n"
        "issue.status = statuses.map(replica.status, {'To Do': 'Open'})\n"
        "issue.priority = priorities.map(replica.priority, {'Low': 'Minor'}, default='Major')\n"
        "issue.type = issue_types.map(replica.type, {})\n"
        "issue.parent = str(users.by_email(None))\n"
    )
    assert result.ok, result.error
    value = result.value
    assert value["assignee"] == {"email": "ann@example.com"}
    assert value["reporter"] == {"account_id": "acc-9"}
    assert (value["status"], value["priority"], value["type"], value["parent"]) == (
        "Open",
        "Major",
        "Bug",
        "None",
    )


def test_sync_skip_and_unlink() -> None:
    skipped = out("replica.summary = 'a'\nsync.skip('not for export')\nreplica.summary = 'b'")
    assert skipped.ok and skipped.skip == "not for export" and skipped.value == {"summary": "a"}
    unlinked = out("sync.unlink()")
    assert unlinked.ok and unlinked.unlink and unlinked.skip is None
    caught = out("try:\n    sync.skip('x')\nexcept BaseException:\n    pass")
    assert caught.skip == "x"


def test_log_and_print_are_captured_and_capped() -> None:
    result = out("log.info('hello', 1)\nlog.warning('w')\nlog.error('e')\nprint('a', 'b')\nprint('x\\ny')")
    assert result.logs == ["INFO hello 1", "WARNING w", "ERROR e", "a b", "x", "y"]
    flood = out("for i in range(100000):\n    print(i)")
    assert flood.ok
    assert len(flood.logs) == 201 and flood.logs[-1] == TRUNCATED
    small = run_inline(
        "for i in range(100):\n    log.info('x' * 100)",
        direction="outgoing",
        issue={},
        limits=ScriptLimits(max_log_bytes=1000),
    )
    assert len(small.logs) < 12 and small.logs[-1] == TRUNCATED


def test_print_rejects_file_argument() -> None:
    result = out("print('x', file=log)")
    assert result.error is not None and result.error.exception == "TypeError"


def test_re_facade_returns_match_views() -> None:
    result = out(
        "import re\n"
        "m = re.search(r'(?P<word>P\\w+) on (\\w+)', issue.summary)\n"
        "replica.custom = {'g': m.group(0), 'g1': m.group('word'), 'groups': m.groups(), 'span': m.span(2),\n"
        "  'gd': m.groupdict(), 'start': m.start(), 'end': m.end(1), 'none': re.match('x', 'y'),\n"
        "  'sub': re.sub(r'\\s+', '-', issue.summary),\n"
        "  'fn': re.sub(r'(\\w+)', lambda mm: mm.group(1).upper(), 'a b'),\n"
        "  'split': re.split(',', 'a,b'), 'all': re.findall(r'\\d', 'a1b2'), 'esc': re.escape('a.b'),\n"
        "  'i': re.fullmatch('printer ON fire', issue.summary, re.IGNORECASE) is not None}\n"
    )
    assert result.ok, result.error
    assert result.value["custom"] == {
        "g": "Printer on fire",
        "g1": "Printer",
        "groups": ["Printer", "fire"],
        "span": [11, 15],
        "gd": {"word": "Printer"},
        "start": 0,
        "end": 7,
        "none": None,
        "sub": "Printer-on-fire",
        "fn": "A B",
        "split": ["a", "b"],
        "all": ["1", "2"],
        "esc": "a\\.b",
        "i": True,
    }


def test_datetime_json_math_random_facades() -> None:
    source = (
        "import datetime, json, math, random\n"
        "created = datetime.parse(issue.created)\n"
        "due = created + datetime.timedelta(days=2, hours=1)\n"
        "replica.custom = {'due': due, 'year': due.year, 'age': (due - created).total_seconds(),\n"
        "  'later': due > created, 'json': json.loads(json.dumps({'a': [1, 2]})), 'floor': math.floor(2.7),\n"
        "  'pi': round(math.pi, 2), 'rnd': random.randint(1, 1000), 'date': due.date()}\n"
    )
    first = out(source, seed=42)
    second = out(source, seed=42)
    assert first.ok, first.error
    custom = first.value["custom"]
    assert custom["due"] == "2026-01-04T04:04:05+00:00"
    assert (custom["year"], custom["age"], custom["later"]) == (2026, 176400.0, True)
    assert (custom["json"], custom["floor"], custom["pi"], custom["date"]) == (
        {"a": [1, 2]},
        2,
        3.14,
        "2026-01-04",
    )
    assert custom["rnd"] == second.value["custom"]["rnd"]


def test_connection_and_first_sync_globals() -> None:
    result = out(
        "replica.summary = connection.name + ':' + ','.join(connection.sides) + ':' + str(first_sync)",
        connection={"name": "acme-to-globex", "sides": ["acme", "globex"]},
        first_sync=True,
    )
    assert result.value == {"summary": "acme-to-globex:acme,globex:True"}


def test_user_error_reports_innermost_script_line_and_only_script_frames() -> None:
    source = "def lookup(d):\n    return d['missing']\n\nx = 1\nlookup({})\n"
    result = out(source, filename="rules.py")
    error = result.error
    assert error is not None
    assert (error.kind, error.exception, error.line, error.value) == ("user", "KeyError", 2, "'missing'")
    assert error.column == 12
    assert error.traceback == ["line 5, in script: lookup({})", "line 2, in lookup: return d['missing']"]
    assert not any("site-packages" in line or "scripts_sandbox" in line for line in error.traceback)


def test_error_from_a_facade_points_at_the_script_line() -> None:
    result = out("import json\nx = 1\njson.loads('{')")
    assert result.error is not None
    assert (result.error.line, result.error.exception) == (3, "JSONDecodeError")
    assert result.error.traceback == ["line 3, in script: json.loads('{')"]


def test_compile_error_result() -> None:
    result = out("x = (\n")
    assert result.error is not None
    assert result.error.kind == "compile" and result.error.line == 1
    assert "syntax error" in result.error.message


def test_internal_error_does_not_leak_host_details(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(value: Any) -> int:
        raise RuntimeError("secret host path /srv/tandem/config.py")

    monkeypatch.setattr(runtime, "_json_size", broken)
    result = out("replica.summary = 'x'")
    assert result.error is not None and result.error.kind == "internal"
    assert "secret" not in result.error.message and result.error.traceback == []


def test_output_and_input_size_limits() -> None:
    big_out = out("replica.description = 'x' * 3000", limits=ScriptLimits(max_output_bytes=2000))
    assert big_out.error is not None and big_out.error.kind == "limit"
    assert big_out.error.exception == "OutputTooLarge"
    data = copy.deepcopy(ISSUE)
    data["description"] = "y" * 5000
    big_in = out("pass", issue=data, limits=ScriptLimits(max_input_bytes=4000))
    assert big_in.error is not None and big_in.error.exception == "InputTooLarge"


def test_range_is_capped() -> None:
    result = out("for i in range(10 ** 9):\n    pass")
    assert result.error is not None and result.error.exception == "ValueError"
    assert "range()" in result.error.message


def test_common_python_still_works() -> None:
    result = out(
        "a, b = 1, 2\n"
        "total = 0\n"
        "for i, (x, y) in enumerate([(1, 2), (3, 4)]):\n"
        "    total += x * y + i\n"
        "d = {k: v for k, v in zip('ab', [1, 2])}\n"
        "s = sorted({3, 1, 2}, reverse=True)\n"
        "words = ' '.join(w.upper() for w in ['a', 'b'])\n"
        "fmt = f'{total:>5}|{words!r}'\n"
        "def add(*args, **kwargs):\n"
        "    return sum(args) + len(kwargs)\n"
        "replica.custom = {'t': total, 'd': d, 's': s, 'w': words, 'f': fmt,\n"
        "  'add': add(*[1, 2], **{'k': 1}), 'min': min([3, 1], key=lambda v: -v),\n"
        "  'has': hasattr('x', 'upper'), 'up': getattr('x', 'upper')()}\n"
    )
    assert result.ok, result.error
    assert result.value["custom"] == {
        "t": 15,
        "d": {"a": 1, "b": 2},
        "s": [3, 2, 1],
        "w": "A B",
        "f": "   15|'A B'",
        "add": 4,
        "min": 3,
        "has": True,
        "up": "X",
    }


def test_fresh_replica_containers_can_be_filled_in_place() -> None:
    result = out(
        "replica.custom['customfield_1'] = 2\n"
        "replica.labels.append('x')\n"
        "replica.summary = replica.get('summary', 'd')"
    )
    assert result.ok, result.error
    assert result.value == {"custom": {"customfield_1": 2}, "labels": ["x"], "summary": "d"}


def test_fields_the_other_side_did_not_send_read_as_empty() -> None:
    result = incoming(
        "issue.summary = replica.summary\n"
        "issue.labels = list(replica.labels)\n"
        "issue.custom = replica.custom.to_dict()\n"
        "issue.description = str(replica['description'])\n",
        replica={"key": "SUP-1"},
    )
    assert result.ok, result.error
    value = result.value
    assert (value["summary"], value["labels"], value["custom"], value["description"]) == (
        None,
        [],
        {},
        "None",
    )
    typo = incoming("x = replica.sumary", replica={"key": "SUP-1"})
    assert (
        typo.error is not None
        and typo.error.message == "replica has no field 'sumary' (did you mean 'summary'?)"
    )
