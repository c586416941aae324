"""The pages Jira shows in its iframes: rendered for a valid page-load token, nothing else."""

from __future__ import annotations

from html.parser import HTMLParser

from flask import Flask

from plugin.admin.views import ALL_JS
from plugin.models.sync import JobState
from tests.plugin.admin.conftest import BASE_URL, Site, add_job, add_twin


class Elements(HTMLParser):
    """Ids, script sources and attributes of every element of a page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.ids: dict[str, dict[str, str | None]] = {}
        self.scripts: list[str | None] = []
        self.by_class: dict[str, list[dict[str, str | None]]] = {}
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids[str(attributes["id"])] = attributes
        if tag == "script":
            self.scripts.append(attributes.get("src"))
        for name in (attributes.get("class") or "").split():
            self.by_class.setdefault(name, []).append(attributes)


ADMIN_IDS = {
    "no-ap",
    "connections",
    "create-form",
    "invitation-code",
    "accept-form",
    "remote-form",
    "detail",
    "side-form",
    "mapping-table",
    "script-source",
    "script-gutter",
    "script-errors",
    "script-publish",
    "script-test",
    "test-result",
    "test-logs",
    "versions",
    "jobs",
    "queue-counters",
    "twins",
    "sync-form",
    "bulk-form",
    "link-form",
}


def test_admin_page_renders_with_everything_the_admin_needs(acme: Site) -> None:
    response = acme.page("/admin/page")
    assert response.status_code == 200
    assert response.content_type.startswith("text/html")
    assert response.headers["Cache-Control"] == "no-store"
    page = Elements(response.get_data(as_text=True))
    assert set(page.ids) >= ADMIN_IDS
    assert page.scripts == [ALL_JS, f"{BASE_URL}/static/admin.js"]
    assert "hidden" in page.ids["no-ap"]  # shown by the script only outside Jira


def test_admin_page_prefills_the_project_of_the_project_admin_tab(acme: Site) -> None:
    html = acme.page("/admin/page?project=SUP").get_data(as_text=True)
    page = Elements(html)
    assert 'data-project="SUP"' in html
    assert 'name="project_key" required maxlength="64" value="SUP"' in html
    assert "project SUP" in html
    assert "create-form" in page.ids


def test_a_project_parameter_that_is_not_a_key_is_ignored(acme: Site) -> None:
    html = acme.page("/admin/page?project=%22%3E%3Cscript%3Ealert(1)%3C/script%3E").get_data(as_text=True)
    assert "alert(1)" not in html
    assert 'data-project=""' in html


def test_page_without_a_token_is_refused(acme: Site) -> None:
    assert acme.client.get("/admin/page").status_code == 401
    assert acme.client.get("/admin/issue-panel?issue=SUP-1").status_code == 401


def test_static_files_are_served(acme: Site) -> None:
    for name, needle in (
        ("admin.js", b"AP.context.getToken"),
        ("admin.css", b"#0052cc"),
        ("tandem.svg", b"<svg"),
    ):
        response = acme.client.get(f"/static/{name}")
        assert response.status_code == 200
        assert needle in response.get_data()
        response.close()


def test_issue_panel_lists_the_twins_of_the_issue(app: Flask, acme: Site, globex: Site, linked: int) -> None:
    twin_id = add_twin(app, linked, "SUP-1", "DEV-7")
    add_twin(app, linked, "SUP-2", "DEV-8")
    add_job(app, linked, JobState.FAILED, twin_id=twin_id)

    response = acme.page("/admin/issue-panel?issue=SUP-1&project=SUP")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    page = Elements(html)
    assert "issue-twins" in page.ids
    (button,) = page.by_class["sync-now"]
    assert (button["data-connection"], button["data-position"], button["data-issue"]) == (
        str(linked),
        "a",
        "SUP-1",
    )
    assert "DEV-7" in html and "DEV-8" not in html
    assert "1 conflict" in html
    assert "(line 2)" in html  # the last job's error, with its script line

    # On the other site the same pair is seen from side b.
    other = Elements(globex.page("/admin/issue-panel?issue=DEV-7").get_data(as_text=True))
    (button,) = other.by_class["sync-now"]
    assert button["data-position"] == "b"


def test_issue_panel_does_not_show_twins_of_another_sites_issue(app: Flask, acme: Site, linked: int) -> None:
    add_twin(app, linked, "SUP-1", "DEV-7")
    # DEV-7 lives on globex's side; on acme's site a same-named key is a different issue.
    html = acme.page("/admin/issue-panel?issue=DEV-7").get_data(as_text=True)
    assert "no-twins" in Elements(html).ids


def test_issue_panel_escapes_connection_names(app: Flask, acme: Site, globex: Site) -> None:
    created = acme.ok("POST", "/connections", {"name": "<b>bold</b>", "project_key": "SUP"}, 201)
    globex.ok("POST", "/invitations/accept", {"code": created["invitation_code"], "project_key": "DEV"})
    add_twin(app, created["connection"]["id"], "SUP-3", "DEV-3")
    html = acme.page("/admin/issue-panel?issue=SUP-3").get_data(as_text=True)
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "<b>bold</b>" not in html


def test_issue_panel_without_an_issue(acme: Site) -> None:
    response = acme.page("/admin/issue-panel")
    assert response.status_code == 200
    assert "No issue selected" in response.get_data(as_text=True)
