"""``tandem demo``: two simulated Jira sites kept in sync by a real Tandem server.

Everything goes through the production paths: the simulator installs the app with a signed
install, the connection is created and accepted through the admin API with context tokens,
changes travel as JWT-signed webhooks, and the "people" editing issues use Jira's REST API.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from connectors.base import IssueChanges
from connectors.model import Issue
from plugin.extensions import db
from plugin.models.sync import Twin
from plugin.stack import Stack, running_stack

# The two demo projects use different workflows; the visual mapping translates statuses.
ACME_TO_GLOBEX_STATUS = {"Open": "To Do", "In Progress": "In Progress", "Resolved": "Done", "Closed": "Done"}
GLOBEX_TO_ACME_STATUS = {
    "To Do": "Open",
    "In Progress": "In Progress",
    "In Review": "In Progress",
    "Done": "Resolved",
}


def _mapping(status_values: dict[str, str]) -> dict[str, Any]:
    rows: list[dict[str, Any]] = [{"local": "type", "remote": "type", "when": "create"}]
    for name in ("summary", "description", "priority", "labels", "assignee", "comments", "attachments"):
        rows.append({"local": name, "remote": name})
    rows.append({"local": "status", "remote": "status", "values": status_values, "unmapped": "keep"})
    return {"rows": rows}


@dataclass
class Propagation:
    what: str
    route: str
    seconds: float | None


class Demo:
    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.people = {site: self.stack.person(site) for site in ("acme", "globex")}
        self.results: list[Propagation] = []
        self.connection_id = 0

    def connect(self) -> None:
        self.connection_id = self.stack.connect(
            "acme",
            "SUP",
            "globex",
            "DEV",
            name="Acme Support <-> Globex Engineering",
            a_settings={"mode": "visual", "visual_mapping": _mapping(GLOBEX_TO_ACME_STATUS)},
            b_settings={"mode": "visual", "visual_mapping": _mapping(ACME_TO_GLOBEX_STATUS)},
        )

    def twin_key(self, site: str, key: str) -> str | None:
        position, other = ("a", "b") if site == "acme" else ("b", "a")
        column = Twin.a_issue_key if position == "a" else Twin.b_issue_key
        with self.stack.app.app_context():
            twin = db.session.execute(db.select(Twin).where(column == key)).scalar_one_or_none()
            found = twin.issue_key(other) if twin else None
            db.session.remove()
        return found

    def measure(self, what: str, route: str, action: Callable[[], Any], arrived: Callable[[], bool]) -> None:
        started = time.perf_counter()
        action()
        ok = self.stack.wait_for(_quietly(arrived), timeout=20)
        seconds = time.perf_counter() - started if ok else None
        self.results.append(Propagation(what, route, seconds))
        shown = f"{seconds * 1000:7.0f} ms" if seconds is not None else "  did not arrive"
        click.echo(f"  {what:<44} {route:<18} {shown}")

    def remote(self, site: str, key: str) -> Issue:
        other = "globex" if site == "acme" else "acme"
        twin = self.twin_key(site, key)
        assert twin is not None
        return self.people[other].get_issue(twin)

    def run(self) -> bool:
        acme, globex = self.people["acme"], self.people["globex"]
        created: list[str] = []

        def create(summary: str, kind: str, priority: str, labels: list[str]) -> None:
            tags = ", ".join(labels)
            body = f"Reported by a customer.\n\n- seen in **{kind.lower()}** triage\n- labels: `{tags}`"
            issue = acme.create_issue(
                "SUP",
                kind,
                IssueChanges(
                    {"summary": summary, "description": body, "priority": priority, "labels": labels}
                ),
                origin=f"demo-{len(created)}",
            )
            created.append(issue.key)

        click.echo("\nPropagation (each line: a change on one site, until its twin shows it)")
        samples = [
            ("Login page times out after SSO redirect", "Bug", "High", ["customer", "sso"]),
            ("Export to CSV drops unicode names", "Bug", "Medium", ["export"]),
            ("Add audit log for admin actions", "Story", "Low", ["compliance"]),
        ]
        for number, (summary, kind, priority, labels) in enumerate(samples):
            self.measure(
                f"create {summary[:30]}…",
                "acme → globex",
                _bind(create, summary, kind, priority, labels),
                _bind(self._created_twin_exists, created, number),
            )
        first = created[0]
        self.measure(
            f"comment on {first}",
            "acme → globex",
            lambda: acme.add_comment(
                self._id("acme", first), "Customer confirms it happens on **Chrome** too."
            ),
            lambda: any("Chrome" in c.body for c in self.remote("acme", first).comments),
        )
        self.measure(
            f"attachment on {first}",
            "acme → globex",
            lambda: acme.upload_attachment(
                self._id("acme", first),
                "har-trace.txt",
                io.BytesIO(b"GET /sso/callback 504\n" * 40),
                "text/plain",
            ),
            lambda: any(a.filename == "har-trace.txt" for a in self.remote("acme", first).attachments),
        )
        twin = self.twin_key("acme", first)
        assert twin is not None
        self.measure(
            f"summary edit on {twin}",
            "globex → acme",
            lambda: globex.update_issue(
                self._id("globex", twin),
                IssueChanges({"summary": "Login times out after SSO redirect (504)"}),
            ),
            lambda: self.people["acme"].get_issue(first).summary.endswith("(504)"),
        )
        self.measure(
            f"status change on {twin}",
            "globex → acme",
            lambda: globex.transition(self._id("globex", twin), "In Progress"),
            lambda: self.people["acme"].get_issue(first).status == "In Progress",
        )
        self.measure(
            f"comment on {twin}",
            "globex → acme",
            lambda: globex.add_comment(
                self._id("globex", twin), "Root cause: the IdP callback waits on a lock."
            ),
            lambda: any("IdP callback" in c.body for c in self.people["acme"].get_issue(first).comments),
        )
        self.measure(
            f"priority edit on {first}",
            "acme → globex",
            lambda: acme.update_issue(self._id("acme", first), IssueChanges({"priority": "Highest"})),
            lambda: self.remote("acme", first).priority == "Highest",
        )
        settled = self.stack.settle(timeout=20)
        self.print_twins(created)
        latencies = [r.seconds for r in self.results if r.seconds is not None]
        if latencies:
            p50, worst = statistics.median(latencies) * 1000, max(latencies) * 1000
            click.echo(f"\nlatency over {len(latencies)} propagations: p50 {p50:.0f} ms, max {worst:.0f} ms")
        return settled and all(r.seconds is not None for r in self.results) and self.converged(created)

    def _created_twin_exists(self, created: list[str], number: int) -> bool:
        return len(created) > number and self.twin_key("acme", created[number]) is not None

    def _id(self, site: str, key: str) -> str:
        return self.people[site].get_issue(key).id

    def converged(self, keys: list[str]) -> bool:
        for key in keys:
            mine, theirs = self.people["acme"].get_issue(key), self.remote("acme", key)
            if mine.summary != theirs.summary or mine.priority != theirs.priority:
                return False
            if ACME_TO_GLOBEX_STATUS.get(mine.status or "", mine.status) != theirs.status:
                return False
            if len(mine.comments) != len(theirs.comments) or len(mine.attachments) != len(theirs.attachments):
                return False
        return True

    def print_twins(self, keys: list[str]) -> None:
        click.echo("\nTwins")
        click.echo(f"  {'acme':<8} {'globex':<8} {'status (acme / globex)':<28} {'comments':<9} summary")
        for key in keys:
            mine, theirs = self.people["acme"].get_issue(key), self.remote("acme", key)
            status = f"{mine.status} / {theirs.status}"
            comments = f"{len(mine.comments)} / {len(theirs.comments)}"
            click.echo(f"  {mine.key:<8} {theirs.key:<8} {status:<28} {comments:<9} {mine.summary[:50]}")


def _bind(function: Callable[..., Any], *args: Any) -> Callable[[], Any]:
    return lambda: function(*args)


def _quietly(predicate: Callable[[], bool]) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return bool(predicate())
        except Exception:  # the twin may not exist yet; keep waiting
            return False

    return check


@click.command("demo")
@click.option(
    "--once", is_flag=True, help="Run the scenario, print the figures, exit 0 if everything converged."
)
@click.option("--database", default=None, help="Database URL (default: a fresh SQLite file in instance/).")
def demo(once: bool, database: str | None) -> None:
    """Two simulated Jira sites, the app installed into both, issues syncing both ways."""
    if database is None:
        path = Path(os.environ.get("TANDEM_DEMO_DIR", "instance")) / "demo.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        database = f"sqlite:///{path.resolve()}"
    with running_stack(database, poll_interval=5.0, create_schema=False, migrate=True) as stack:
        click.echo(
            f"Tandem server      {stack.base_url}  (descriptor: {stack.base_url}/atlassian-connect.json)"
        )
        for site in ("acme", "globex"):
            sim_site = stack.sim.site(site)
            click.echo(
                f"Jira site {site:<8} {stack.sim.base_url(site)}  "
                f"(basic auth: {sim_site.admin_email} / {sim_site.admin_api_token})"
            )
        click.echo("App installed into both sites through the signed-install flow.")
        runner = Demo(stack)
        runner.connect()
        click.echo("Connection created on acme (project SUP) and accepted on globex (project DEV).")
        ok = runner.run()
        click.echo("\nconverged: " + ("yes" if ok else "NO"))
        if once:
            sys.exit(0 if ok else 1)
        click.echo("\nOpen these to watch both sites (the pages refresh every 3 s):")
        for site in ("acme", "globex"):
            click.echo(f"  {stack.sim.base_url(site)}/")
        click.echo(
            "Edit issues with any Jira REST client (basic auth above); changes sync both ways."
            "\nPress Ctrl-C to stop."
        )
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            click.echo("stopping")
