"""Propagation latency through the whole stack: webhooks versus the polling safety net alone.

Two simulated Jira sites, the server with its inline workers, the app installed in both. Each
round edits an issue on site A and times until its twin on site B shows the edit. The same
edits run twice side by side: with webhooks delivered, and with every webhook dropped (only
polling, every second, catches the change). Prints the environment and the figures.

    .venv/bin/python bench/bench_sync.py [--rounds 20]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from connectors.base import IssueChanges
from plugin.stack import running_stack


def measure(rounds: int, *, drop_webhooks: bool, poll_interval: float) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        with running_stack(url, poll_interval=poll_interval) as stack:
            stack.connect("acme", "OPS", "globex", "DEV", name="bench")
            a, b = stack.person("acme"), stack.person("globex")
            issue = a.create_issue("OPS", "Task", IssueChanges({"summary": "bench 0"}), origin="bench")
            twin_key = None
            while twin_key is None:
                found = list(b.iter_issues('project = "DEV"'))
                twin_key = found[0].key if found else None
                time.sleep(0.05)
            stack.settle()
            if drop_webhooks:
                stack.sim.site("acme").configure(webhook_drop_rate=1.0)
            samples = []
            for n in range(1, rounds + 1):
                summary = f"bench {n}"
                started = time.perf_counter()
                a.update_issue(issue.id, IssueChanges({"summary": summary}))
                while b.get_issue(twin_key).summary != summary:
                    time.sleep(0.01)
                samples.append(time.perf_counter() - started)
                stack.settle()
                print(
                    f"\r  {'polling ' if drop_webhooks else 'webhooks'} {n}/{rounds}", end="", file=sys.stderr
                )
            print(file=sys.stderr)
            return samples


def describe(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p90 = ordered[max(0, int(len(ordered) * 0.9) - 1)]
    return f"{name:<22} p50 {statistics.median(samples) * 1000:7.0f} ms   p90 {p90 * 1000:7.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.platform()}, {os.cpu_count()} CPUs")
    print(f"{args.rounds} edits per mode; simulator latency 0; SQLite; 2 worker threads")
    webhooks = measure(args.rounds, drop_webhooks=False, poll_interval=1.0)
    polling = measure(args.rounds, drop_webhooks=True, poll_interval=1.0)
    print(describe("webhooks", webhooks))
    print(describe("polling only (1 s)", polling))
    print(f"ratio polling/webhooks (p50): {statistics.median(polling) / statistics.median(webhooks):.1f}x")


if __name__ == "__main__":
    main()
