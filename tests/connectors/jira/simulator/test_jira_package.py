"""The third-party ``jira`` package (REST v2 + /search/jql) works against the simulator."""

from __future__ import annotations

from jira import JIRA

from connectors.jira.simulator import JiraSimulator, Site


def test_jira_package_round_trip(sim: JiraSimulator, acme: Site) -> None:
    client = JIRA(server=sim.base_url("acme"), basic_auth=(acme.admin_email, acme.admin_api_token))
    try:
        assert client.server_info()["deploymentType"] == "Cloud"
        issue = client.create_issue(
            project="SUP",
            summary="From the jira package",
            issuetype={"name": "Bug"},
            description="Plain *wiki* text",
        )
        assert issue.key == "SUP-1"
        assert issue.fields.description == "Plain *wiki* text"
        # v2 plain text became ADF inside the site.
        assert acme.issue("SUP-1").fields["description"]["type"] == "doc"

        found = client.enhanced_search_issues("project = SUP AND summary ~ package", maxResults=10)
        assert [i.key for i in found] == ["SUP-1"]

        comment = client.add_comment(issue, "Looks good")
        assert comment.body == "Looks good"
        assert [c.body for c in client.comments(issue)] == ["Looks good"]

        names = {t["name"] for t in client.transitions(issue)}
        assert "Start progress" in names
        client.transition_issue(issue, "Start progress")
        assert client.issue("SUP-1").fields.status.name == "In Progress"
        assert acme.stats.calls["doTransition"] == 1
    finally:
        client.close()  # type: ignore[no-untyped-call]
