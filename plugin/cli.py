"""The ``tandem`` command: serve, db, and the feature subcommands."""

from __future__ import annotations

import importlib

import click

from plugin import create_app

# Feature subcommand groups, added by their own modules as they land (module, attribute).
SUBCOMMANDS: tuple[tuple[str, str], ...] = (
    ("plugin.demo", "demo"),
    ("plugin.sync.cli", "sync"),
    ("plugin.sync.cli", "worker"),
    ("plugin.sim_cli", "sim"),
    ("scripts_sandbox.cli", "script"),
)


@click.group()
def main() -> None:
    """Tandem: two-way issue sync for Jira Cloud."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--dev", is_flag=True, help="Flask's reloading development server.")
@click.option("--threads", default=8, show_default=True, type=int)
def serve(host: str, port: int, dev: bool, threads: int) -> None:
    """Run the add-on server (waitress; Flask's server with --dev)."""
    from plugin.sync.dispatcher import start_dispatcher, stop_dispatcher
    from plugin.sync.polling import Poller

    app = create_app()
    click.echo(
        f"Tandem on http://{host}:{port} — descriptor: {app.config['BASE_URL']}/atlassian-connect.json"
    )
    start_dispatcher(app)
    poller = Poller(app, float(app.config["POLL_INTERVAL"])) if app.config["DISPATCHER"] == "inline" else None
    try:
        if dev:
            app.run(host=host, port=port, debug=True, use_reloader=False)
            return
        import waitress

        waitress.serve(app, host=host, port=port, threads=threads)
    finally:
        if poller is not None:
            poller.stop()
        stop_dispatcher(app)


@main.command("config")
def show_config() -> None:
    """Print every TANDEM_* setting with its default and meaning (Markdown)."""
    from plugin.config import settings_table

    click.echo(settings_table())


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    from flask_migrate import upgrade

    app = create_app()
    with app.app_context():
        upgrade(revision=revision)
    click.echo(f"database at {revision}: {app.config['SQLALCHEMY_DATABASE_URI']}")


@main.group()
def tenants() -> None:
    """Jira sites that installed the app."""


@tenants.command("list")
def tenants_list() -> None:
    """One line per tenant: client key, state, base URL, install time."""
    from plugin.extensions import db as database
    from plugin.models.tenant import Tenant

    app = create_app()
    with app.app_context():
        rows = database.session.execute(database.select(Tenant).order_by(Tenant.id)).scalars()
        for tenant in rows:
            purge = f" purge after {tenant.purge_after:%Y-%m-%d}" if tenant.purge_after else ""
            click.echo(
                f"{tenant.client_key}\t{tenant.state}\t{tenant.base_url}\t{tenant.installed_at:%Y-%m-%d}{purge}"
            )


@tenants.command("purge")
def tenants_purge() -> None:
    """Delete uninstalled tenants whose retention period has ended, with all their data."""
    from plugin.tenants import purge_expired

    app = create_app()
    with app.app_context():
        purged = purge_expired()
    click.echo(f"purged {len(purged)} tenant(s)" + (": " + ", ".join(purged) if purged else ""))


for _module, _attr in SUBCOMMANDS:
    main.add_command(getattr(importlib.import_module(_module), _attr))
