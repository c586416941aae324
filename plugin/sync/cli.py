"""``tandem sync …`` and ``tandem worker``: work the queue and poll from the command line."""

from __future__ import annotations

import time

import click

from plugin import create_app
from plugin.extensions import db


@click.group("sync")
def sync() -> None:
    """The sync queue."""


@sync.command("drain")
@click.option("--timeout", default=60.0, show_default=True, help="Stop after this many seconds.")
def drain_command(timeout: float) -> None:
    """Run every due job once, in this process."""
    from plugin.sync.dispatcher import drain

    app = create_app()
    ran = drain(app, timeout=timeout)
    click.echo(f"ran {ran} job(s)")


@sync.command("poll")
def poll_command() -> None:
    """Poll every side once for changes webhooks may have missed."""
    from plugin.sync.polling import poll_all

    app = create_app()
    with app.app_context():
        queued = poll_all()
    click.echo(f"queued {queued} job(s)")


@sync.command("status")
def status_command() -> None:
    """Queue counters per connection."""
    from plugin.models.connection import Connection
    from plugin.sync.queue import queue_counters

    app = create_app()
    with app.app_context():
        for connection in db.session.execute(db.select(Connection).order_by(Connection.id)).scalars():
            counters = queue_counters(connection.id)
            line = " ".join(f"{state}={count}" for state, count in counters.items())
            click.echo(f"{connection.id}\t{connection.name}\t{connection.state}\t{line}")


@click.command("worker")
@click.option("--threads", default=None, type=int, help="Worker threads (default: TANDEM_WORKER_THREADS).")
@click.option("--poll/--no-poll", default=True, show_default=True, help="Also run the polling safety net.")
def worker(threads: int | None, poll: bool) -> None:
    """Work the sync queue without serving HTTP (run several, on several machines)."""
    from plugin.sync.dispatcher import InlineDispatcher
    from plugin.sync.polling import Poller

    app = create_app()
    count = threads or int(app.config["WORKER_THREADS"])
    dispatcher = InlineDispatcher(app, count)
    poller = Poller(app, float(app.config["POLL_INTERVAL"])) if poll else None
    click.echo(f"worker: {count} thread(s) on {app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}")
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        click.echo("stopping")
    finally:
        if poller is not None:
            poller.stop()
        dispatcher.stop()
