"""Fault knobs of a site: latency, injected errors, timeouts, resets, rate limits, lost responses.

Injected errors are decided BEFORE a request is applied, so an injected failure never
half-applies a write; only ``lost_response_rate`` applies the write and then drops the
connection (clients must be idempotent).
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from .errors import JiraApiError


class ConnectionReset(Exception):
    """The server should drop the connection without an HTTP response."""


@dataclass
class FaultConfig:
    latency: float = 0.0
    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = (500, 502, 503, 429)
    timeout_rate: float = 0.0
    timeout_seconds: float = 2.0
    reset_rate: float = 0.0
    rate_limit_per_second: float | None = None
    webhook_drop_rate: float = 0.0
    lost_response_rate: float = 0.0
    retry_after: float = 1.0
    attachment_size_limit: int = 10 * 1024 * 1024
    webhook_max_retries: int = 5
    webhook_retry_backoff: float = 0.05

    def updated(self, **changes: Any) -> FaultConfig:
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise TypeError(f"unknown fault knob(s): {', '.join(sorted(unknown))}")
        if "error_statuses" in changes:
            changes["error_statuses"] = tuple(int(s) for s in changes["error_statuses"])
        return replace(self, **changes)


def _format_retry_after(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"


@dataclass
class FaultInjector:
    config: FaultConfig = field(default_factory=FaultConfig)
    rng: random.Random = field(default_factory=random.Random)
    _recent: deque[float] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def rate_limit_error(self) -> JiraApiError:
        reset = datetime.now(UTC) + timedelta(seconds=max(self.config.retry_after, 1))
        return JiraApiError(
            429,
            ["Rate limit exceeded."],
            headers={
                "Retry-After": _format_retry_after(self.config.retry_after),
                "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%MZ"),
                "RateLimit-Reason": "jira-burst-based",
            },
        )

    def before_request(self) -> None:
        """Sleep for latency, then maybe raise an injected error or a connection reset."""
        config = self.config
        if config.latency > 0:
            time.sleep(config.latency)
        self._check_rate_limit()
        with self._lock:
            roll_reset = self.rng.random() < config.reset_rate
            roll_timeout = self.rng.random() < config.timeout_rate
            roll_error = self.rng.random() < config.error_rate
            status = self.rng.choice(config.error_statuses) if config.error_statuses else 500
        if roll_reset:
            raise ConnectionReset
        if roll_timeout:
            time.sleep(config.timeout_seconds)
            raise JiraApiError(503, ["Service Unavailable (simulated timeout)"])
        if roll_error:
            if status == 429:
                raise self.rate_limit_error()
            raise JiraApiError(status, [f"Simulated failure ({status})."])

    def _check_rate_limit(self) -> None:
        limit = self.config.rate_limit_per_second
        if limit is None:
            return
        now = time.monotonic()
        with self._lock:
            while self._recent and now - self._recent[0] >= 1.0:
                self._recent.popleft()
            if len(self._recent) >= limit:
                raise self.rate_limit_error()
            self._recent.append(now)

    def lose_response(self) -> bool:
        with self._lock:
            return self.rng.random() < self.config.lost_response_rate

    def drop_webhook(self) -> bool:
        with self._lock:
            return self.rng.random() < self.config.webhook_drop_rate
