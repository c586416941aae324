"""The safety net: poll each side for issues updated since its watermark, minus an overlap.

Webhooks are fast but not guaranteed; every poll enqueues the issues that changed, and the
pipeline's "nothing changed" check makes a redundant job cheap.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from flask import Flask, current_app

from connectors.base import ConnectorError
from plugin.extensions import db
from plugin.models.connection import Connection, ConnectionState, Side
from plugin.sync import queue
from plugin.sync.clock import as_utc, utcnow
from plugin.sync.connectors import connector_for

log = logging.getLogger(__name__)


def side_query(side: Side) -> str:
    project = f'project = "{side.project_key}"' if side.project_key else ""
    if side.trigger_query and project:
        return f"{project} AND ({side.trigger_query})"
    return side.trigger_query or project


def poll_side(side: Side) -> int:
    """Enqueue every issue of the side updated since its watermark; the number enqueued."""
    query = side_query(side)
    if not query or not side.sends:
        return 0
    overlap = timedelta(seconds=float(current_app.config["POLL_OVERLAP"]))
    watermark = as_utc(side.poll_watermark)
    since = watermark - overlap if watermark else None
    started = utcnow()
    count = 0
    newest = watermark
    for issue in connector_for(side).iter_issues(query, updated_since=since):
        queue.enqueue(side.connection_id, side.position, issue.id, issue_key=issue.key, trigger="poll")
        count += 1
        updated = as_utc(issue.updated)
        if updated and (newest is None or updated > newest):
            newest = updated
    side.poll_watermark = newest or started
    db.session.commit()
    return count


def poll_all() -> int:
    sides = db.session.execute(
        db.select(Side)
        .join(Connection)
        .where(Connection.state.in_([ConnectionState.ACTIVE, ConnectionState.PAUSED]))
    ).scalars()
    total = 0
    for side in list(sides):
        try:
            total += poll_side(side)
        except ConnectorError as exc:
            log.warning("polling side %s of connection %s failed: %s", side.position, side.connection_id, exc)
            db.session.rollback()
    return total


class Poller:
    """A thread that polls every side each ``interval`` seconds and wakes the workers."""

    def __init__(self, app: Flask, interval: float) -> None:
        self.app = app
        self.interval = interval
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="tandem-poller", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        from plugin.sync.dispatcher import dispatcher

        while not self._stopping.wait(self.interval):
            try:
                with self.app.app_context():
                    if poll_all():
                        dispatcher(self.app).notify()
                    db.session.remove()
            except Exception:
                log.exception("poller: error")

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=10)
