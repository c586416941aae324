"""JSON shapes of Jira Cloud REST v3 (and v2, whose rich-text bodies are plain text)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import seed
from .adf import adf_to_text
from .model import Attachment, ChangeGroup, Comment, Issue, Project, RemoteLink, User, jira_time
from .state import Site

NAVIGABLE = [
    "summary",
    "description",
    "issuetype",
    "project",
    "status",
    "priority",
    "resolution",
    "resolutiondate",
    "labels",
    "assignee",
    "reporter",
    "creator",
    "created",
    "updated",
    "parent",
    "subtasks",
    "comment",
    "attachment",
    "duedate",
    seed.CUSTOMER_FIELD,
    seed.STORY_POINTS_FIELD,
    seed.TEAM_FIELD,
]


class Renderer:
    def __init__(self, site: Site, *, api: str = "3", viewer: str | None = None) -> None:
        self.site = site
        self.api = api
        self.rest = f"{site.base_url}/rest/api/{api}"
        self.viewer = viewer

    def rich_text(self, document: dict[str, Any] | None) -> Any:
        if document is None:
            return None
        return adf_to_text(document) if self.api == "2" else document

    # ------------------------------------------------------------ users and metadata

    def user(self, account_id: str | None) -> dict[str, Any] | None:
        user = self.site.users.get(account_id or "")
        return None if user is None else self.user_record(user)

    def user_record(self, user: User) -> dict[str, Any]:
        avatar = f"https://avatar.example/{user.account_id}"
        data: dict[str, Any] = {
            "self": f"{self.rest}/user?accountId={user.account_id}",
            "accountId": user.account_id,
            "accountType": user.account_type,
            "displayName": user.display_name,
            "active": user.active,
            "timeZone": "UTC",
            "avatarUrls": {size: f"{avatar}?s={size[:2]}" for size in ("48x48", "24x24", "16x16", "32x32")},
        }
        if user.email and not user.email_hidden and user.account_type == "atlassian":
            data["emailAddress"] = user.email
        return data

    def project(self, project: Project) -> dict[str, Any]:
        return {
            "self": f"{self.rest}/project/{project.id}",
            "id": project.id,
            "key": project.key,
            "name": project.name,
            "projectTypeKey": "software",
            "simplified": False,
            "style": "classic",
            "isPrivate": False,
            "avatarUrls": {"48x48": f"https://avatar.example/project/{project.key}"},
        }

    def project_detail(self, project: Project) -> dict[str, Any]:
        data = self.project(project)
        data["issueTypes"] = [self.issue_type(t) for t in seed.ISSUE_TYPES]
        data["lead"] = self.user(project.lead)
        data["description"] = f"The {project.name} project"
        return data

    def issue_type(self, issue_type: dict[str, Any]) -> dict[str, Any]:
        return {
            "self": f"{self.rest}/issuetype/{issue_type['id']}",
            "id": issue_type["id"],
            "name": issue_type["name"],
            "description": f"A {issue_type['name'].lower()}",
            "subtask": issue_type["subtask"],
            "hierarchyLevel": issue_type["hierarchyLevel"],
            "iconUrl": f"https://icons.example/{issue_type['id']}.svg",
            "avatarId": 10300,
        }

    def priority(self, priority_id: str) -> dict[str, Any]:
        name = dict(seed.PRIORITIES)[priority_id]
        return {
            "self": f"{self.rest}/priority/{priority_id}",
            "id": priority_id,
            "name": name,
            "iconUrl": f"https://icons.example/priority/{name.lower()}.svg",
            "statusColor": "#cccccc",
            "description": name,
        }

    def resolution(self, name: str | None) -> dict[str, Any] | None:
        resolution_id = self.site.resolution_id(name)
        if resolution_id is None:
            return None
        return {
            "self": f"{self.rest}/resolution/{resolution_id}",
            "id": resolution_id,
            "name": name,
            "description": f"Resolved as {name}",
        }

    def status(self, name: str) -> dict[str, Any]:
        status_id, category = self.site.statuses[name]
        return {
            "self": f"{self.rest}/status/{status_id}",
            "id": status_id,
            "name": name,
            "description": "",
            "iconUrl": f"https://icons.example/status/{status_id}.png",
            "statusCategory": {
                "self": f"{self.rest}/statuscategory/{seed.CATEGORY_IDS[category]}",
                "id": seed.CATEGORY_IDS[category],
                "key": category,
                "colorName": seed.CATEGORY_COLORS[category],
                "name": seed.CATEGORY_NAMES[category],
            },
        }

    def fields_list(self) -> list[dict[str, Any]]:
        system = [
            ("summary", "Summary", "string", None),
            ("description", "Description", "string", None),
            ("issuetype", "Issue Type", "issuetype", None),
            ("project", "Project", "project", None),
            ("status", "Status", "status", None),
            ("priority", "Priority", "priority", None),
            ("resolution", "Resolution", "resolution", None),
            ("labels", "Labels", "array", "string"),
            ("assignee", "Assignee", "user", None),
            ("reporter", "Reporter", "user", None),
            ("created", "Created", "datetime", None),
            ("updated", "Updated", "datetime", None),
            ("parent", "Parent", "issuelink", None),
            ("comment", "Comment", "comments-page", None),
            ("attachment", "Attachment", "array", "attachment"),
        ]
        result: list[dict[str, Any]] = []
        for field_id, name, field_type, items in system:
            schema: dict[str, Any] = {"type": field_type, "system": field_id}
            if items:
                schema["items"] = items
            result.append(self._field(field_id, name, False, schema, [field_id]))
        for field in seed.CUSTOM_FIELDS:
            schema = {
                "type": field["type"],
                "custom": f"com.atlassian.jira.plugin.system.customfieldtypes:{field['custom']}",
                "customId": field["number"],
            }
            clauses = [f"cf[{field['number']}]", field["name"]]
            result.append(self._field(field["id"], field["name"], True, schema, clauses))
        return result

    def _field(
        self, field_id: str, name: str, custom: bool, schema: dict[str, Any], clauses: list[str]
    ) -> dict[str, Any]:
        return {
            "id": field_id,
            "key": field_id,
            "name": name,
            "custom": custom,
            "orderable": True,
            "navigable": True,
            "searchable": True,
            "clauseNames": clauses,
            "schema": schema,
        }

    def field_meta(self, field_id: str, required: bool = False, *, create: bool = True) -> dict[str, Any]:
        """Createmeta's FieldCreateMetadata (with fieldId) or editmeta's FieldMetadata."""
        field = next(f for f in self.fields_list() if f["id"] == field_id)
        meta: dict[str, Any] = {
            "key": field_id,
            "name": field["name"],
            "required": required,
            "schema": field["schema"],
            "hasDefaultValue": field_id == "priority",
            "operations": ["add", "set", "remove"] if field_id == "labels" else ["set"],
        }
        if create:
            meta["fieldId"] = field_id
        if field_id == "priority":
            meta["allowedValues"] = [self.priority(pid) for pid, _ in seed.PRIORITIES]
        if field_id == "resolution":
            meta["allowedValues"] = [self.resolution(name) for _, name in seed.RESOLUTIONS]
        if field_id == seed.TEAM_FIELD:
            meta["allowedValues"] = [self.option(oid) for oid, _ in seed.TEAM_OPTIONS]
        return meta

    def option(self, option_id: str) -> dict[str, Any]:
        return {
            "self": f"{self.rest}/customFieldOption/{option_id}",
            "id": option_id,
            "value": dict(seed.TEAM_OPTIONS)[option_id],
        }

    # ------------------------------------------------------------ issues

    def issue(
        self,
        issue: Issue,
        fields: list[str] | None = None,
        expand: set[str] | None = None,
        properties: list[str] | None = None,
    ) -> dict[str, Any]:
        expand = expand or set()
        wanted = self.wanted_fields(fields)
        data: dict[str, Any] = {
            "expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
            "id": issue.id,
            "self": f"{self.rest}/issue/{issue.id}",
            "key": issue.key,
            "fields": {name: self.field_value(issue, name) for name in wanted},
        }
        if properties:
            selected = (
                issue.properties
                if "*all" in properties
                else {k: v for k, v in issue.properties.items() if k in properties}
            )
            data["properties"] = dict(selected)
        if "changelog" in expand:
            histories = [self.change_group(g) for g in issue.changelog]
            data["changelog"] = {
                "startAt": 0,
                "maxResults": len(histories),
                "total": len(histories),
                "histories": histories,
            }
        if "renderedFields" in expand:
            description = issue.fields.get("description")
            data["renderedFields"] = {
                "description": f"<p>{adf_to_text(description)}</p>" if description else None
            }
        if "names" in expand:
            data["names"] = {f["id"]: f["name"] for f in self.fields_list() if f["id"] in wanted}
        return data

    def wanted_fields(self, fields: list[str] | None) -> list[str]:
        if fields is None:
            return list(NAVIGABLE)
        names: list[str] = []
        excluded = {f[1:] for f in fields if f.startswith("-")}
        for name in fields:
            if name in ("*all", "*navigable"):
                names.extend(NAVIGABLE)
            elif name and not name.startswith("-") and name not in ("id", "key"):
                names.append(name)
        return [n for n in dict.fromkeys(names) if n not in excluded]

    def field_value(self, issue: Issue, name: str) -> Any:
        site = self.site
        values = issue.fields
        simple: dict[str, Callable[[], Any]] = {
            "summary": lambda: values.get("summary"),
            "description": lambda: self.rich_text(values.get("description")),
            "issuetype": lambda: self.issue_type(site.issue_type(values["issuetype"])),
            "project": lambda: self.project(site.projects[issue.project_key]),
            "status": lambda: self.status(issue.status),
            "priority": lambda: self.priority(values["priority"]) if values.get("priority") else None,
            "resolution": lambda: self.resolution(issue.resolution),
            "resolutiondate": lambda: jira_time(issue.resolution_date),
            "labels": lambda: list(values.get("labels", [])),
            "assignee": lambda: self.user(values.get("assignee")),
            "reporter": lambda: self.user(values.get("reporter")),
            "creator": lambda: self.user(issue.creator),
            "created": lambda: jira_time(issue.created),
            "updated": lambda: jira_time(issue.updated),
            "parent": lambda: self.parent(values.get("parent")),
            "subtasks": lambda: [
                self.parent(i.id) for i in site.issues.values() if i.fields.get("parent") == issue.id
            ],
            "comment": lambda: self.comment_page(issue),
            "attachment": lambda: [self.attachment(a) for a in issue.attachments],
            "duedate": lambda: values.get("duedate"),
            seed.TEAM_FIELD: lambda: (
                self.option(values[seed.TEAM_FIELD]) if values.get(seed.TEAM_FIELD) else None
            ),
        }
        if name in simple:
            return simple[name]()
        return values.get(name)

    def parent(self, issue_id: str | None) -> dict[str, Any] | None:
        parent = self.site.issues.get(issue_id or "")
        if parent is None:
            return None
        return {
            "id": parent.id,
            "key": parent.key,
            "self": f"{self.rest}/issue/{parent.id}",
            "fields": {
                "summary": parent.fields.get("summary"),
                "status": self.status(parent.status),
                "priority": self.priority(parent.fields["priority"])
                if parent.fields.get("priority")
                else None,
                "issuetype": self.issue_type(self.site.issue_type(parent.fields["issuetype"])),
            },
        }

    def comment_page(self, issue: Issue) -> dict[str, Any]:
        comments = [self.comment(c) for c in issue.comments]
        return {
            "self": f"{self.rest}/issue/{issue.id}/comment",
            "comments": comments,
            "maxResults": len(comments),
            "total": len(comments),
            "startAt": 0,
        }

    def comment(self, comment: Comment) -> dict[str, Any]:
        data: dict[str, Any] = {
            "self": f"{self.rest}/issue/{comment.issue_id}/comment/{comment.id}",
            "id": comment.id,
            "author": self.user(comment.author),
            "body": self.rich_text(comment.body),
            "updateAuthor": self.user(comment.update_author),
            "created": jira_time(comment.created),
            "updated": jira_time(comment.updated),
            "jsdPublic": True,
        }
        if comment.visibility:
            data["visibility"] = comment.visibility
        return data

    def attachment(self, attachment: Attachment) -> dict[str, Any]:
        return {
            "self": f"{self.rest}/attachment/{attachment.id}",
            "id": attachment.id,
            "filename": attachment.filename,
            "author": self.user(attachment.author),
            "created": jira_time(attachment.created),
            "size": len(attachment.content),
            "mimeType": attachment.mime_type,
            "content": f"{self.rest}/attachment/content/{attachment.id}",
        }

    def change_group(self, group: ChangeGroup) -> dict[str, Any]:
        return {
            "id": group.id,
            "author": self.user(group.author),
            "created": jira_time(group.created),
            "items": [item.to_json() for item in group.items],
        }

    def remote_link(self, issue: Issue, link: RemoteLink) -> dict[str, Any]:
        data: dict[str, Any] = {"id": link.id, "self": f"{self.rest}/issue/{issue.id}/remotelink/{link.id}"}
        for key in ("globalId", "application", "relationship", "object"):
            if key in link.body:
                data[key] = link.body[key]
        return data
