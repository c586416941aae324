"""``tandem sim jira``: run the simulator in the foreground and print how to reach each site."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import click

from .server import JiraSimulator


@click.command("jira")
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Interface to bind (keep loopback: /_sim is open)."
)
@click.option(
    "--port", default=8081, show_default=True, type=int, help="Port of the main server (0: any free port)."
)
@click.option("--sites", default="acme,globex", show_default=True, help="Comma-separated site names.")
@click.option("--seed", "issues", default=20, show_default=True, type=int, help="Issues seeded per project.")
@click.option(
    "--latency", default=0.0, show_default=True, type=float, help="Seconds added to every REST call."
)
@click.option("--error-rate", default=0.0, show_default=True, type=float, help="Share of REST calls failing.")
@click.option("--per-site-ports", is_flag=True, help="Serve each site on its own port, at the root path.")
@click.option(
    "--exit-after", type=float, default=None, hidden=True, help="Stop after N seconds (smoke tests)."
)
def sim_command(
    host: str,
    port: int,
    sites: str,
    issues: int,
    latency: float,
    error_rate: float,
    per_site_ports: bool,
    exit_after: float | None,
) -> None:
    """Run a simulated Jira Cloud (REST v3, Connect install, webhooks) until interrupted."""
    names = [name.strip() for name in sites.split(",") if name.strip()]
    sim = JiraSimulator(sites=names, issues_per_project=issues, latency=latency)
    for site in sim.sites.values():
        site.configure(error_rate=error_rate)
    sim.start(host=host, port=port, per_site_ports=per_site_ports)
    click.echo(f"Jira simulator at {sim.url} (control API: {sim.url}/_sim/sites)")
    for name, site in sim.sites.items():
        click.echo(
            f"  {name}: {sim.base_url(name)}  admin {site.admin_email} / API token {site.admin_api_token}"
        )
    click.echo(f"  key server: {sim.key_server_url}   OAuth token URL: {sim.oauth_token_url}")
    try:
        threading.Event().wait(exit_after)
    except KeyboardInterrupt:
        click.echo("stopping")
    finally:
        sim.stop()


def main(argv: Sequence[str] | None = None) -> None:
    sim_command.main(args=list(argv) if argv is not None else None, prog_name="jira-simulator")
