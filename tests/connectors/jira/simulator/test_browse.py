"""The read-only browse pages the demo points people at."""

from __future__ import annotations

import requests

from connectors.jira.simulator import JiraSimulator


def test_site_index_and_issue_page_show_the_issue() -> None:
    with JiraSimulator(sites=("acme",)).start(port=0) as sim:
        site = sim.site("acme")
        issue = site.create_issue_as(site.admin.account_id, {"project": "SUP", "summary": "Visible <b>x</b>"})
        site.add_comment_as(site.admin.account_id, issue.key, "A comment")
        index = requests.get(sim.base_url("acme") + "/", timeout=10)
        assert index.status_code == 200 and "text/html" in index.headers["Content-Type"]
        assert issue.key in index.text
        assert "Visible &lt;b&gt;x&lt;/b&gt;" in index.text  # escaped, never raw HTML
        page = requests.get(f"{sim.base_url('acme')}/browse/{issue.key}", timeout=10)
        assert page.status_code == 200 and "A comment" in page.text
        assert requests.get(f"{sim.base_url('acme')}/browse/NOPE-1", timeout=10).status_code == 404
