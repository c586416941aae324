"""The isolated path: pre-forked workers, limits, recycling, thread safety."""

from __future__ import annotations

import copy
import os
import signal
import threading
from typing import Any

import pytest

from scripts_sandbox.pool import ScriptPool
from scripts_sandbox.result import ScriptLimits
from tests.scripts_sandbox.conftest import ISSUE


def worker_pids(pool: ScriptPool) -> set[int]:
    return {w.process.pid for w in list(pool._workers) if w.process.pid is not None}


def test_limits_from_config() -> None:
    assert ScriptLimits.from_config({}) == ScriptLimits()
    limits = ScriptLimits.from_config(
        {
            "SCRIPT_WORKERS": "4",
            "SCRIPT_CPU_SECONDS": 0.5,
            "SCRIPT_WALL_SECONDS": "3",
            "SCRIPT_MEMORY_MB": 128,
            "SCRIPT_MAX_RUNS": "10",
            "UNRELATED": "x",
        }
    )
    assert (limits.workers, limits.cpu_seconds, limits.wall_seconds) == (4, 0.5, 3.0)
    assert (limits.memory_mb, limits.max_runs_per_worker) == (128, 10)
    assert limits.max_output_bytes == ScriptLimits().max_output_bytes


def test_pool_result_matches_inline_semantics(pool: ScriptPool) -> None:
    result = pool.run(
        "replica.summary = issue.summary\nlog.info('ok')\nx = {}\nx['k']",
        direction="outgoing",
        issue=copy.deepcopy(ISSUE),
        filename="rules.py",
    )
    assert result.error is not None
    assert (result.error.kind, result.error.exception, result.error.line) == ("user", "KeyError", 4)
    assert result.logs == ["INFO ok"]
    assert result.duration_ms > 0


def test_incoming_through_the_pool(pool: ScriptPool) -> None:
    result = pool.run(
        "issue.summary = replica.summary + ' (synced)'",
        direction="incoming",
        issue=None,
        replica=copy.deepcopy(ISSUE),
        first_sync=True,
    )
    assert result.ok and result.value["summary"] == "Printer on fire (synced)"


def test_concurrent_runs_from_many_threads(pool: ScriptPool) -> None:
    failures: list[Any] = []

    def client(n: int) -> None:
        for i in range(40):
            tag = f"{n}-{i}"
            result = pool.run(
                "replica.summary = issue.summary", direction="outgoing", issue={"summary": tag}, seed=i
            )
            if result.value != {"summary": tag}:
                failures.append((tag, result))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_workers_are_recycled_after_max_runs() -> None:
    with ScriptPool(ScriptLimits(workers=1, max_runs_per_worker=3)) as pool:
        first = worker_pids(pool)
        for _ in range(3):
            assert pool.run("pass", direction="outgoing", issue={}).ok
        second = worker_pids(pool)
        assert len(first) == len(second) == 1 and first != second
        assert pool.run("pass", direction="outgoing", issue={}).ok


def test_wall_limit_kills_and_replaces_the_worker() -> None:
    with ScriptPool(ScriptLimits(workers=1, wall_seconds=0.3)) as pool:
        before = worker_pids(pool)
        result = pool.run("while True:\n    pass", direction="outgoing", issue={})
        assert result.error is not None
        assert (result.error.kind, result.error.exception) == ("limit", "TimeoutError")
        assert worker_pids(pool) != before
        assert pool.run("replica.summary = 'alive'", direction="outgoing", issue={}).value == {
            "summary": "alive"
        }


def test_cpu_limit_is_enforced_by_the_kernel() -> None:
    with ScriptPool(ScriptLimits(workers=1, cpu_seconds=0.3, wall_seconds=10)) as pool:
        result = pool.run("while True:\n    pass", direction="outgoing", issue={})
        assert result.error is not None
        assert (result.error.kind, result.error.exception) == ("limit", "CPULimitExceeded")
        assert result.duration_ms < 5000
        assert pool.run("pass", direction="outgoing", issue={}).ok


def test_memory_error_recycles_the_worker() -> None:
    with ScriptPool(ScriptLimits(workers=1, memory_mb=64)) as pool:
        before = worker_pids(pool)
        result = pool.run("x = 'x' * (200 * 1024 * 1024)", direction="outgoing", issue={})
        assert result.error is not None and result.error.kind == "limit"
        assert worker_pids(pool) != before
        assert pool.run("x = 'x' * (8 * 1024 * 1024)", direction="outgoing", issue={}).ok


def test_input_size_is_capped_before_sending() -> None:
    with ScriptPool(ScriptLimits(workers=1, max_input_bytes=10_000)) as pool:
        result = pool.run("pass", direction="outgoing", issue={"description": "x" * 400_000})
        assert result.error is not None
        assert (result.error.kind, result.error.exception) == ("limit", "InputTooLarge")
        exact = pool.run("pass", direction="outgoing", issue={"description": "x" * 20_000})
        assert exact.error is not None and exact.error.exception == "InputTooLarge"


def test_close_stops_workers_and_refuses_new_runs() -> None:
    pool = ScriptPool(ScriptLimits(workers=2))
    processes = [w.process for w in pool._workers]
    pool.close()
    pool.close()  # idempotent
    assert all(p._closed for p in processes)  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError):
        pool.run("pass", direction="outgoing", issue={})


def test_a_worker_killed_from_outside_is_replaced() -> None:
    with ScriptPool(ScriptLimits(workers=1)) as pool:
        (pid,) = worker_pids(pool)
        os.kill(pid, signal.SIGKILL)
        result = pool.run("pass", direction="outgoing", issue={})
        assert not result.ok and result.error is not None and result.error.kind == "limit"
        assert worker_pids(pool) not in ({pid}, set())
        assert pool.run("replica.summary = 'back'", direction="outgoing", issue={}).value == {
            "summary": "back"
        }


def test_pool_refills_when_a_fork_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    with ScriptPool(ScriptLimits(workers=1, max_runs_per_worker=1)) as pool:
        real_spawn = pool._spawn
        calls = {"n": 0}

        def flaky_spawn() -> Any:
            calls["n"] += 1
            if calls["n"] == 1:
                raise OSError("fork failed")
            return real_spawn()

        monkeypatch.setattr(pool, "_spawn", flaky_spawn)
        assert pool.run("pass", direction="outgoing", issue={}).ok  # retires the worker, refill fails
        assert pool._workers == set()
        assert pool.run("pass", direction="outgoing", issue={}).ok  # the next caller refills
        assert calls["n"] >= 2


def test_an_unreadable_worker_reply_is_an_internal_error() -> None:
    with ScriptPool(ScriptLimits(workers=1)) as pool:
        (worker,) = list(pool._workers)
        before = worker_pids(pool)
        real_recv = worker.conn.recv_bytes
        worker.conn.recv_bytes = lambda *a: real_recv() and b"not json"  # type: ignore[method-assign]
        result = pool.run("pass", direction="outgoing", issue={})
        assert result.error is not None
        assert (result.error.kind, result.error.exception) == ("internal", "WorkerError")
        assert worker_pids(pool) != before
        assert pool.run("pass", direction="outgoing", issue={}).ok


def test_inputs_that_are_not_data_are_an_internal_error(pool: ScriptPool) -> None:
    result = pool.run("pass", direction="outgoing", issue={"summary": lambda: 1})
    assert result.error is not None
    assert (result.error.kind, result.error.exception) == ("internal", "InputError")


def test_compile_cache_lock_is_fresh_in_a_forked_child() -> None:
    from scripts_sandbox import compiler

    compiler._cache_lock.acquire()  # as if another thread held it while a worker was forked
    try:
        with ScriptPool(ScriptLimits(workers=1, wall_seconds=2)) as pool:
            assert pool.run("replica.summary = 'fresh lock'", direction="outgoing", issue={}).ok
    finally:
        compiler._cache_lock.release()
