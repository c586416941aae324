"""Jira Cloud as a :class:`connectors.base.Connector`: REST v3 through :class:`JiraClient`.

Issues are normalized into :mod:`connectors.model` (ADF -> Markdown, custom fields by id with
their names, every comment page, attachment metadata, users with account id/email/name).
The ``IssueChanges.fields`` vocabulary this connector writes is documented in
docs/connectors.md ("Jira field vocabulary").

Idempotent creates: the origin marker is the issue property ``tandem.origin`` = ``{"id": origin}``
sent inside the create payload (``IssueUpdateDetails.properties``), so the marker exists from
the issue's first moment; ``find_by_origin`` searches ``issue.property[tandem.origin].id``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from typing import IO, Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectors.base import (
    Capability,
    ConfigError,
    Connector,
    FatalError,
    IssueChanges,
    NotFoundError,
    Page,
    RetriableError,
)
from connectors.jira.adf import adf_to_markdown, markdown_to_adf
from connectors.jira.auth import ActAsUserAuth, BasicAuth, ConnectJwtAuth, JiraAuth, OAuthBearerAuth
from connectors.jira.client import JiraClient, JsonObject, budget_for
from connectors.model import Attachment, Comment, Issue, User

ORIGIN_PROPERTY = "tandem.origin"
AUTH_KEYS: dict[str, tuple[str, ...]] = {
    "connect": ("app_key", "shared_secret"),
    "basic": ("email", "api_token"),
    "oauth": ("access_token",),
}
OPTIONAL_OAUTH_KEYS = ("refresh_token", "token_url", "client_id", "client_secret")
STANDARD_FIELDS = {
    "summary",
    "description",
    "type",
    "priority",
    "labels",
    "assignee",
    "reporter",
    "parent",
    "due",
    "components",
    "status",
    "custom",
}
KNOWN_CONFIG_KEYS = frozenset(
    {
        "base_url",
        "auth",
        "act_as",
        "timeout",
        "max_attempts",
        "max_total_wait",
        "rate_per_second",
        "max_concurrency",
    }
)
# Optional numeric settings: (key, integer only).
LIMIT_KEYS = (
    ("timeout", False),
    ("max_attempts", True),
    ("max_total_wait", False),
    ("rate_per_second", False),
    ("max_concurrency", True),
)
_ORDER_BY_RE = re.compile(r"\s+ORDER\s+BY\s+.*$", re.IGNORECASE | re.DOTALL)


def _jql_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_jira_time(value: str | None) -> datetime | None:
    """Jira's ``2024-05-01T10:20:30.123+0000`` (and ISO variants) as an aware datetime."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z")


def _user(data: Mapping[str, Any] | None) -> User | None:
    if not data:
        return None
    return User(
        account_id=data.get("accountId"),
        email=data.get("emailAddress") or None,
        display_name=data.get("displayName"),
    )


def _non_empty_string(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _auth_errors(auth: Any) -> list[str]:
    if not isinstance(auth, Mapping):
        return ["auth: an object with a 'type' (connect, basic or oauth) is required"]
    auth_type = auth.get("type")
    if auth_type not in AUTH_KEYS:
        return [f"auth.type: must be one of connect, basic, oauth (got {auth_type!r})"]
    errors = [
        f"auth.{key}: a non-empty string is required for {auth_type} auth"
        for key in AUTH_KEYS[str(auth_type)]
        if not _non_empty_string(auth.get(key))
    ]
    if auth_type == "oauth":
        errors += [
            f"auth.{key}: must be a string"
            for key in OPTIONAL_OAUTH_KEYS
            if auth.get(key) is not None and not isinstance(auth.get(key), str)
        ]
        if auth.get("refresh_token") and not auth.get("token_url"):
            errors.append("auth.token_url: required to use the refresh_token")
    return errors


def _act_as_errors(config: Mapping[str, Any]) -> list[str]:
    act_as = config.get("act_as")
    if act_as is None:
        return []
    auth = config.get("auth")
    errors = (
        []
        if isinstance(auth, Mapping) and auth.get("type") == "connect"
        else ["act_as: only available with connect auth"]
    )
    if not isinstance(act_as, Mapping):
        return [*errors, "act_as: must be an object with oauth_client_id and token_url"]
    return errors + [
        f"act_as.{key}: a non-empty string is required"
        for key in ("oauth_client_id", "token_url")
        if not _non_empty_string(act_as.get(key))
    ]


def _limit_errors(config: Mapping[str, Any]) -> list[str]:
    errors = []
    for key, integer in LIMIT_KEYS:
        value = config.get(key)
        if value is None:
            continue
        wrong_type = isinstance(value, bool) or not isinstance(value, int if integer else int | float)
        if wrong_type or value <= 0:
            errors.append(f"{key}: a positive {'integer' if integer else 'number'} is required")
    return errors


class JiraConnector(Connector):
    """One Jira Cloud site with one set of credentials. Thread-safe."""

    name: ClassVar[str] = "jira"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.WEBHOOKS,
            Capability.COMMENTS,
            Capability.COMMENT_EDIT,
            Capability.ATTACHMENTS,
            Capability.TRANSITIONS,
            Capability.HIERARCHY,
            Capability.CUSTOM_FIELDS,
            Capability.ORIGIN_MARKER,
            Capability.REMOTE_LINKS,
            Capability.IMPERSONATION,
            Capability.CHANGELOG,
            Capability.USER_LOOKUP,
        }
    )
    page_size: ClassVar[int] = 100

    # ------------------------------------------------------------------ configuration

    @classmethod
    def validate_config(cls, config: Mapping[str, Any]) -> list[str]:
        errors: list[str] = []
        base_url = config.get("base_url")
        if not isinstance(base_url, str) or not re.match(r"^https?://[^/\s]+", base_url):
            errors.append("base_url: an http(s) URL of the Jira site is required")
        errors += _auth_errors(config.get("auth"))
        errors += _act_as_errors(config)
        errors += _limit_errors(config)
        unknown = set(config) - KNOWN_CONFIG_KEYS
        if unknown:
            errors.append(f"unknown keys: {', '.join(sorted(unknown))}")
        return errors

    def __init__(self, config: Mapping[str, Any], *, client: JiraClient | None = None) -> None:
        self.check_config(config)
        self.config = dict(config)
        self.base_url = str(config["base_url"]).rstrip("/")
        self._timeout = float(config.get("timeout", 30.0))
        self._max_attempts = int(config.get("max_attempts", 5))
        self._max_total_wait = float(config.get("max_total_wait", 60.0))
        self.client = client or self._new_client(self._build_auth(config["auth"]))
        self._lock = threading.Lock()
        self._fields: dict[str, JsonObject] | None = None
        self._zone: ZoneInfo | None = None
        self._act_as_clients: dict[str, JiraClient] = {}

    def _new_client(self, auth: JiraAuth) -> JiraClient:
        budget = budget_for(
            self.base_url,
            concurrency=self.config.get("max_concurrency"),
            rate_per_second=self.config.get("rate_per_second"),
        )
        return JiraClient(
            self.base_url,
            auth,
            timeout=self._timeout,
            max_attempts=self._max_attempts,
            max_total_wait=self._max_total_wait,
            budget=budget,
        )

    def _build_auth(self, auth: Mapping[str, Any]) -> JiraAuth:
        kind = auth["type"]
        if kind == "connect":
            return ConnectJwtAuth(auth["app_key"], auth["shared_secret"], self.base_url)
        if kind == "basic":
            return BasicAuth(auth["email"], auth["api_token"])
        if kind == "oauth":
            return OAuthBearerAuth(
                auth["access_token"],
                refresh_token=auth.get("refresh_token"),
                token_url=auth.get("token_url"),
                client_id=auth.get("client_id"),
                client_secret=auth.get("client_secret"),
            )
        raise ConfigError([f"auth.type: unknown {kind!r}"])

    def close(self) -> None:
        self.client.close()
        with self._lock:
            clients, self._act_as_clients = list(self._act_as_clients.values()), {}
        for client in clients:
            client.close()

    # ------------------------------------------------------------------ site metadata (cached)

    def field_catalog(self) -> dict[str, JsonObject]:
        """Every field of the site by id (from ``GET /field``, fetched once)."""
        with self._lock:
            cached = self._fields
        if cached is None:
            cached = {str(f["id"]): f for f in self.client.fields()}
            with self._lock:
                self._fields = cached
        return cached

    def _custom_name(self, field_id: str) -> str:
        return str(self.field_catalog().get(field_id, {}).get("name") or field_id)

    def _custom_id(self, key: str) -> str:
        """A custom field given by id (``customfield_10042``) or by its display name."""
        catalog = self.field_catalog()
        if key in catalog:
            return key
        matches = [fid for fid, f in catalog.items() if str(f.get("name", "")).casefold() == key.casefold()]
        if len(matches) != 1:
            raise FatalError(
                f"unknown custom field {key!r}" if not matches else f"ambiguous field name {key!r}"
            )
        return matches[0]

    def _site_zone(self) -> ZoneInfo:
        """JQL dates are read in the calling user's time zone; find it once."""
        with self._lock:
            zone = self._zone
        if zone is None:
            name = str(self.client.myself().get("timeZone") or "UTC")
            try:
                zone = ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                zone = ZoneInfo("UTC")
            with self._lock:
                self._zone = zone
        return zone

    # ------------------------------------------------------------------ reading

    def get_issue(self, issue_id: str) -> Issue:
        return self._normalize(self.client.get_issue(issue_id, fields=["*all"]))

    def jql_for(self, query: str, updated_since: datetime | None) -> str:
        """``(<query>) AND updated >= "<yyyy-MM-dd HH:mm>" ORDER BY updated ASC``."""
        clauses = []
        base = _ORDER_BY_RE.sub("", query or "").strip()
        if base:
            clauses.append(f"({base})")
        if updated_since is not None:
            moment = updated_since if updated_since.tzinfo else updated_since.replace(tzinfo=UTC)
            local = moment.astimezone(self._site_zone())
            # JQL has minute precision: round down, callers overlap anyway.
            clauses.append(f'updated >= "{local.strftime("%Y-%m-%d %H:%M")}"')
        return (" AND ".join(clauses) + " ORDER BY updated ASC, key ASC").strip()

    def fetch_page(
        self, query: str, *, updated_since: datetime | None, page_token: str | None, page_size: int
    ) -> Page:
        jql = self.jql_for(query, updated_since)
        body = self.client.search(jql, fields=["*all"], next_page_token=page_token, max_results=page_size)
        issues = [self._normalize(raw) for raw in body.get("issues") or []]
        token = None if body.get("isLast", True) else body.get("nextPageToken")
        return Page(issues, token or None)

    def matches(self, query: str, issue: Issue) -> bool:
        base = _ORDER_BY_RE.sub("", query or "").strip()
        jql = f"({base}) AND id = {int(issue.id)}" if base else f"id = {int(issue.id)}"
        return bool(self.client.search(jql, fields=["id"], max_results=1).get("issues"))

    def find_by_origin(self, origin: str) -> Issue | None:
        jql = f"issue.property[{ORIGIN_PROPERTY}].id = {_jql_string(origin)} ORDER BY created ASC"
        found = self.client.search(jql, fields=["*all"], max_results=1).get("issues") or []
        return self._normalize(found[0]) if found else None

    def get_changelog(self, issue_id: str) -> list[JsonObject]:
        """The issue's history: ``[{id, author, created, items: [{field, fromString, toString}]}]``."""
        return self.client.get_changelog(issue_id)

    # ------------------------------------------------------------------ normalization

    def _normalize(self, raw: JsonObject) -> Issue:
        fields: JsonObject = raw.get("fields") or {}
        key = str(raw.get("key"))
        custom = {
            fid: self._custom_value(fid, value)
            for fid, value in fields.items()
            if fid.startswith("customfield_") and value is not None
        }
        return Issue(
            id=str(raw["id"]),
            key=key,
            project=str((fields.get("project") or {}).get("key") or key.rsplit("-", 1)[0]),
            type=str((fields.get("issuetype") or {}).get("name") or ""),
            summary=str(fields.get("summary") or ""),
            description=adf_to_markdown(fields.get("description")),
            status=(fields.get("status") or {}).get("name"),
            priority=(fields.get("priority") or {}).get("name"),
            labels=list(fields.get("labels") or []),
            assignee=_user(fields.get("assignee")),
            reporter=_user(fields.get("reporter")),
            parent=(fields.get("parent") or {}).get("key"),
            custom=custom,
            custom_names={fid: self._custom_name(fid) for fid in custom},
            created=parse_jira_time(fields.get("created")),
            updated=parse_jira_time(fields.get("updated")),
            comments=self._comments_of(key, fields.get("comment")),
            attachments=[self._attachment(a) for a in fields.get("attachment") or []],
            url=f"{self.base_url}/browse/{key}",
        )

    def _custom_value(self, field_id: str, value: Any) -> Any:
        if isinstance(value, dict) and value.get("type") == "doc":
            return adf_to_markdown(value)
        if isinstance(value, dict):
            if "value" in value:
                return value["value"]
            if "accountId" in value:
                user = _user(value)
                return user.to_dict() if user else None
            if "name" in value:
                return value["name"]
        if isinstance(value, list):
            return [self._custom_value(field_id, item) for item in value]
        return value

    def _comments_of(self, key: str, block: JsonObject | None) -> list[Comment]:
        raw = list((block or {}).get("comments") or [])
        total = int((block or {}).get("total") or len(raw))
        if block is None or total > len(raw):
            raw = self.client.get_comments(key)
        return [self._comment(c) for c in raw]

    @staticmethod
    def _comment(raw: JsonObject) -> Comment:
        return Comment(
            id=str(raw["id"]),
            body=adf_to_markdown(raw.get("body")),
            author=_user(raw.get("author")),
            created=parse_jira_time(raw.get("created")),
            updated=parse_jira_time(raw.get("updated")),
            internal=raw.get("jsdPublic") is False,  # a Service Management internal note
        )

    @staticmethod
    def _attachment(raw: JsonObject) -> Attachment:
        return Attachment(
            id=str(raw["id"]),
            filename=str(raw.get("filename") or ""),
            size=int(raw.get("size") or 0),
            mime_type=str(raw.get("mimeType") or "application/octet-stream"),
            created=parse_jira_time(raw.get("created")),
            author=_user(raw.get("author")),
        )

    # ------------------------------------------------------------------ writing

    def _jira_fields(self, changes: IssueChanges) -> JsonObject:
        """The Jira ``fields`` payload for the normalized vocabulary (docs/connectors.md)."""
        unknown = [k for k in changes.fields if k not in STANDARD_FIELDS and not k.startswith("custom.")]
        if unknown:
            raise FatalError(f"unknown field(s) for Jira: {', '.join(sorted(unknown))}")
        out: JsonObject = {}
        values = changes.fields
        if "summary" in values:
            out["summary"] = str(values["summary"] or "")
        if "description" in values:
            out["description"] = (
                markdown_to_adf(values["description"] or "") if values["description"] else None
            )
        if "type" in values:
            out["issuetype"] = {"name": values["type"]}
        if "priority" in values:
            out["priority"] = {"name": values["priority"]} if values["priority"] else None
        if "labels" in values:
            out["labels"] = [str(label).replace(" ", "_") for label in values["labels"] or []]
        for role in ("assignee", "reporter"):
            if role in values:
                out[role] = self._user_ref(values[role])
        if "parent" in values:
            out["parent"] = {"key": values["parent"]} if values["parent"] else None
        if "due" in values:
            out["duedate"] = _date_text(values["due"])
        if "components" in values:
            out["components"] = [{"name": name} for name in values["components"] or []]
        custom: dict[str, Any] = dict(values.get("custom") or {})
        custom.update({k[len("custom.") :]: v for k, v in values.items() if k.startswith("custom.")})
        for key, value in custom.items():
            field_id = self._custom_id(key)
            out[field_id] = self._custom_payload(field_id, value)
        return out

    def _user_ref(self, value: Any) -> JsonObject | None:
        if value is None:
            return None
        user = value if isinstance(value, User) else User.from_dict(value)
        if user is None:
            return None
        if user.account_id:
            return {"accountId": user.account_id}
        found = self.find_user(email=user.email) if user.email else None
        if found is None or not found.account_id:
            raise FatalError(f"no Jira user for {user.email or user.display_name!r} on {self.base_url}")
        return {"accountId": found.account_id}

    def _custom_payload(self, field_id: str, value: Any) -> Any:
        schema = self.field_catalog().get(field_id, {}).get("schema") or {}
        kind, items, custom = schema.get("type"), schema.get("items"), str(schema.get("custom") or "")
        if value is None:
            return None
        if kind == "option":
            return value if isinstance(value, dict) else {"value": str(value)}
        if kind == "array" and items == "option":
            return [v if isinstance(v, dict) else {"value": str(v)} for v in value]
        if kind == "user":
            return self._user_ref(value)
        if kind == "number":
            return float(value)
        if kind == "date":
            return _date_text(value)
        if kind == "string" and custom.endswith(":textarea"):
            return markdown_to_adf(str(value))
        return value

    def create_issue(self, project: str, issue_type: str, changes: IssueChanges, origin: str) -> Issue:
        fields = self._jira_fields(changes)
        fields["project"] = {"key": project}
        fields["issuetype"] = {"name": issue_type}
        marker = [{"key": ORIGIN_PROPERTY, "value": {"id": origin}}]
        created = self._create_idempotently(fields, marker, origin)
        status = changes.fields.get("status")
        if status:
            self.transition(str(created["id"]), str(status))
        return self.get_issue(str(created["id"]))

    def _create_idempotently(self, fields: JsonObject, marker: list[JsonObject], origin: str) -> JsonObject:
        """Retry a create only after checking that the lost attempt did not create it."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return self.client.create_issue(fields, properties=marker)
            except RetriableError as exc:
                if attempt >= self._max_attempts:
                    raise
                self.client.pause(exc.retry_after, attempt)
                existing = self.find_by_origin(origin)
                if existing is not None:
                    return {"id": existing.id, "key": existing.key}

    def update_issue(self, issue_id: str, changes: IssueChanges) -> None:
        fields = self._jira_fields(IssueChanges({k: v for k, v in changes.fields.items() if k != "status"}))
        self.client.edit_issue(issue_id, fields=fields)
        status = changes.fields.get("status")
        if status:
            self.transition(issue_id, str(status))

    def transition(self, issue_id: str, status: str) -> None:
        self.client.transition_to_status(issue_id, status)

    def delete_issue(self, issue_id: str) -> None:
        self.client.delete_issue(issue_id)

    # ------------------------------------------------------------------ comments

    def add_comment(self, issue_id: str, body: str, *, author: User | None = None) -> Comment:
        client = self._client_acting_as(author) if author is not None else None
        raw = (client or self.client).add_comment(issue_id, markdown_to_adf(body))
        return self._comment(raw)

    def _client_acting_as(self, author: User) -> JiraClient | None:
        """A client posting as ``author`` when act-as is configured and the account exists here."""
        act_as = self.config.get("act_as")
        auth = self.config["auth"]
        if not act_as or auth.get("type") != "connect":
            return None
        found = self.find_user(account_id=author.account_id) if author.account_id else None
        if found is None and author.email:
            found = self.find_user(email=author.email)
        if found is None or not found.account_id:
            return None
        with self._lock:
            client = self._act_as_clients.get(found.account_id)
            if client is None:
                client = self._new_client(
                    ActAsUserAuth(
                        act_as["oauth_client_id"],
                        auth["shared_secret"],
                        self.base_url,
                        found.account_id,
                        token_url=act_as["token_url"],
                    )
                )
                self._act_as_clients[found.account_id] = client
        return client

    def update_comment(self, issue_id: str, comment_id: str, body: str) -> Comment:
        return self._comment(self.client.update_comment(issue_id, comment_id, markdown_to_adf(body)))

    def delete_comment(self, issue_id: str, comment_id: str) -> None:
        self.client.delete_comment(issue_id, comment_id)

    # ------------------------------------------------------------------ attachments

    def upload_attachment(
        self, issue_id: str, filename: str, content: IO[bytes], mime_type: str
    ) -> Attachment:
        created = self.client.add_attachment(issue_id, filename, content, mime_type)
        if not created:
            raise FatalError(f"Jira accepted the upload of {filename!r} but returned no attachment")
        return self._attachment(created[0])

    def download_attachment(self, attachment_id: str) -> Iterator[bytes]:
        return self.client.download_attachment(attachment_id)

    def delete_attachment(self, attachment_id: str) -> None:
        self.client.delete_attachment(attachment_id)

    # ------------------------------------------------------------------ users and links

    def find_user(self, *, email: str | None = None, account_id: str | None = None) -> User | None:
        if account_id:
            try:
                return _user(self.client.get_user(account_id))
            except NotFoundError:
                return None
        if email:
            wanted = email.casefold()
            for record in self.client.find_users(email):
                if str(record.get("emailAddress") or "").casefold() == wanted:
                    return _user(record)
        return None

    def add_remote_link(self, issue_id: str, url: str, title: str, global_id: str) -> None:
        self.client.upsert_remote_link(issue_id, global_id, url, title)


def _date_text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)[:10]
