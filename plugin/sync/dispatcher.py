"""Who runs the queue: worker threads in this process (the embedded default), or nobody here.

Every dispatcher works the same durable queue (plugin.sync.queue); the broker-based one that
scales out across machines plugs in behind the same two calls, ``notify`` and ``stop``.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import Protocol

from flask import Flask

from plugin.extensions import db
from plugin.sync import queue
from plugin.sync.pipeline import run_job

log = logging.getLogger(__name__)

JOBS_PER_LEASE = 20
IDLE_WAIT_SECONDS = 0.5


class Dispatcher(Protocol):
    def notify(self) -> None:
        """New work may be waiting: wake a worker now rather than at its next poll."""

    def stop(self) -> None: ...


class NullDispatcher:
    """Enqueue only; another process works the queue (``tandem worker``)."""

    def notify(self) -> None:
        return None

    def stop(self) -> None:
        return None


def work_once(worker: str) -> int:
    """Lease one connection with due jobs and run a batch of them; the number run."""
    for connection_id in queue.connections_with_due_jobs():
        if not queue.take_lease(connection_id, worker):
            continue
        ran = 0
        try:
            while ran < JOBS_PER_LEASE:
                job = queue.claim_next(connection_id)
                if job is None:
                    break
                run_job(job)
                ran += 1
        finally:
            queue.release_lease(connection_id, worker)
        if ran:
            return ran
    return 0


def drain(app: Flask, *, timeout: float = 30.0) -> int:
    """Run due jobs in this thread until none is due (tests, CLI, ``--once``)."""
    deadline = time.monotonic() + timeout
    worker = f"drain-{uuid.uuid4().hex[:8]}"
    total = 0
    with app.app_context():
        while time.monotonic() < deadline:
            ran = work_once(worker)
            total += ran
            if not ran:
                break
        db.session.remove()
    return total


class InlineDispatcher:
    """Worker threads inside the server process, woken by ``notify`` or every half second."""

    def __init__(self, app: Flask, threads: int) -> None:
        self.app = app
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._threads = [
            threading.Thread(target=self._loop, name=f"tandem-worker-{n}", daemon=True)
            for n in range(threads)
        ]
        for thread in self._threads:
            thread.start()

    def notify(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=10)

    def _loop(self) -> None:
        worker = f"{threading.current_thread().name}-{uuid.uuid4().hex[:6]}"
        while not self._stopping.is_set():
            try:
                with self.app.app_context():
                    ran = work_once(worker)
                    db.session.remove()
            except Exception:  # a database hiccup must not kill the worker
                log.exception("worker %s: error while working the queue", worker)
                ran = 0
            if not ran:
                self._wake.wait(IDLE_WAIT_SECONDS)
                self._wake.clear()


def dispatcher(app: Flask) -> Dispatcher:
    existing = app.extensions.get("tandem.dispatcher")
    return existing if existing is not None else NullDispatcher()


def start_dispatcher(app: Flask) -> Dispatcher:
    """Start the configured dispatcher once per app (``serve``, ``demo``, tests)."""
    current = app.extensions.get("tandem.dispatcher")
    if current is not None:
        return current  # type: ignore[no-any-return]
    with app.app_context():
        queue.recover_stale_running()
    started: Dispatcher
    if app.config["DISPATCHER"] == "inline":
        started = InlineDispatcher(app, int(app.config["WORKER_THREADS"]))
    else:
        started = NullDispatcher()
    app.extensions["tandem.dispatcher"] = started
    return started


def stop_dispatcher(app: Flask) -> None:
    current = app.extensions.pop("tandem.dispatcher", None)
    if current is not None:
        current.stop()
