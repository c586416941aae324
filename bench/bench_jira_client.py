"""Jira connector throughput against the simulator: creates, reads, search paging, ADF conversion.

Starts a local Jira simulator, drives the real JiraConnector (basic auth) and prints the
environment and the figures (per-call latency percentiles and totals).

    .venv/bin/python bench/bench_jira_client.py [--issues 300] [--threads 4]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connectors.base import IssueChanges
from connectors.jira.adf import adf_to_markdown, markdown_to_adf
from connectors.jira.connector import JiraConnector
from connectors.jira.simulator import JiraSimulator

DESCRIPTION = """## Steps

1. Open **the page** at [example](https://example.com)
2. Click `Save` — see @[Alice](accountid:abc) :smile:

```python
print("hello")
```

| a | b |
| --- | --- |
| 1 | 2 |
"""


def timed(action: Callable[[], object], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def report(name: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1] if len(ordered) >= 20 else ordered[-1]
    print(
        f"{name:<28} n={len(samples):<5} median={statistics.median(samples):7.2f} ms  "
        f"p95={p95:7.2f} ms  total={sum(samples) / 1000:6.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--issues", type=int, default=300)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--rate", type=float, default=None, help="override the per-site budget (requests/s)")
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.platform()}, {os.cpu_count()} CPUs")

    with JiraSimulator(sites=("acme",), seed=1).start(port=0) as sim:
        site = sim.site("acme")
        config = {
            "base_url": sim.base_url("acme"),
            "auth": {"type": "basic", "email": site.admin_email, "api_token": site.admin_api_token},
        }
        connector = JiraConnector(config)
        bucket = connector.client.budget.bucket
        if args.rate:
            bucket.rate = args.rate
        print(
            f"site budget: {bucket.rate:g} requests/s, bursts of {bucket.capacity:g} (paces sequential calls)"
        )
        try:
            counter = iter(range(10**9))

            def create() -> object:
                index = next(counter)
                changes = IssueChanges(
                    {"summary": f"bench {index}", "description": DESCRIPTION, "labels": ["bench"]}
                )
                return connector.create_issue("SUP", "Task", changes, f"bench-{index}")

            report("create_issue (+read back)", timed(create, args.issues))
            report("get_issue", timed(lambda: connector.get_issue("SUP-1"), args.issues))
            report("find_by_origin", timed(lambda: connector.find_by_origin("bench-1"), 50))

            started = time.perf_counter()
            found = sum(1 for _ in connector.iter_issues('labels = "bench"', page_size=100))
            elapsed = time.perf_counter() - started
            rate = found / elapsed
            print(f"{'iter_issues (pages of 100)':<28} {found} issues in {elapsed:.2f} s ({rate:.0f}/s)")

            started = time.perf_counter()
            with ThreadPoolExecutor(args.threads) as pool:
                list(pool.map(lambda n: connector.get_issue(f"SUP-{n + 1}"), range(args.issues)))
            elapsed = time.perf_counter() - started
            print(f"{'get_issue x' + str(args.threads) + ' threads':<28} {args.issues / elapsed:.0f} calls/s")
        finally:
            connector.close()

    adf = markdown_to_adf(DESCRIPTION)
    report("markdown_to_adf", timed(lambda: markdown_to_adf(DESCRIPTION), 2000))
    report("adf_to_markdown", timed(lambda: adf_to_markdown(adf), 2000))


if __name__ == "__main__":
    main()
