"""Read-only HTML pages to watch a simulated site in a browser: ``/<site>/`` and ``/<site>/browse/KEY``.

Real Jira serves the issue view at ``/browse/KEY``; here it is a plain page, refreshed every few
seconds, so the demo has something to open. It shows data only and is served without login:
the simulator is a local development tool bound to loopback.
"""

from __future__ import annotations

from html import escape
from typing import Any

from werkzeug.wrappers import Response

from .model import Issue
from .render import Renderer
from .state import Site

FIELDS = [
    "summary",
    "status",
    "priority",
    "labels",
    "assignee",
    "issuetype",
    "parent",
    "updated",
    "description",
]
STYLE = """
body{font:14px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,sans-serif;margin:2rem;color:#172B4D}
a{color:#0052CC;text-decoration:none} table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #DFE1E6;padding:.35rem .6rem;text-align:left;vertical-align:top}
th{color:#5E6C84;font-weight:600} .lozenge{background:#DEEBFF;color:#0747A6;border-radius:3px;padding:0 .4rem}
pre{white-space:pre-wrap;background:#F4F5F7;padding:.6rem;border-radius:3px} .muted{color:#6B778C}
"""


def _page(title: str, body: str) -> Response:
    html = (
        f'<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="3">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>{body}</body></html>"
    )
    return Response(html, mimetype="text/html")


def _name(user: dict[str, Any] | None) -> str:
    return escape(user["displayName"]) if user else '<span class="muted">Unassigned</span>'


def _fields(site: Site, issue: Issue) -> dict[str, Any]:
    rendered: dict[str, Any] = Renderer(site, api="2").issue(issue, fields=FIELDS)["fields"]
    return rendered


def site_index(site: Site) -> Response:
    with site.lock:
        issues = sorted(site.issues.values(), key=lambda i: (i.project_key, int(i.id)))
        rows = []
        for issue in issues:
            fields = _fields(site, issue)
            link = f'<a href="{escape(site.base_url)}/browse/{escape(issue.key)}">{escape(issue.key)}</a>'
            rows.append(
                f"<tr><td>{link}</td><td>{escape(fields['summary'] or '')}</td>"
                f'<td><span class="lozenge">{escape(fields["status"]["name"])}</span></td>'
                f"<td>{escape(fields['priority']['name'] if fields['priority'] else '')}</td>"
                f"<td>{_name(fields['assignee'])}</td><td>{len(issue.comments)}</td></tr>"
            )
    table = (
        "<table><tr><th>Key</th><th>Summary</th><th>Status</th><th>Priority</th><th>Assignee</th>"
        f"<th>Comments</th></tr>{''.join(rows)}</table>"
        if rows
        else '<p class="muted">No issues yet.</p>'
    )
    return _page(f"{site.name} — simulated Jira", f"<h1>{escape(site.name)}</h1>{table}")


def issue_page(site: Site, key: str) -> Response:
    with site.lock:
        issue = next((i for i in site.issues.values() if i.key == key), None)
        if issue is None:
            return Response("Issue not found", status=404, mimetype="text/plain")
        fields = _fields(site, issue)
        renderer = Renderer(site, api="2")
        comments = "".join(
            f"<li><b>{_name(renderer.user(c.author))}</b> <span class='muted'>{c.created:%Y-%m-%d %H:%M}"
            f"</span><pre>{escape(renderer.rich_text(c.body) or '')}</pre></li>"
            for c in issue.comments
        )
        attachments = "".join(
            f"<li>{escape(a.filename)} ({len(a.content)} bytes)</li>" for a in issue.attachments
        )
        links = "".join(
            f'<li><a href="{escape(link["object"]["url"])}">{escape(link["object"]["title"])}</a></li>'
            for link in (renderer.remote_link(issue, item) for item in issue.remote_links)
        )
    priority = fields["priority"]["name"] if fields["priority"] else "—"
    labels = ", ".join(fields["labels"] or []) or "—"
    body = (
        f'<p><a href="{escape(site.base_url)}/">{escape(site.name)}</a> / {escape(issue.key)}</p>'
        f"<h1>{escape(fields['summary'] or '')}</h1>"
        f'<p><span class="lozenge">{escape(fields["status"]["name"])}</span> '
        f"{escape(fields['issuetype']['name'])} · priority {escape(priority)}"
        f" · assignee {_name(fields['assignee'])} · labels {escape(labels)}</p>"
        f"<h3>Description</h3><pre>{escape(fields['description'] or '')}</pre>"
        f"<h3>Linked issues</h3><ul>{links or '<li class=muted>none</li>'}</ul>"
        f"<h3>Attachments</h3><ul>{attachments or '<li class=muted>none</li>'}</ul>"
        f"<h3>Comments</h3><ul>{comments or '<li class=muted>none</li>'}</ul>"
    )
    return _page(f"{issue.key} — {site.name}", body)
