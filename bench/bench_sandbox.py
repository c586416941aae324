"""Cost of one small sync script run: through the ScriptPool, in-process, and plain ``exec``.

Usage: .venv/bin/python bench/bench_sandbox.py [--runs 2000] [--warmup 200]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts_sandbox.pool import ScriptPool
from scripts_sandbox.result import ScriptLimits
from scripts_sandbox.runtime import run_inline

SCRIPT = """\
replica.summary = issue.summary
replica.description = issue.description
replica.status = statuses.map(issue.status, {"To Do": "Open"})
replica.labels = [label for label in issue.labels if label != "internal"]
replica.assignee = issue.assignee
"""

ISSUE: dict[str, Any] = {
    "id": "10001",
    "key": "SUP-1",
    "project": "SUP",
    "type": "Bug",
    "summary": "Printer on fire",
    "description": "It really burns.",
    "status": "To Do",
    "priority": "High",
    "labels": ["hardware", "internal", "urgent"],
    "assignee": {"account_id": "acc-1", "email": "ann@example.com", "display_name": "Ann"},
    "reporter": None,
    "parent": None,
    "custom": {},
    "custom_names": {},
    "created": "2026-01-02T03:04:05+00:00",
    "updated": "2026-01-03T03:04:05+00:00",
    "comments": [],
    "attachments": [],
    "url": None,
}


def measure(label: str, call: Callable[[], Any], runs: int, warmup: int) -> float:
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    samples.sort()
    median = statistics.median(samples) * 1e6
    p99 = samples[int(len(samples) * 0.99) - 1] * 1e6
    print(f"{label:<34} median {median:9.1f} us   p99 {p99:9.1f} us   ({runs} runs)")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    args = parser.parse_args()
    print(f"python   {sys.version.split()[0]} ({platform.python_implementation()})")
    print(f"platform {platform.platform()}")
    print(f"cpus     {os.cpu_count()}")
    print(f"script   {len(SCRIPT.splitlines())} lines, outgoing, issue of {len(ISSUE)} fields")
    print()

    plain_code = compile(
        SCRIPT.replace("replica.", "replica_").replace("issue.", "issue_"), "<plain>", "exec"
    )
    plain_namespace: dict[str, Any] = {f"issue_{k}": v for k, v in ISSUE.items()}
    plain_namespace["statuses"] = type("S", (), {"map": staticmethod(lambda n, m: m.get(n, n))})

    def plain() -> None:
        exec(plain_code, dict(plain_namespace))  # noqa: S102 - benchmark of our own constant code

    def inline() -> None:
        result = run_inline(SCRIPT, direction="outgoing", issue=ISSUE)
        assert result.ok

    with ScriptPool(ScriptLimits(max_runs_per_worker=10**9)) as pool:

        def pooled() -> None:
            result = pool.run(SCRIPT, direction="outgoing", issue=ISSUE)
            assert result.ok

        plain_us = measure("plain exec (compile() code)", plain, args.runs, args.warmup)
        inline_us = measure("run_inline (sandbox, in-process)", inline, args.runs, args.warmup)
        pool_us = measure("ScriptPool.run (isolated worker)", pooled, args.runs, args.warmup)
    print()
    print(f"run_inline / plain exec  = {inline_us / plain_us:8.1f}x")
    print(f"pool / plain exec        = {pool_us / plain_us:8.1f}x")
    print(f"pool / run_inline        = {pool_us / inline_us:8.1f}x")


if __name__ == "__main__":
    main()
