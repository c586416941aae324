"""Jira Cloud REST v3 handlers (v2 aliases share them, with plain-text rich text)."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from werkzeug.datastructures import MultiDict
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from . import seed
from .adf import text_to_adf
from .auth import Principal
from .errors import JiraApiError, bad_request, not_found
from .model import jira_time
from .render import Renderer
from .state import Site

if TYPE_CHECKING:
    from .server import JiraSimulator

SEARCH_GONE = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)
SEARCH_DEFAULT_MAX = 50
SEARCH_MAX = 100
SEARCH_MAX_ID_ONLY = 5000


@dataclass
class Call:
    sim: JiraSimulator
    site: Site
    request: Request
    principal: Principal | None
    api: str

    @property
    def actor(self) -> str:
        assert self.principal is not None
        return self.principal.account_id

    @property
    def renderer(self) -> Renderer:
        return Renderer(self.site, api=self.api, viewer=self.principal.account_id if self.principal else None)

    def body(self) -> Any:
        raw = self.request.get_data(as_text=True)
        if not raw:
            return {}
        try:
            return json.loads(raw)
        except ValueError:
            raise bad_request(["Unexpected character in the request body: not valid JSON."]) from None

    def body_object(self) -> dict[str, Any]:
        data = self.body()
        if not isinstance(data, dict):
            raise bad_request(["The request body must be a JSON object."])
        return data

    def rich(self, value: Any) -> Any:
        """v2 sends rich text as plain strings; v3 sends ADF (validated by the site)."""
        return text_to_adf(value) if self.api == "2" and isinstance(value, str) else value

    def args(self) -> MultiDict[str, str]:
        return self.request.args

    def int_arg(self, name: str, default: int) -> int:
        raw = self.request.args.get(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise bad_request([f"The '{name}' parameter must be an integer."]) from None

    def list_arg(self, name: str) -> list[str] | None:
        values = self.request.args.getlist(name)
        if not values:
            return None
        return [part.strip() for value in values for part in value.split(",") if part.strip()]


def ok(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")


def no_content() -> Response:
    return Response(status=204)


# ---------------------------------------------------------------- metadata


def get_myself(call: Call) -> Response:
    data = call.renderer.user(call.actor) or {}
    data["groups"] = {"size": 1, "items": []}
    data["applicationRoles"] = {"size": 1, "items": []}
    data["locale"] = "en_US"
    return ok(data)


def get_server_info(call: Call) -> Response:
    now = datetime.now(UTC)
    return ok(
        {
            "baseUrl": call.site.base_url,
            "displayUrl": call.site.base_url,
            "version": "1001.0.0-SNAPSHOT",
            "versionNumbers": [1001, 0, 0],
            "deploymentType": "Cloud",
            "buildNumber": 100260,
            "buildDate": "2026-11-01T00:00:00.000+0000",
            "serverTime": jira_time(now),
            "scmInfo": "simulated",
            "serverTitle": "Jira",
        }
    )


def get_all_projects(call: Call) -> Response:
    return ok([call.renderer.project_detail(p) for p in call.site.projects.values()])


def get_project(call: Call, project: str) -> Response:
    return ok(call.renderer.project_detail(call.site.project(project)))


def search_projects(call: Call) -> Response:
    start, limit = call.int_arg("startAt", 0), min(call.int_arg("maxResults", 50), 100)
    query = (call.args().get("query") or "").casefold()
    projects = [
        p for p in call.site.projects.values() if query in p.key.casefold() or query in p.name.casefold()
    ]
    page = projects[start : start + limit]
    return ok(
        {
            "self": f"{call.renderer.rest}/project/search",
            "startAt": start,
            "maxResults": limit,
            "total": len(projects),
            "isLast": start + limit >= len(projects),
            "values": [call.renderer.project(p) for p in page],
        }
    )


def get_project_statuses(call: Call, project: str) -> Response:
    found = call.site.project(project)
    statuses = [call.renderer.status(status.name) for status in found.workflow.statuses]
    return ok(
        [
            {
                "self": f"{call.renderer.rest}/issuetype/{issue_type['id']}",
                "id": issue_type["id"],
                "name": issue_type["name"],
                "subtask": issue_type["subtask"],
                "statuses": statuses,
            }
            for issue_type in seed.ISSUE_TYPES
        ]
    )


def get_issue_types(call: Call) -> Response:
    return ok([call.renderer.issue_type(t) for t in seed.ISSUE_TYPES])


def get_priorities(call: Call) -> Response:
    return ok([call.renderer.priority(pid) for pid, _ in seed.PRIORITIES])


def get_resolutions(call: Call) -> Response:
    return ok([call.renderer.resolution(name) for _, name in seed.RESOLUTIONS])


def get_statuses(call: Call) -> Response:
    return ok([call.renderer.status(name) for name in call.site.statuses])


def get_fields(call: Call) -> Response:
    return ok(call.renderer.fields_list())


def _create_fields(issue_type: dict[str, Any]) -> list[tuple[str, bool]]:
    fields = [
        ("summary", True),
        ("issuetype", True),
        ("project", True),
        ("description", False),
        ("labels", False),
        ("priority", False),
        ("assignee", False),
        ("reporter", False),
    ]
    if issue_type["subtask"]:
        fields.append(("parent", True))
    return fields + [(f["id"], False) for f in seed.CUSTOM_FIELDS]


def get_create_meta_issue_types(call: Call, project: str) -> Response:
    call.site.project(project)
    types = [call.renderer.issue_type(t) for t in seed.ISSUE_TYPES]
    start, limit = call.int_arg("startAt", 0), call.int_arg("maxResults", 50)
    page = types[start : start + limit]
    return ok({"issueTypes": page, "maxResults": limit, "startAt": start, "total": len(types)})


def get_create_meta_fields(call: Call, project: str, issue_type: str) -> Response:
    call.site.project(project)
    found = next((t for t in seed.ISSUE_TYPES if t["id"] == issue_type), None)
    if found is None:
        raise bad_request([f"Issue type with id '{issue_type}' does not exist in this project."])
    metas = [call.renderer.field_meta(name, required) for name, required in _create_fields(found)]
    start, limit = call.int_arg("startAt", 0), call.int_arg("maxResults", 50)
    return ok(
        {"fields": metas[start : start + limit], "maxResults": limit, "startAt": start, "total": len(metas)}
    )


def get_edit_meta(call: Call, issue: str) -> Response:
    found = call.site.issue(issue)
    names = ["summary", "description", "labels", "priority", "assignee", "reporter", "issuetype", "parent"]
    names += [f["id"] for f in seed.CUSTOM_FIELDS]
    del found
    return ok(
        {"fields": {name: call.renderer.field_meta(name, name == "summary", create=False) for name in names}}
    )


# ---------------------------------------------------------------- issues


def create_issue(call: Call) -> Response:
    body = call.body_object()
    fields = dict(body.get("fields") or {})
    if "description" in fields:
        fields["description"] = call.rich(fields["description"])
    issue = call.site.create_issue(call.actor, fields, body.get("update"), body.get("properties"))
    with call.site.lock:
        call.site.stats.creates += 1
    return ok({"id": issue.id, "key": issue.key, "self": f"{call.renderer.rest}/issue/{issue.id}"}, 201)


def get_issue(call: Call, issue: str) -> Response:
    with call.site.lock:
        found = call.site.issue(issue)
        expand = set(call.list_arg("expand") or [])
        return ok(call.renderer.issue(found, call.list_arg("fields"), expand, call.list_arg("properties")))


def edit_issue(call: Call, issue: str) -> Response:
    body = call.body_object()
    fields = dict(body.get("fields") or {})
    if "description" in fields:
        fields["description"] = call.rich(fields["description"])
    call.site.edit_issue(call.actor, issue, fields, body.get("update"))
    if call.args().get("returnIssue") == "true":
        with call.site.lock:
            return ok(call.renderer.issue(call.site.issue(issue)))
    return no_content()


def assign_issue(call: Call, issue: str) -> Response:
    body = call.body_object()
    call.site.edit_issue(call.actor, issue, {"assignee": body if body.get("accountId") else None})
    return no_content()


def delete_issue(call: Call, issue: str) -> Response:
    call.site.delete_issue(call.actor, issue, call.args().get("deleteSubtasks") == "true")
    return no_content()


def bulk_fetch(call: Call) -> Response:
    body = call.body_object()
    wanted = body.get("issueIdsOrKeys")
    if not isinstance(wanted, list) or not wanted or len(wanted) > 100:
        raise bad_request(["issueIdsOrKeys must list between 1 and 100 issues."])
    issues: list[dict[str, Any]] = []
    with call.site.lock:
        for ident in wanted:
            try:
                found = call.site.issue(str(ident))
            except JiraApiError:
                continue  # Jira omits issues that do not exist (they are not "issueErrors")
            issues.append(
                call.renderer.issue(
                    found, body.get("fields"), set(body.get("expand") or []), body.get("properties")
                )
            )
    return ok({"issues": issues, "issueErrors": []})


# ---------------------------------------------------------------- transitions and changelog


def get_transitions(call: Call, issue: str) -> Response:
    with_fields = "transitions.fields" in (call.list_arg("expand") or [])
    transitions = []
    only = call.args().get("transitionId")
    for transition, status in call.site.transitions(issue):
        if only and transition.id != only:
            continue
        entry: dict[str, Any] = {
            "id": transition.id,
            "name": transition.name,
            "to": call.renderer.status(status.name),
            "hasScreen": bool(transition.required_fields),
            "isGlobal": not transition.sources,
            "isInitial": False,
            "isAvailable": True,
            "isConditional": False,
            "isLooped": False,
        }
        if with_fields:
            entry["fields"] = {
                name: call.renderer.field_meta(name, True, create=False)
                for name in transition.required_fields
            }
        transitions.append(entry)
    return ok({"expand": "transitions", "transitions": transitions})


def do_transition(call: Call, issue: str) -> Response:
    body = call.body_object()
    transition = body.get("transition")
    if not isinstance(transition, dict) or not transition.get("id"):
        raise bad_request(["Missing 'transition' identifier"])
    fields = dict(body.get("fields") or {})
    for name, operations in (body.get("update") or {}).items():
        for operation in operations:
            if "set" in operation:
                fields[name] = operation["set"]
    call.site.transition(call.actor, issue, str(transition["id"]), fields)
    return no_content()


def get_changelog(call: Call, issue: str) -> Response:
    with call.site.lock:
        found = call.site.issue(issue)
        start, limit = call.int_arg("startAt", 0), min(call.int_arg("maxResults", 100), 100)
        groups = found.changelog[start : start + limit]
        total = len(found.changelog)
        data: dict[str, Any] = {
            "self": f"{call.renderer.rest}/issue/{found.key}/changelog?startAt={start}&maxResults={limit}",
            "startAt": start,
            "maxResults": limit,
            "total": total,
            "isLast": start + limit >= total,
            "values": [call.renderer.change_group(g) for g in groups],
        }
        if start + limit < total:
            data["nextPage"] = f"{call.renderer.rest}/issue/{found.key}/changelog?startAt={start + limit}"
        return ok(data)


# ---------------------------------------------------------------- comments


def get_comments(call: Call, issue: str) -> Response:
    with call.site.lock:
        found = call.site.issue(issue)
        start, limit = call.int_arg("startAt", 0), min(call.int_arg("maxResults", 100), 5000)
        comments = list(found.comments)
        if call.args().get("orderBy", "").lstrip("+") == "-created":
            comments.reverse()
        page = comments[start : start + limit]
        return ok(
            {
                "startAt": start,
                "maxResults": limit,
                "total": len(comments),
                "comments": [call.renderer.comment(c) for c in page],
            }
        )


def add_comment(call: Call, issue: str) -> Response:
    body = call.body_object()
    comment = call.site.add_comment(call.actor, issue, call.rich(body.get("body")), body.get("visibility"))
    with call.site.lock:
        return ok(call.renderer.comment(comment), 201)


def get_comment(call: Call, issue: str, comment_id: str) -> Response:
    with call.site.lock:
        return ok(call.renderer.comment(call.site.comment(issue, comment_id)))


def update_comment(call: Call, issue: str, comment_id: str) -> Response:
    body = call.body_object()
    comment = call.site.update_comment(call.actor, issue, comment_id, call.rich(body.get("body")))
    with call.site.lock:
        return ok(call.renderer.comment(comment))


def delete_comment(call: Call, issue: str, comment_id: str) -> Response:
    call.site.delete_comment(call.actor, issue, comment_id)
    return no_content()


# ---------------------------------------------------------------- attachments


def add_attachment(call: Call, issue: str) -> Response:
    if call.request.headers.get("X-Atlassian-Token", "").lower() != "no-check":
        raise JiraApiError(403, ["XSRF check failed"])
    call.site.issue(issue)
    files = call.request.files.getlist("file")
    if not files:
        raise bad_request(["No attachments were found in the request (multipart form field 'file')."])
    uploads = [
        (upload.filename or "file", upload.mimetype or "application/octet-stream", upload.read())
        for upload in files
    ]
    limit = call.site.faults.config.attachment_size_limit
    if any(len(content) > limit for _, _, content in uploads):
        # Checked for every file first, so a multi-file upload is never half-applied.
        raise JiraApiError(413, [f"The attachment exceeds the size limit of {limit} bytes."])
    created = [
        call.site.add_attachment(call.actor, issue, name, mime, content) for name, mime, content in uploads
    ]
    with call.site.lock:
        return ok([call.renderer.attachment(a) for a in created])


def get_attachment(call: Call, attachment_id: str) -> Response:
    with call.site.lock:
        # AttachmentMetadata has an integer id (the upload response's Attachment has a string one).
        data = call.renderer.attachment(call.site.attachment(attachment_id))
        data["id"] = int(data["id"])
        return ok(data)


def get_attachment_content(call: Call, attachment_id: str) -> Response:
    attachment = call.site.attachment(attachment_id)
    if call.args().get("redirect") == "false":
        return Response(attachment.content, mimetype=attachment.mime_type)
    token = call.sim.media_token(call.site.name, attachment.id)
    location = f"{call.sim.url}/_media/{call.site.name}/{attachment.id}?token={token}"
    return Response(status=303, headers={"Location": location})


def remove_attachment(call: Call, attachment_id: str) -> Response:
    call.site.delete_attachment(call.actor, attachment_id)
    return no_content()


# ---------------------------------------------------------------- properties and remote links


def get_property_keys(call: Call, issue: str) -> Response:
    with call.site.lock:
        found = call.site.issue(issue)
        rest = call.renderer.rest
        keys = [{"key": key, "self": f"{rest}/issue/{found.id}/properties/{key}"} for key in found.properties]
        return ok({"keys": keys})


def get_property(call: Call, issue: str, key: str) -> Response:
    with call.site.lock:
        found = call.site.issue(issue)
        if key not in found.properties:
            raise not_found(f"The property '{key}' does not exist.")
        return ok({"key": key, "value": found.properties[key]})


def set_property(call: Call, issue: str, key: str) -> Response:
    created = call.site.set_property(issue, key, call.body())
    return Response(status=201 if created else 200)


def delete_property(call: Call, issue: str, key: str) -> Response:
    call.site.delete_property(issue, key)
    return no_content()


def get_remote_links(call: Call, issue: str) -> Response:
    with call.site.lock:
        found = call.site.issue(issue)
        global_id = call.args().get("globalId")
        if global_id is not None:
            link = next((item for item in found.remote_links if item.global_id == global_id), None)
            if link is None:
                raise not_found(f"No remote link with globalId '{global_id}'.")
            return ok(call.renderer.remote_link(found, link))
        return ok([call.renderer.remote_link(found, link) for link in found.remote_links])


def upsert_remote_link(call: Call, issue: str) -> Response:
    link, created = call.site.upsert_remote_link(issue, call.body_object())
    with call.site.lock:
        found = call.site.issue(issue)
        return ok(
            {"id": link.id, "self": f"{call.renderer.rest}/issue/{found.id}/remotelink/{link.id}"},
            201 if created else 200,
        )


def delete_remote_link(call: Call, issue: str, link_id: str) -> Response:
    call.site.delete_remote_link(issue, link_id)
    return no_content()


# ---------------------------------------------------------------- users


def get_user(call: Call) -> Response:
    account_id = call.args().get("accountId")
    if not account_id:
        raise bad_request(["The accountId query parameter needs to be provided."])
    with call.site.lock:
        user = call.site.users.get(account_id)
        if user is None:
            raise not_found(
                f"Specified user does not exist or you do not have required permissions: {account_id}"
            )
        return ok(call.renderer.user_record(user))


def find_users(call: Call) -> Response:
    query = (call.args().get("query") or "").casefold()
    account_id = call.args().get("accountId")
    if not query and not account_id:
        raise bad_request(["The query parameter 'query' or 'accountId' is required."])
    start, limit = call.int_arg("startAt", 0), min(call.int_arg("maxResults", 50), 1000)
    with call.site.lock:
        users = [u for u in call.site.users.values() if _user_matches(u, query, account_id)]
        return ok([call.renderer.user_record(u) for u in users[start : start + limit]])


def _user_matches(user: Any, query: str, account_id: str | None) -> bool:
    if account_id:
        return bool(user.account_id == account_id)
    name_words = user.display_name.casefold().split()
    if user.display_name.casefold().startswith(query) or any(w.startswith(query) for w in name_words):
        return True
    if not user.email:
        return False
    email = user.email.casefold()
    # A hidden email is never shown, but the exact address still finds the user (so apps can map
    # users by email); only visible emails match by prefix.
    return bool(email == query or (not user.email_hidden and email.startswith(query)))


def get_all_users(call: Call) -> Response:
    start, limit = call.int_arg("startAt", 0), min(call.int_arg("maxResults", 50), 1000)
    with call.site.lock:
        users = list(call.site.users.values())[start : start + limit]
        return ok([call.renderer.user_record(u) for u in users])


# ---------------------------------------------------------------- search


def _page_token(jql: str, offset: int) -> str:
    digest = hashlib.sha256(jql.encode()).hexdigest()[:8]
    return base64.urlsafe_b64encode(f"{digest}:{offset}".encode()).decode()


def _page_offset(jql: str, token: str | None) -> int:
    if not token:
        return 0
    try:
        digest, _, offset = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        if digest == hashlib.sha256(jql.encode()).hexdigest()[:8]:
            return int(offset)
    except ValueError:
        pass
    raise bad_request(["The provided next page token is invalid or expired."])


def _search(call: Call, params: dict[str, Any]) -> Response:
    jql = str(params.get("jql") or "")
    fields = params.get("fields")
    if fields is None:
        fields = ["id"]
    only_ids = all(f in ("id", "key") for f in fields)
    requested = int(params.get("maxResults") or SEARCH_DEFAULT_MAX)
    limit = max(1, min(requested, SEARCH_MAX_ID_ONLY if only_ids else SEARCH_MAX))
    offset = _page_offset(jql, params.get("nextPageToken"))
    with call.site.lock:
        found = call.site.search(jql, call.actor)
        page = found[offset : offset + limit]
        expand = {e.strip() for e in str(params.get("expand") or "").split(",") if e.strip()}
        issues = [call.renderer.issue(i, fields, expand, params.get("properties")) for i in page]
    is_last = offset + limit >= len(found)
    result: dict[str, Any] = {"issues": issues, "isLast": is_last}
    if not is_last:
        result["nextPageToken"] = _page_token(jql, offset + limit)
    return ok(result)


def search_get(call: Call) -> Response:
    params: dict[str, Any] = {
        "jql": call.args().get("jql", ""),
        "fields": call.list_arg("fields"),
        "maxResults": call.int_arg("maxResults", SEARCH_DEFAULT_MAX),
        "nextPageToken": call.args().get("nextPageToken"),
        "expand": call.args().get("expand"),
        "properties": call.list_arg("properties"),
    }
    return _search(call, params)


def search_post(call: Call) -> Response:
    body = call.body_object()
    expand = body.get("expand")
    if isinstance(expand, list):
        body["expand"] = ",".join(expand)
    if isinstance(body.get("fields"), str):
        body["fields"] = body["fields"].split(",")
    return _search(call, body)


def approximate_count(call: Call) -> Response:
    jql = str(call.body_object().get("jql") or "")
    with call.site.lock:
        return ok({"count": len(call.site.search(jql, call.actor))})


def old_search_gone(call: Call) -> Response:
    raise JiraApiError(410, [SEARCH_GONE])


# ---------------------------------------------------------------- routing

Handler = Callable[..., Response]


@dataclass(frozen=True)
class Operation:
    name: str
    handler: Handler
    scope: str  # READ | WRITE | DELETE: what a JWT / OAuth caller needs
    anonymous: bool = False

    @property
    def mutating(self) -> bool:
        return self.scope != "READ"


def _op(name: str, handler: Handler, scope: str = "READ", anonymous: bool = False) -> Operation:
    return Operation(name, handler, scope, anonymous)


API = "/rest/api/<any('2', '3'):api>"
ISSUE = API + "/issue/<issue>"
ROUTES: list[tuple[str, str, Operation]] = [
    ("GET", API + "/myself", _op("getCurrentUser", get_myself)),
    ("GET", API + "/serverInfo", _op("getServerInfo", get_server_info, anonymous=True)),
    ("GET", API + "/project", _op("getAllProjects", get_all_projects)),
    ("GET", API + "/project/search", _op("searchProjects", search_projects)),
    ("GET", API + "/project/<project>", _op("getProject", get_project)),
    ("GET", API + "/project/<project>/statuses", _op("getAllStatuses", get_project_statuses)),
    ("GET", API + "/issuetype", _op("getIssueAllTypes", get_issue_types)),
    ("GET", API + "/priority", _op("getPriorities", get_priorities)),
    ("GET", API + "/resolution", _op("getResolutions", get_resolutions)),
    ("GET", API + "/status", _op("getStatuses", get_statuses)),
    ("GET", API + "/field", _op("getFields", get_fields)),
    (
        "GET",
        API + "/issue/createmeta/<project>/issuetypes",
        _op("getCreateIssueMetaIssueTypes", get_create_meta_issue_types),
    ),
    (
        "GET",
        API + "/issue/createmeta/<project>/issuetypes/<issue_type>",
        _op("getCreateIssueMetaIssueTypeId", get_create_meta_fields),
    ),
    ("POST", API + "/issue", _op("createIssue", create_issue, "WRITE")),
    ("POST", API + "/issue/bulkfetch", _op("bulkFetchIssues", bulk_fetch)),
    ("GET", ISSUE, _op("getIssue", get_issue)),
    ("PUT", ISSUE, _op("editIssue", edit_issue, "WRITE")),
    ("DELETE", ISSUE, _op("deleteIssue", delete_issue, "DELETE")),
    ("PUT", ISSUE + "/assignee", _op("assignIssue", assign_issue, "WRITE")),
    ("GET", ISSUE + "/editmeta", _op("getEditIssueMeta", get_edit_meta)),
    ("GET", ISSUE + "/transitions", _op("getTransitions", get_transitions)),
    ("POST", ISSUE + "/transitions", _op("doTransition", do_transition, "WRITE")),
    ("GET", ISSUE + "/changelog", _op("getChangeLogs", get_changelog)),
    ("GET", ISSUE + "/comment", _op("getComments", get_comments)),
    ("POST", ISSUE + "/comment", _op("addComment", add_comment, "WRITE")),
    ("GET", ISSUE + "/comment/<comment_id>", _op("getComment", get_comment)),
    ("PUT", ISSUE + "/comment/<comment_id>", _op("updateComment", update_comment, "WRITE")),
    ("DELETE", ISSUE + "/comment/<comment_id>", _op("deleteComment", delete_comment, "DELETE")),
    ("POST", ISSUE + "/attachments", _op("addAttachment", add_attachment, "WRITE")),
    ("GET", API + "/attachment/content/<attachment_id>", _op("getAttachmentContent", get_attachment_content)),
    ("GET", API + "/attachment/<attachment_id>", _op("getAttachment", get_attachment)),
    ("DELETE", API + "/attachment/<attachment_id>", _op("removeAttachment", remove_attachment, "DELETE")),
    ("GET", ISSUE + "/properties", _op("getIssuePropertyKeys", get_property_keys)),
    ("GET", ISSUE + "/properties/<key>", _op("getIssueProperty", get_property)),
    ("PUT", ISSUE + "/properties/<key>", _op("setIssueProperty", set_property, "WRITE")),
    ("DELETE", ISSUE + "/properties/<key>", _op("deleteIssueProperty", delete_property, "DELETE")),
    ("GET", ISSUE + "/remotelink", _op("getRemoteIssueLinks", get_remote_links)),
    ("POST", ISSUE + "/remotelink", _op("createOrUpdateRemoteIssueLink", upsert_remote_link, "WRITE")),
    (
        "DELETE",
        ISSUE + "/remotelink/<link_id>",
        _op("deleteRemoteIssueLinkById", delete_remote_link, "DELETE"),
    ),
    ("GET", API + "/user", _op("getUser", get_user)),
    ("GET", API + "/user/search", _op("findUsers", find_users)),
    ("GET", API + "/users/search", _op("getAllUsers", get_all_users)),
    ("GET", API + "/search/jql", _op("searchAndReconsileIssuesUsingJql", search_get)),
    ("POST", API + "/search/jql", _op("searchAndReconsileIssuesUsingJqlPost", search_post)),
    ("POST", API + "/search/approximate-count", _op("countIssues", approximate_count)),
    ("GET", API + "/search", _op("searchForIssuesUsingJql", old_search_gone)),
    ("POST", API + "/search", _op("searchForIssuesUsingJqlPost", old_search_gone)),
]


def build_map() -> tuple[Map, dict[str, Operation]]:
    rules = []
    operations: dict[str, Operation] = {}
    for method, path, operation in ROUTES:
        endpoint = f"{method} {path}"
        rules.append(Rule(path, methods=[method], endpoint=endpoint))
        operations[endpoint] = operation
    return Map(rules, strict_slashes=False, merge_slashes=False), operations
