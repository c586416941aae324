from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connectors.jira.simulator import Site
from connectors.jira.simulator.errors import JiraApiError
from connectors.jira.simulator.jql import And, Clause, JqlError, Literal, Not, Or, parse, tokenize


def test_tokenizer_keeps_quoted_strings_and_operators() -> None:
    tokens = tokenize('summary ~ "login fails" AND labels != urgent')
    assert [t.kind for t in tokens] == ["word", "op", "string", "keyword", "word", "op", "word", "end"]
    assert tokens[2].text == "login fails"


def test_and_binds_tighter_than_or() -> None:
    query = parse("a = 1 OR b = 2 AND c = 3")
    assert isinstance(query.where, Or)
    assert isinstance(query.where.right, And)


def test_parentheses_and_not() -> None:
    query = parse("NOT (a = 1 OR b = 2) AND c IN (x, 'y z')")
    assert isinstance(query.where, And)
    assert isinstance(query.where.left, Not)
    clause = query.where.right
    assert isinstance(clause, Clause) and clause.operator == "IN"
    assert clause.operand == (Literal("x"), Literal("y z"))


def test_order_by_multiple_fields() -> None:
    query = parse("project = SUP ORDER BY priority DESC, key ASC")
    assert [(o.field, o.descending) for o in query.order_by] == [("priority", True), ("key", False)]


@pytest.mark.parametrize(
    ("jql", "fragment"),
    [
        ("project = ", "Expecting either a value, list or function"),
        ("project SUP", "Expecting operator"),
        ("(project = SUP", "Expecting ')'"),
        ("project = SUP AND", "Expecting a field name"),
        ("project is SUP", "Expecting 'EMPTY' or 'NULL'"),
        ("project = SUP extra", "Expecting either 'OR' or 'AND'"),
        ("summary ~ foo & bar", "reserved JQL character"),
    ],
)
def test_syntax_errors_use_jira_wording(jql: str, fragment: str) -> None:
    with pytest.raises(JqlError) as info:
        parse(jql)
    assert fragment in str(info.value)
    assert str(info.value).startswith("Error in the JQL Query:")


@pytest.fixture
def site() -> Site:
    site = Site("acme")
    admin = site.admin.account_id
    alice = next(u for u in site.users.values() if u.display_name.startswith("Alice")).account_id
    site.create_issue_as(
        admin,
        {
            "project": "SUP",
            "summary": "Login fails with SSO",
            "labels": ["urgent", "sso"],
            "assignee": {"accountId": alice},
            "priority": {"name": "High"},
            "customfield_10042": "Initech",
        },
    )
    site.create_issue_as(
        alice,
        {
            "project": "SUP",
            "summary": "Export is slow",
            "description": "CSV export takes minutes",
            "customfield_10016": 5,
        },
    )
    site.create_issue_as(admin, {"project": "OPS", "summary": "Rotate keys", "labels": ["ops"]})
    site.transition_as(admin, "SUP-2", "Resolved")
    site.set_property("OPS-1", "tandem", {"origin": {"site": "globex", "key": "DEV-7"}})
    return site


def keys(site: Site, jql: str, user: str | None = None) -> list[str]:
    return [issue.key for issue in site.search(jql, user)]


@pytest.mark.parametrize(
    ("jql", "expected"),
    [
        ("project = SUP ORDER BY key ASC", ["SUP-1", "SUP-2"]),
        ("project != SUP", ["OPS-1"]),
        ("key IN (SUP-1, OPS-1) ORDER BY key DESC", ["SUP-1", "OPS-1"]),
        ("key NOT IN (SUP-1) ORDER BY key", ["OPS-1", "SUP-2"]),
        ("labels = urgent", ["SUP-1"]),
        ("labels IS EMPTY", ["SUP-2"]),
        ("labels IS NOT EMPTY ORDER BY key", ["OPS-1", "SUP-1"]),
        ("summary ~ login", ["SUP-1"]),
        ("summary ~ 'LOGIN sso'", ["SUP-1"]),
        ("summary ~ 'log*'", ["SUP-1"]),
        ("summary !~ login ORDER BY key", ["OPS-1", "SUP-2"]),
        ("text ~ minutes", ["SUP-2"]),
        ("status = Resolved", ["SUP-2"]),
        ("resolution = Done", ["SUP-2"]),
        ("resolution IS EMPTY ORDER BY key", ["OPS-1", "SUP-1"]),
        ("priority = High", ["SUP-1"]),
        ("issuetype = Task AND project = OPS", ["OPS-1"]),
        ("cf[10042] = Initech", ["SUP-1"]),
        ('"Customer" ~ initech', ["SUP-1"]),
        ("customfield_10042 IS EMPTY ORDER BY key", ["OPS-1", "SUP-2"]),
        ("cf[10016] >= 5", ["SUP-2"]),
        ("cf[10016] < 5", []),
        ("key > SUP-1", ["SUP-2"]),
        ('issue.property[tandem].origin.key = "DEV-7"', ["OPS-1"]),
        ("NOT project = SUP", ["OPS-1"]),
        ("project = SUP AND (labels = sso OR status = Resolved) ORDER BY key", ["SUP-1", "SUP-2"]),
        ("assignee IS EMPTY ORDER BY key", ["OPS-1", "SUP-2"]),
        ("assignee = 'alice@example.com'", ["SUP-1"]),
    ],
)
def test_operators_against_issues(site: Site, jql: str, expected: list[str]) -> None:
    assert keys(site, jql) == expected


def test_current_user_function(site: Site) -> None:
    alice = site.issue("SUP-2").creator
    assert keys(site, "reporter = currentUser()", alice) == ["SUP-2"]


def test_dates_relative_and_absolute(site: Site) -> None:
    assert len(keys(site, "created >= -5m")) == 3
    assert keys(site, "created < -1d") == []
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d")
    assert len(keys(site, f'updated < "{tomorrow}"')) == 3
    assert len(keys(site, "updated <= now()")) == 3
    site.issue("SUP-1").updated = datetime(2026, 1, 5, 10, 0, 30, tzinfo=UTC)
    # Minute precision: 10:00:30 equals "10:00" and is not after it.
    assert "SUP-1" in keys(site, 'updated = "2026-01-05 10:00"')
    assert "SUP-1" not in keys(site, 'updated > "2026-01-05 10:00"')


def test_unknown_field_and_project_are_400(site: Site) -> None:
    with pytest.raises(JiraApiError) as info:
        site.search("foo = bar", None)
    assert info.value.status == 400
    assert info.value.messages == ["Field 'foo' does not exist or you do not have permission to view it."]
    with pytest.raises(JiraApiError) as info:
        site.search("project = NOPE", None)
    assert "The value 'NOPE' does not exist for the field 'project'." in info.value.messages


def test_text_field_rejects_equals(site: Site) -> None:
    with pytest.raises(JiraApiError) as info:
        site.search("summary = login", None)
    assert "The operator '=' is not supported by the 'summary' field." in info.value.messages


def test_order_by_descending_created_then_key(site: Site) -> None:
    assert keys(site, "ORDER BY key DESC") == ["SUP-2", "SUP-1", "OPS-1"]


def test_order_by_priority_uses_rank_and_users_sort_by_name(site: Site) -> None:
    site.update_issue_as("admin-acme", "OPS-1", {"priority": {"name": "Highest"}})
    site.update_issue_as("admin-acme", "SUP-2", {"priority": {"name": "Lowest"}})
    assert keys(site, "ORDER BY priority DESC") == ["OPS-1", "SUP-1", "SUP-2"]
    assert keys(site, "ORDER BY priority ASC") == ["SUP-2", "SUP-1", "OPS-1"]
    # "Acme Admin" sorts before "Alice Anders".
    assert keys(site, "ORDER BY reporter DESC, key ASC") == ["SUP-2", "OPS-1", "SUP-1"]
