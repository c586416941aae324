"""A pool of pre-forked worker processes that run scripts under OS resource limits.

Each worker sets its rlimits once (address space, file size 0, no core files), closes every
inherited descriptor but its own pipe, then loops: receive a pickled job, call ``run_inline``,
send the result back as JSON (JSON, not pickle: the parent never unpickles what a possibly
compromised worker wrote). Per run it raises its CPU soft limit to "used so far + cpu_seconds",
so SIGXCPU ends a runaway run whatever the script catches. The parent enforces the wall-clock
limit with ``poll`` and SIGKILL, because a script can catch every in-process exception.

RLIMIT_NPROC is not set: it counts every process of the user, so a low value would break the
host. Scripts cannot create processes anyway: no module that can fork is reachable.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import multiprocessing
import os
import pickle
import queue
import resource
import signal
import threading
import time
from collections.abc import Mapping
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from types import TracebackType
from typing import Any

from scripts_sandbox.result import Direction, ScriptError, ScriptLimits, ScriptResult, failed
from scripts_sandbox.runtime import run_inline

logger = logging.getLogger(__name__)

_SHUTDOWN = b""
_JOIN_SECONDS = 2.0
_SOURCE_ALLOWANCE = 256 * 1024  # pipe guard: inputs are checked exactly (JSON size) in the worker


class _Worker:
    def __init__(self, process: BaseProcess, conn: Connection) -> None:
        self.process = process
        self.conn = conn
        self.runs = 0


def _page_size() -> int:
    return os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _address_space_now() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * _page_size()
    except OSError:
        return 0


def _set_limit(which: int, soft: int) -> None:
    _, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY and soft > hard:
        soft = hard
    resource.setrlimit(which, (soft, hard))


def _apply_worker_limits(limits: ScriptLimits) -> None:
    # The limit is headroom above what the forked interpreter already maps.
    _set_limit(resource.RLIMIT_AS, _address_space_now() + limits.memory_mb * 1024 * 1024)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes fail with EFBIG instead of killing us
    _set_limit(resource.RLIMIT_FSIZE, 0)
    _set_limit(resource.RLIMIT_CORE, 0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's business


def _cpu_used() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _close_inherited_fds(keep: int) -> None:
    max_fd = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if max_fd == resource.RLIM_INFINITY or max_fd > 65536:
        max_fd = 65536
    os.closerange(3, keep)
    os.closerange(keep + 1, max_fd)


def _worker_main(conn: Connection, limits: ScriptLimits) -> None:
    _close_inherited_fds(conn.fileno())
    _apply_worker_limits(limits)
    while True:
        try:
            data = conn.recv_bytes()
        except (EOFError, OSError):
            return
        if data == _SHUTDOWN:
            return
        job: dict[str, Any] = pickle.loads(data)  # noqa: S301 - written by our own parent process
        _set_limit(resource.RLIMIT_CPU, math.ceil(_cpu_used() + limits.cpu_seconds))
        result = run_inline(limits=limits, **job)
        conn.send_bytes(json.dumps(result.to_dict(), default=str).encode("utf-8"))
        if result.error is not None and result.error.exception == "MemoryError":
            return  # recycle: the heap may be fragmented after hitting RLIMIT_AS


class ScriptPool:
    """Thread-safe pool of isolated script workers; use as a context manager or call close()."""

    def __init__(self, limits: ScriptLimits | None = None, *, start_method: str = "fork") -> None:
        self.limits = limits or ScriptLimits()
        self._ctx: Any = multiprocessing.get_context(start_method)
        self._lock = threading.Lock()
        self._top_up_lock = threading.Lock()
        self._workers: set[_Worker] = set()
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        self._closed = False
        for _ in range(max(1, self.limits.workers)):
            self._idle.put(self._spawn())

    def __enter__(self) -> ScriptPool:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _spawn(self) -> _Worker:
        with self._lock:
            if self._closed:
                raise RuntimeError("the script pool is closed")
            parent_conn, child_conn = self._ctx.Pipe(duplex=True)
            process = self._ctx.Process(
                target=_worker_main, args=(child_conn, self.limits), name="tandem-script-worker", daemon=True
            )
            process.start()
            child_conn.close()
            worker = _Worker(process, parent_conn)
            self._workers.add(worker)
            return worker

    def _retire(self, worker: _Worker, *, kill: bool) -> None:
        with self._lock:
            self._workers.discard(worker)
        if kill and worker.process.is_alive():
            worker.process.kill()
        else:
            with contextlib.suppress(OSError):
                worker.conn.send_bytes(_SHUTDOWN)
        worker.process.join(_JOIN_SECONDS)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        worker.conn.close()
        worker.process.close()

    def _replace(self, worker: _Worker, *, kill: bool) -> None:
        self._retire(worker, kill=kill)
        self._top_up()

    def _top_up(self) -> None:
        """Bring the pool back to its size; a failed fork is retried by the next caller."""
        with self._top_up_lock:
            with self._lock:
                missing = 0 if self._closed else max(1, self.limits.workers) - len(self._workers)
            for _ in range(missing):
                try:
                    self._idle.put(self._spawn())
                except (OSError, RuntimeError):
                    logger.exception("could not start a script worker")
                    return

    def run(
        self,
        source: str,
        *,
        direction: Direction,
        issue: Mapping[str, Any] | None,
        replica: Mapping[str, Any] | None = None,
        previous: Mapping[str, Any] | None = None,
        first_sync: bool = False,
        connection: Mapping[str, Any] | None = None,
        seed: int | str | None = None,
        filename: str = "<script>",
    ) -> ScriptResult:
        started = time.perf_counter()
        job = {
            "source": source,
            "filename": filename,
            "direction": direction,
            "issue": issue,
            "replica": replica,
            "previous": previous,
            "first_sync": first_sync,
            "connection": connection,
            "seed": seed,
        }
        try:
            payload = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            logger.error("script inputs are not plain data: %r", exc)
            return failed(
                ScriptError("internal", "the script inputs are not plain data", exception="InputError")
            )
        if len(payload) > self.limits.max_input_bytes + _SOURCE_ALLOWANCE + len(source):
            error = ScriptError(
                "limit", f"the script input is larger than {self.limits.max_input_bytes} bytes"
            )
            error.exception = "InputTooLarge"
            return failed(error)
        worker = self._acquire()
        result = self._exchange(worker, payload)
        result.duration_ms = (time.perf_counter() - started) * 1000
        return result

    def _acquire(self) -> _Worker:
        while True:
            if self._closed:
                raise RuntimeError("the script pool is closed")
            try:
                return self._idle.get(timeout=0.5)
            except queue.Empty:
                self._top_up()

    def _exchange(self, worker: _Worker, payload: bytes) -> ScriptResult:
        try:
            worker.conn.send_bytes(payload)
            if not worker.conn.poll(self.limits.wall_seconds):
                self._replace(worker, kill=True)
                message = f"the script ran longer than {self.limits.wall_seconds:g} s (wall-clock limit)"
                return failed(ScriptError("limit", message, exception="TimeoutError"))
            data = worker.conn.recv_bytes()
        except (EOFError, OSError):
            return self._worker_died(worker)
        worker.runs += 1
        try:
            result = ScriptResult.from_dict(json.loads(data))
        except (ValueError, TypeError, KeyError) as exc:  # a worker we cannot trust any more
            logger.error("unreadable reply from a script worker: %r", exc)
            self._replace(worker, kill=True)
            return failed(
                ScriptError("internal", "the script worker sent an invalid reply", exception="WorkerError")
            )
        exhausted = result.error is not None and result.error.exception == "MemoryError"
        if exhausted or worker.runs >= self.limits.max_runs_per_worker or not worker.process.is_alive():
            self._replace(worker, kill=False)
        else:
            self._idle.put(worker)
        return result

    def _worker_died(self, worker: _Worker) -> ScriptResult:
        worker.process.join(_JOIN_SECONDS)
        exitcode = worker.process.exitcode
        self._replace(worker, kill=True)
        if exitcode == -signal.SIGXCPU:
            message = f"the script used more than {self.limits.cpu_seconds:g} s of CPU time"
            return failed(ScriptError("limit", message, exception="CPULimitExceeded"))
        if exitcode in (-signal.SIGKILL, -signal.SIGSEGV, -signal.SIGABRT):
            message = "the script process was stopped after exhausting a resource limit"
            return failed(ScriptError("limit", message, exception="ResourceLimitExceeded"))
        return failed(
            ScriptError("internal", "the script worker stopped unexpectedly", exception="WorkerCrashed")
        )

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            workers = list(self._workers)
        for worker in workers:
            self._retire(worker, kill=False)
