"""Webhook delivery: events become signed POSTs to each installed app, retried like Jira does."""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import requests

from connectors.jira.connect_jwt import encode_token

from .model import Event, Installation
from .render import Renderer
from .state import Site

log = logging.getLogger(__name__)
DELIVERY_TIMEOUT = 5.0
ISSUE_EVENTS = {"jira:issue_created", "jira:issue_updated", "jira:issue_deleted"}


@dataclass
class Delivery:
    site: Site
    installation: Installation
    url: str
    payload: dict[str, Any] | None  # None: the module set excludeBody
    identifier: str = field(default_factory=lambda: str(uuid.uuid4()))
    attempt: int = 0


def webhook_payload(site: Site, event: Event) -> dict[str, Any]:
    """Jira's webhook body for one event (built while the site lock is held)."""
    renderer = Renderer(site)
    payload: dict[str, Any] = {
        "timestamp": int(event.timestamp.timestamp() * 1000),
        "webhookEvent": event.name,
        "user": renderer.user(event.actor),
        "issue": renderer.issue(event.issue),
    }
    if event.issue_event_type_name:
        payload["issue_event_type_name"] = event.issue_event_type_name
    if event.changelog is not None:
        payload["changelog"] = {
            "id": event.changelog.id,
            "items": [i.to_json() for i in event.changelog.items],
        }
    if event.comment is not None:
        payload["comment"] = renderer.comment(event.comment)
    if event.attachment is not None:
        payload["attachment"] = renderer.attachment(event.attachment)
    return payload


class WebhookDispatcher:
    """One background worker delivering in enqueue order; retries back off exponentially."""

    def __init__(self) -> None:
        self._queue: queue.Queue[Delivery | None] = queue.Queue()
        self._pending = 0
        self._idle = threading.Condition()
        self._session = requests.Session()
        self._session.trust_env = False
        self._thread = threading.Thread(target=self._run, name="jira-sim-webhooks", daemon=True)
        self._thread.start()

    def on_event(self, site: Site, event: Event) -> None:
        """Site listener: enqueue one delivery per matching webhook module of each installation."""
        for installation in site.installations.values():
            if not installation.enabled:
                continue
            for module in installation.webhooks:
                if module.event != event.name or not self._passes_filter(site, module.filter, event):
                    continue
                if site.faults.drop_webhook():
                    site.stats.webhooks_dropped += 1
                    continue
                url = urljoin(installation.app_base_url.rstrip("/") + "/", module.url.lstrip("/"))
                payload = None if module.exclude_body else webhook_payload(site, event)
                self._enqueue(Delivery(site, installation, url, payload))

    def _passes_filter(self, site: Site, jql: str | None, event: Event) -> bool:
        if not jql or event.name not in ISSUE_EVENTS | {
            "comment_created",
            "comment_updated",
            "comment_deleted",
        }:
            return True
        try:
            return site.issue_matches(jql, event.issue, None)
        except Exception:  # a broken filter delivers nothing, as in Jira
            log.warning("webhook filter %r is invalid", jql)
            return False

    def _enqueue(self, delivery: Delivery) -> None:
        with self._idle:
            self._pending += 1
        self._queue.put(delivery)

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)
        self._session.close()

    def _run(self) -> None:
        while True:
            delivery = self._queue.get()
            if delivery is None:
                return
            try:
                self._deliver_with_retries(delivery)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def _deliver_with_retries(self, delivery: Delivery) -> None:
        site = delivery.site
        while True:
            status = self._deliver_once(delivery)
            if status is not None and status < 500:
                with site.lock:
                    # Jira does not retry a 4xx; count it apart so a test can see the app refused it.
                    if status < 300:
                        site.stats.webhooks_delivered += 1
                    else:
                        site.stats.webhooks_rejected += 1
                return
            config = site.faults.config
            if delivery.attempt >= config.webhook_max_retries:
                with site.lock:
                    site.stats.webhooks_failed += 1
                return
            time.sleep(config.webhook_retry_backoff * (2**delivery.attempt))
            delivery.attempt += 1
            with site.lock:
                site.stats.webhooks_retried += 1

    def _deliver_once(self, delivery: Delivery) -> int | None:
        """The app's HTTP status, or None when it could not be reached."""
        installation = delivery.installation
        token = encode_token(
            issuer=installation.client_key,
            secret=installation.shared_secret,
            method="POST",
            url=delivery.url,
            base_url=installation.app_base_url,
        )
        headers = {
            "Authorization": f"JWT {token}",
            "X-Atlassian-Webhook-Identifier": delivery.identifier,
            "User-Agent": "Atlassian Webhook HTTP Client (simulated)",
        }
        if delivery.attempt:
            headers["X-Atlassian-Webhook-Retry"] = str(delivery.attempt)
        try:
            body = b"" if delivery.payload is None else json.dumps(delivery.payload).encode()
            if delivery.payload is not None:
                headers["Content-Type"] = "application/json"
            response = self._session.post(delivery.url, data=body, headers=headers, timeout=DELIVERY_TIMEOUT)
        except requests.RequestException:
            return None
        with response:
            return response.status_code
