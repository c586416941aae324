"""A thin, typed Jira Cloud REST v3 client over one ``requests.Session``.

Every call has a timeout, goes through the site's shared budget (a concurrency semaphore and a
token bucket per base URL, so all clients of one site together stay polite) and maps failures
to the connector errors of :mod:`connectors.base`.

Retry policy (bounded by ``max_attempts`` and ``max_total_wait`` seconds of sleeping):

- 429 is retried for every method (Jira rejected the request before doing anything), waiting
  ``Retry-After`` or until ``X-RateLimit-Reset`` when given, else exponential backoff.
- 5xx, read timeouts and dropped connections are retried with exponential backoff and full
  jitter only for idempotent requests: GET, PUT, DELETE, and the POSTs that only read
  (search, bulk fetch) or upsert (remote links by ``globalId``). A POST that creates (issue,
  comment, attachment, transition) is never retried blindly after the request may have reached
  Jira: the error surfaces as :class:`RetriableError` and the caller makes the retry safe —
  the connector looks the issue up by its origin marker before creating again.
- A connection that could not even be opened (connect timeout, refused) is retried for every
  method: nothing reached Jira.
- 401 is retried once when the auth can renew itself (OAuth refresh, act-as-user token).

Errors: 429/5xx/connection -> RetriableError(retry_after); 401/403 -> FatalError;
404 -> NotFoundError; 400 and other 4xx -> FatalError carrying Jira's errorMessages/errors.
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any, cast
from urllib.parse import quote

import requests

from connectors.base import FatalError, NotFoundError, RetriableError, SkippableError
from connectors.jira.auth import JiraAuth

log = logging.getLogger(__name__)

API = "/rest/api/3"
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
DEFAULT_ATTACHMENT_LIMIT = 100 * 1024 * 1024
DOWNLOAD_CHUNK = 64 * 1024
BULK_FETCH_LIMIT = 100

JsonObject = dict[str, Any]


# ============================================================================ site budget


class TokenBucket:
    """``rate`` requests per second on average, bursts up to ``capacity``."""

    def __init__(self, rate: float, capacity: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.capacity = capacity
        self._tokens = capacity
        self._clock = clock
        self._updated = clock()
        self._lock = threading.Lock()

    def acquire(self, sleep: Callable[[float], None] = time.sleep) -> None:
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                wait = (1 - self._tokens) / self.rate
            sleep(wait)

    def penalize(self, seconds: float) -> None:
        """After a 429 every caller of this site waits: the bucket empties for ``seconds``."""
        with self._lock:
            self._tokens = min(self._tokens, -seconds * self.rate)


@dataclass
class SiteBudget:
    """Shared by every client of one base URL: at most ``concurrency`` calls in flight."""

    concurrency: int = 8
    rate_per_second: float = 50.0
    burst: float = 20.0
    semaphore: threading.BoundedSemaphore = field(init=False)
    bucket: TokenBucket = field(init=False)

    def __post_init__(self) -> None:
        self.semaphore = threading.BoundedSemaphore(self.concurrency)
        self.bucket = TokenBucket(self.rate_per_second, self.burst)


_budgets: dict[str, SiteBudget] = {}
_budgets_lock = threading.Lock()


def budget_for(
    base_url: str, *, concurrency: int | None = None, rate_per_second: float | None = None
) -> SiteBudget:
    """The budget shared by all clients of ``base_url`` in this process.

    Passing ``concurrency`` or ``rate_per_second`` replaces the site's budget when it differs
    (clients created earlier keep the one they hold).
    """
    key = base_url.rstrip("/").lower()
    with _budgets_lock:
        budget = _budgets.get(key)
        wanted_concurrency = concurrency or (budget.concurrency if budget else SiteBudget.concurrency)
        wanted_rate = rate_per_second or (budget.rate_per_second if budget else SiteBudget.rate_per_second)
        if budget is None or (budget.concurrency, budget.rate_per_second) != (
            wanted_concurrency,
            wanted_rate,
        ):
            budget = SiteBudget(concurrency=wanted_concurrency, rate_per_second=wanted_rate)
            _budgets[key] = budget
        return budget


# ============================================================================ errors


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(value) if value else None
            if parsed is not None:
                return max(0.0, (parsed - datetime.now(UTC)).total_seconds())
    reset = response.headers.get("X-RateLimit-Reset")
    if reset:
        try:
            moment = datetime.fromisoformat(reset.replace("Z", "+00:00"))
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return max(0.0, (moment - datetime.now(UTC)).total_seconds())
    return None


def jira_error_text(response: requests.Response) -> str:
    """Jira's own explanation: ``errorMessages`` and the per-field ``errors``."""
    try:
        body = response.json()
    except ValueError:
        return (response.text or response.reason or "").strip()[:500]
    if not isinstance(body, dict):
        return str(body)[:500]
    parts = [str(m) for m in body.get("errorMessages") or []]
    errors = body.get("errors") or {}
    if isinstance(errors, dict):
        parts += [f"{name}: {message}" for name, message in errors.items()]
    if not parts and body.get("message"):
        parts.append(str(body["message"]))
    return "; ".join(parts) or str(body)[:500]


def error_for(response: requests.Response, what: str) -> Exception:
    status = response.status_code
    detail = jira_error_text(response)
    message = f"{what}: HTTP {status}" + (f" — {detail}" if detail else "")
    if status == 429 or status >= 500:
        return RetriableError(message, status=status, retry_after=_retry_after(response))
    if status == 404:
        return NotFoundError(message, status=status)
    if status == 413:
        return SkippableError(message, status=status)
    return FatalError(message, status=status)


# ============================================================================ client


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    max_total_wait: float = 60.0
    base_delay: float = 0.25
    max_delay: float = 20.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(max_delay, base * 2**attempt)]."""
        return rng.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))


class _MultipartStream:
    """A multipart/form-data body read lazily from a file: never the whole file in memory."""

    def __init__(self, boundary: str, filename: str, content: IO[bytes], mime_type: str, size: int) -> None:
        safe_name = filename.replace("\\", "_").replace('"', "_").replace("\r", " ").replace("\n", " ")
        self._head = (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{safe_name}"\r\n'
            f"Content-Type: {mime_type}\r\n\r\n"
        ).encode()
        self._tail = f"\r\n--{boundary}--\r\n".encode()
        self._content = content
        self._start = content.tell() if content.seekable() else 0
        self.length = len(self._head) + size + len(self._tail)
        self.rewind()

    def rewind(self) -> None:
        if self._content.seekable():
            self._content.seek(self._start)
        self._stage = 0
        self._buffer = self._head

    def __len__(self) -> int:
        return self.length

    def read(self, size: int = -1) -> bytes:
        chunk_size = size if size and size > 0 else 64 * 1024
        while not self._buffer and self._stage < 2:
            if self._stage == 0:
                data = self._content.read(chunk_size)
                if data:
                    self._buffer = data
                else:
                    self._stage, self._buffer = 1, self._tail
            else:
                self._stage = 2
        out, self._buffer = self._buffer[:chunk_size], self._buffer[chunk_size:]
        return out

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.read(64 * 1024):
            yield chunk


def _stream_size(content: IO[bytes]) -> int:
    if not content.seekable():
        raise FatalError("attachment content must be a seekable binary file")
    start = content.tell()
    content.seek(0, 2)
    size = content.tell() - start
    content.seek(start)
    return size


class JiraClient:
    """REST v3 calls for one site; thread-safe (requests sessions are, for these calls)."""

    def __init__(
        self,
        base_url: str,
        auth: JiraAuth,
        *,
        timeout: float = 30.0,
        max_attempts: int = 5,
        max_total_wait: float = 60.0,
        session: requests.Session | None = None,
        budget: SiteBudget | None = None,
        attachment_limit: int = DEFAULT_ATTACHMENT_LIMIT,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.timeout = timeout
        self.policy = RetryPolicy(max_attempts=max(1, max_attempts), max_total_wait=max_total_wait)
        self.session = session or requests.Session()
        self.session.headers.setdefault("Accept", "application/json")
        self.budget = budget or budget_for(self.base_url)
        self.attachment_limit = attachment_limit
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> JiraClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ transport

    def url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.base_url}{path}"

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        stream: bool = False,
        what: str | None = None,
    ) -> requests.Response:
        """Send with retries; a response with status < 300 or an exception mapped to connector errors."""
        method = method.upper()
        retry_blindly = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        label = what or f"{method} {path}"
        waited = 0.0
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            if isinstance(data, _MultipartStream):
                data.rewind()
            try:
                response = self._send(method, path, params, json, data, headers, stream)
            except requests.ConnectionError as exc:
                never_sent = isinstance(exc, requests.ConnectTimeout) or _refused(exc)
                error = RetriableError(f"{label}: connection failed: {exc}")
                if not (retry_blindly or never_sent):
                    raise error from exc
                waited = self._pause_or_raise(error, attempt, waited, None)
                continue
            except requests.Timeout as exc:
                error = RetriableError(f"{label}: timed out after {self.timeout}s")
                if not retry_blindly:
                    raise error from exc
                waited = self._pause_or_raise(error, attempt, waited, None)
                continue
            status = response.status_code
            if status < 300:
                return response
            if status == 401 and not refreshed and self.auth.refresh(response.request):
                response.close()
                refreshed = True
                continue
            mapped = error_for(response, label)
            response.close()
            if not isinstance(mapped, RetriableError) or not (retry_blindly or status == 429):
                raise mapped
            if status == 429:
                self.budget.bucket.penalize(mapped.retry_after or 0.0)
            waited = self._pause_or_raise(mapped, attempt, waited, mapped.retry_after)

    def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        json: Any,
        data: Any,
        headers: Mapping[str, str] | None,
        stream: bool,
    ) -> requests.Response:
        self.budget.bucket.acquire()
        with self.budget.semaphore:
            return self.session.request(
                method,
                self.url(path),
                params=params,
                json=json,
                data=data,
                headers=dict(headers or {}),
                auth=self.auth,
                timeout=self.timeout,
                stream=stream,
            )

    def _pause_or_raise(
        self, error: RetriableError, attempt: int, waited: float, retry_after: float | None
    ) -> float:
        delay = retry_after if retry_after is not None else self.policy.backoff(attempt, self._rng)
        if retry_after is not None:
            delay += self._rng.uniform(0, 0.1)  # spread the herd that got the same Retry-After
        if attempt >= self.policy.max_attempts or waited + delay > self.policy.max_total_wait:
            if error.retry_after is None:
                error.retry_after = delay
            raise error
        log.debug("retrying %s in %.2fs (attempt %d)", error.message, delay, attempt)
        self._sleep(delay)
        return waited + delay

    def pause(self, retry_after: float | None, attempt: int) -> None:
        """Wait before a caller-level retry: ``retry_after`` when known, else backoff with jitter."""
        self._sleep(retry_after if retry_after is not None else self.policy.backoff(attempt, self._rng))

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        with response:
            if response.status_code == 204 or not response.content:
                return None
            try:
                return response.json()
            except ValueError as exc:
                raise RetriableError(f"{method} {path}: invalid JSON in response") from exc

    # ------------------------------------------------------------------ site metadata

    def myself(self) -> JsonObject:
        return cast(JsonObject, self._json("GET", f"{API}/myself"))

    def fields(self) -> list[JsonObject]:
        return cast(list[JsonObject], self._json("GET", f"{API}/field"))

    def create_meta_issue_types(self, project: str) -> list[JsonObject]:
        return self._paged_values(f"{API}/issue/createmeta/{_seg(project)}/issuetypes", "issueTypes")

    def create_meta_fields(self, project: str, issue_type_id: str) -> list[JsonObject]:
        return self._paged_values(
            f"{API}/issue/createmeta/{_seg(project)}/issuetypes/{_seg(issue_type_id)}", "fields"
        )

    def _paged_values(self, path: str, key: str, page_size: int = 50) -> list[JsonObject]:
        values: list[JsonObject] = []
        start = 0
        while True:
            body = self._json("GET", path, params={"startAt": start, "maxResults": page_size})
            page = body.get(key) or body.get("values") or []
            values.extend(page)
            start += len(page)
            total = body.get("total")
            if not page or (total is not None and start >= int(total)) or body.get("isLast") is True:
                return values

    # ------------------------------------------------------------------ issues

    def search(
        self,
        jql: str,
        *,
        fields: Sequence[str] = ("*all",),
        next_page_token: str | None = None,
        max_results: int = 100,
        expand: str | None = None,
        properties: Sequence[str] | None = None,
    ) -> JsonObject:
        """One page of ``POST /search/jql`` (the enhanced search; token paging, no totals)."""
        body: JsonObject = {"jql": jql, "fields": list(fields), "maxResults": max_results}
        if next_page_token:
            body["nextPageToken"] = next_page_token
        if expand:
            body["expand"] = expand
        if properties:
            body["properties"] = list(properties)
        return cast(JsonObject, self._json("POST", f"{API}/search/jql", json=body, idempotent=True))

    def get_issue(
        self, issue: str, *, fields: Sequence[str] | None = None, expand: str | None = None
    ) -> JsonObject:
        params: dict[str, str] = {}
        if fields is not None:
            params["fields"] = ",".join(fields)
        if expand:
            params["expand"] = expand
        return cast(JsonObject, self._json("GET", f"{API}/issue/{_seg(issue)}", params=params))

    def bulk_fetch(self, issues: Sequence[str], *, fields: Sequence[str] = ("*all",)) -> list[JsonObject]:
        """``POST /issue/bulkfetch`` in chunks of 100; missing issues are simply absent."""
        found: list[JsonObject] = []
        for start in range(0, len(issues), BULK_FETCH_LIMIT):
            chunk = list(issues[start : start + BULK_FETCH_LIMIT])
            body = {"issueIdsOrKeys": chunk, "fields": list(fields)}
            result = self._json("POST", f"{API}/issue/bulkfetch", json=body, idempotent=True)
            found.extend(result.get("issues") or [])
        return found

    def create_issue(
        self,
        fields: JsonObject,
        *,
        properties: Sequence[JsonObject] | None = None,
        update: JsonObject | None = None,
    ) -> JsonObject:
        """Create (not retried after the request may have reached Jira; see the module doc)."""
        body: JsonObject = {"fields": fields}
        if properties:
            body["properties"] = list(properties)
        if update:
            body["update"] = update
        return cast(JsonObject, self._json("POST", f"{API}/issue", json=body))

    def edit_issue(
        self, issue: str, *, fields: JsonObject | None = None, update: JsonObject | None = None
    ) -> None:
        body: JsonObject = {}
        if fields:
            body["fields"] = fields
        if update:
            body["update"] = update
        if body:
            self._json("PUT", f"{API}/issue/{_seg(issue)}", json=body)

    def delete_issue(self, issue: str) -> None:
        self._json("DELETE", f"{API}/issue/{_seg(issue)}", params={"deleteSubtasks": "true"})

    # ------------------------------------------------------------------ transitions

    def get_transitions(self, issue: str) -> list[JsonObject]:
        body = self._json(
            "GET", f"{API}/issue/{_seg(issue)}/transitions", params={"expand": "transitions.fields"}
        )
        return list(body.get("transitions") or [])

    def do_transition(self, issue: str, transition_id: str, fields: JsonObject | None = None) -> None:
        body: JsonObject = {"transition": {"id": transition_id}}
        if fields:
            body["fields"] = fields
        self._json("POST", f"{API}/issue/{_seg(issue)}/transitions", json=body)

    def transition_to_status(self, issue: str, status: str) -> str | None:
        """Move ``issue`` to the status named ``status``; the transition taken (None: already there).

        Only a transition available from the current status is taken: walking the workflow
        blindly could strand the issue in an unrelated status, so an unreachable target is a
        :class:`FatalError` that lists what is available.
        """
        current, project = self._status_and_project(issue)
        if current.casefold() == status.casefold():
            return None
        transitions = self.get_transitions(issue)
        chosen = _pick_transition(transitions, status)
        if chosen is None:
            available = ", ".join(str(t.get("to", {}).get("name")) for t in transitions) or "none"
            raise FatalError(
                f"no transition from '{current}' to '{status}' in project {project} (available: {available})"
            )
        self.do_transition(issue, str(chosen["id"]), _required_field_defaults(chosen))
        return str(chosen.get("name"))

    def _status_and_project(self, issue: str) -> tuple[str, str]:
        data = self.get_issue(issue, fields=["status", "project"])
        fields = data.get("fields") or {}
        return str((fields.get("status") or {}).get("name")), str((fields.get("project") or {}).get("key"))

    # ------------------------------------------------------------------ comments

    def get_comments(self, issue: str, page_size: int = 100) -> list[JsonObject]:
        comments: list[JsonObject] = []
        start = 0
        while True:
            body = self._json(
                "GET",
                f"{API}/issue/{_seg(issue)}/comment",
                params={"startAt": start, "maxResults": page_size, "orderBy": "created"},
            )
            page = body.get("comments") or []
            comments.extend(page)
            start += len(page)
            if not page or start >= int(body.get("total") or 0):
                return comments

    def add_comment(
        self, issue: str, body_adf: JsonObject, *, properties: Sequence[JsonObject] = ()
    ) -> JsonObject:
        payload: JsonObject = {"body": body_adf}
        if properties:
            payload["properties"] = list(properties)
        return cast(JsonObject, self._json("POST", f"{API}/issue/{_seg(issue)}/comment", json=payload))

    def update_comment(self, issue: str, comment_id: str, body_adf: JsonObject) -> JsonObject:
        path = f"{API}/issue/{_seg(issue)}/comment/{_seg(comment_id)}"
        return cast(JsonObject, self._json("PUT", path, json={"body": body_adf}))

    def delete_comment(self, issue: str, comment_id: str) -> None:
        self._json("DELETE", f"{API}/issue/{_seg(issue)}/comment/{_seg(comment_id)}")

    # ------------------------------------------------------------------ attachments

    def add_attachment(
        self, issue: str, filename: str, content: IO[bytes], mime_type: str
    ) -> list[JsonObject]:
        """Upload one file, streamed from ``content`` (a seekable binary file)."""
        size = _stream_size(content)
        if size > self.attachment_limit:
            raise SkippableError(
                f"attachment {filename!r} is {size} bytes, over the {self.attachment_limit} limit"
            )
        boundary = f"tandem-{self._rng.getrandbits(64):016x}"
        body = _MultipartStream(boundary, filename, content, mime_type or "application/octet-stream", size)
        headers = {
            "X-Atlassian-Token": "no-check",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(body.length),
        }
        result = self._json("POST", f"{API}/issue/{_seg(issue)}/attachments", data=body, headers=headers)
        return list(result or [])

    def get_attachment(self, attachment_id: str) -> JsonObject:
        return cast(JsonObject, self._json("GET", f"{API}/attachment/{_seg(attachment_id)}"))

    def download_attachment(self, attachment_id: str, chunk_size: int = DOWNLOAD_CHUNK) -> Iterator[bytes]:
        """The file's bytes in chunks (following Jira's redirect to the media store)."""
        response = self.request("GET", f"{API}/attachment/content/{_seg(attachment_id)}", stream=True)
        declared = int(response.headers.get("Content-Length") or 0)
        if declared > self.attachment_limit:
            response.close()
            raise SkippableError(f"attachment {attachment_id} is {declared} bytes, over the limit")
        return self._stream(response, attachment_id, chunk_size)

    def _stream(self, response: requests.Response, attachment_id: str, chunk_size: int) -> Iterator[bytes]:
        received = 0
        with response:
            try:
                for chunk in response.iter_content(chunk_size):
                    received += len(chunk)
                    if received > self.attachment_limit:
                        raise SkippableError(f"attachment {attachment_id} exceeds the size limit")
                    yield chunk
            except requests.RequestException as exc:
                raise RetriableError(f"download of attachment {attachment_id} interrupted: {exc}") from exc

    def delete_attachment(self, attachment_id: str) -> None:
        self._json("DELETE", f"{API}/attachment/{_seg(attachment_id)}")

    # ------------------------------------------------------------------ properties, links, history

    def set_issue_property(self, issue: str, key: str, value: Any) -> None:
        self._json("PUT", f"{API}/issue/{_seg(issue)}/properties/{_seg(key)}", json=value)

    def get_issue_property(self, issue: str, key: str) -> Any:
        body = self._json("GET", f"{API}/issue/{_seg(issue)}/properties/{_seg(key)}")
        return body.get("value") if isinstance(body, dict) else None

    def upsert_remote_link(self, issue: str, global_id: str, url: str, title: str) -> JsonObject:
        """Create or update the remote link ``global_id`` (an upsert, so safe to retry)."""
        body = {"globalId": global_id, "object": {"url": url, "title": title}}
        path = f"{API}/issue/{_seg(issue)}/remotelink"
        return cast(JsonObject, self._json("POST", path, json=body, idempotent=True))

    def get_remote_links(self, issue: str) -> list[JsonObject]:
        return list(self._json("GET", f"{API}/issue/{_seg(issue)}/remotelink") or [])

    def get_changelog(self, issue: str, page_size: int = 100) -> list[JsonObject]:
        entries: list[JsonObject] = []
        start = 0
        while True:
            body = self._json(
                "GET",
                f"{API}/issue/{_seg(issue)}/changelog",
                params={"startAt": start, "maxResults": page_size},
            )
            page = body.get("values") or []
            entries.extend(page)
            start += len(page)
            if not page or body.get("isLast", start >= int(body.get("total") or 0)):
                return entries

    # ------------------------------------------------------------------ users

    def get_user(self, account_id: str) -> JsonObject:
        return cast(JsonObject, self._json("GET", f"{API}/user", params={"accountId": account_id}))

    def find_users(self, query: str, max_results: int = 20) -> list[JsonObject]:
        params = {"query": query, "maxResults": max_results}
        return list(self._json("GET", f"{API}/user/search", params=params) or [])


def _seg(value: str) -> str:
    """One URL path segment (issue keys, ids, property keys)."""
    return quote(str(value), safe="")


def _refused(exc: requests.ConnectionError) -> bool:
    text = str(exc)
    return "Connection refused" in text or "NewConnectionError" in text


def _pick_transition(transitions: Sequence[JsonObject], status: str) -> JsonObject | None:
    wanted = status.casefold()
    return next((t for t in transitions if str(t.get("to", {}).get("name", "")).casefold() == wanted), None)


# Sensible values for fields a transition screen requires (Jira rejects the transition without them).
_FIELD_DEFAULTS: dict[str, Any] = {"resolution": {"name": "Done"}}


def _required_field_defaults(transition: JsonObject) -> JsonObject:
    values: JsonObject = {}
    for field_id, meta in (transition.get("fields") or {}).items():
        if not meta.get("required") or meta.get("hasDefaultValue"):
            continue
        if field_id in _FIELD_DEFAULTS:
            allowed = [str(v.get("name")) for v in meta.get("allowedValues") or []]
            default = _FIELD_DEFAULTS[field_id]
            if allowed and default["name"] not in allowed:
                default = {"name": allowed[0]}
            values[field_id] = default
        elif meta.get("allowedValues"):
            first = meta["allowedValues"][0]
            values[field_id] = {"id": first["id"]} if "id" in first else first
    return values
