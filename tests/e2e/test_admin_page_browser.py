"""The admin page in a real browser (Debian's Chromium via Playwright), inside a stand-in for Jira.

Jira runs the page in an iframe and gives it ``AP.context.getToken()``; here Atlassian's
all.js is replaced by a few lines that hand out a context token minted for the site's admin,
so the page talks to the real server, which talks to the real simulator.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from connectors.jira.connect_jwt import CONTEXT_QSH, encode_token
from plugin.models.sync import JobState
from tests.e2e.conftest import A_SITE, B_PROJECT, B_SITE, Env

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
BROKEN = "replica.summary = issue.summary\nreplica.labels = issue.labels + 1\n"
FIXED = "replica.summary = issue.summary\nreplica.labels = issue.labels\n"
STAND_IN = "window.AP = {context: {getToken: function (cb) { cb(TOKEN); }}, resize: function () {}};"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def _token(env: Env, site: str, method: str, url: str, **claims: str) -> str:
    install = env.stack.installs[site]
    return encode_token(
        issuer=install["clientKey"],
        secret=install["sharedSecret"],
        method=method,
        url=url,
        base_url=env.stack.base_url,
        lifetime=600,
        extra_claims={"sub": f"admin-{site}", **claims},
    )


def open_admin_page(env: Env, browser: Browser, site: str) -> Page:
    context_token = _token(env, site, "GET", "/", qsh=CONTEXT_QSH)
    stand_in = STAND_IN.replace("TOKEN", json.dumps(context_token))
    page = browser.new_page()

    def serve_stand_in(route: Route) -> None:
        route.fulfill(status=200, content_type="application/javascript", body=stand_in)

    page.route("https://connect-cdn.atl-paas.net/all.js", serve_stand_in)
    page.goto(f"{env.stack.base_url}/admin/page?jwt={_token(env, site, 'GET', '/admin/page')}")
    return page


def test_failed_job_is_shown_with_its_line_and_retried_from_the_page(env: Env, browser: Browser) -> None:
    connection = env.connect()
    env.stack.api(A_SITE, "POST", f"/admin/api/connections/{connection}/scripts/outgoing", {"source": BROKEN})
    issue = env.create_a("Broken by a script")
    env.eventually(lambda: bool(env.jobs(JobState.FAILED)))

    page = open_admin_page(env, browser, A_SITE)
    row = page.locator(f'tr[data-connection="{connection}"]')
    expect(row).to_contain_text("e2e")
    expect(row).to_contain_text("active")
    row.get_by_role("button", name="Open").click()

    page.get_by_role("tab", name="Scripts").click()
    expect(page.locator("#script-source")).not_to_have_value("")  # the running script has loaded
    page.locator("#script-source").fill(FIXED)
    page.locator("#script-publish").click()
    expect(page.locator("#versions tbody")).to_contain_text("2")

    page.get_by_role("tab", name="Sync queue").click()
    failed = page.locator("#jobs tbody tr", has_text="failed")
    expect(failed).to_contain_text(issue.key)
    expect(failed).to_contain_text("line 2")
    failed.get_by_role("button", name="Retry").click()

    env.eventually(lambda: len(env.issues_in(B_SITE, B_PROJECT)) == 1)
    page.close()


def test_publishing_a_broken_script_shows_line_and_column(env: Env, browser: Browser) -> None:
    connection = env.connect()
    page = open_admin_page(env, browser, A_SITE)
    page.locator(f'tr[data-connection="{connection}"]').get_by_role("button", name="Open").click()
    page.get_by_role("tab", name="Scripts").click()
    expect(page.locator("#script-source")).not_to_have_value("")  # the running script has loaded
    page.locator("#script-source").fill("replica.summary = issue.summary\nreplica.labels = (\n")
    page.locator("#script-publish").click()
    errors = page.locator("#script-errors")
    expect(errors).to_be_visible()
    expect(errors).to_contain_text("2:")
    page.close()


def test_creating_a_connection_from_the_page_shows_an_invitation_code(env: Env, browser: Browser) -> None:
    page = open_admin_page(env, browser, A_SITE)
    form = page.locator("#create-form")
    form.locator("[name=name]").fill("From the browser")
    form.locator("[name=project_key]").fill("OPS")
    form.get_by_role("button").click()
    code = page.locator("#invitation-code")
    expect(code).not_to_be_empty()
    accepted = env.stack.api(
        B_SITE,
        "POST",
        "/admin/api/invitations/accept",
        {"code": code.inner_text(), "project_key": "DEV"},
        expect=200,
    )
    assert accepted["connection"]["state"] == "active"
    page.close()
