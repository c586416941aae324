"""One simulated Jira site: its state behind a lock, and every operation that changes it.

REST handlers and the ``*_as`` helpers call the same methods, so both record changelog,
count stats and fire webhooks identically.
"""

from __future__ import annotations

import itertools
import json
import random
import threading
from collections.abc import Callable, Sequence
from typing import Any

from . import seed
from .adf import AdfError, adf_to_text, text_to_adf, validate_adf
from .errors import JiraApiError, bad_request, not_found
from .faults import FaultConfig, FaultInjector
from .jql import JqlError, Query, check_fields, matches, parse, sort_issues
from .model import (
    Attachment,
    ChangeGroup,
    ChangeItem,
    Comment,
    Event,
    Installation,
    Issue,
    Project,
    RemoteLink,
    Stats,
    StatusDef,
    TransitionDef,
    User,
    Workflow,
    utcnow,
)
from .search import SiteJqlContext

EventListener = Callable[["Site", Event], None]
DESCRIPTION_ERROR = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
COMMENT_ERROR = "Comment body is not valid!"
EDITABLE = {
    "summary",
    "description",
    "labels",
    "priority",
    "assignee",
    "reporter",
    "parent",
    "issuetype",
    "duedate",
    seed.CUSTOMER_FIELD,
    seed.STORY_POINTS_FIELD,
    seed.TEAM_FIELD,
}
PROPERTY_VALUE_LIMIT = 32768


class Site:
    """The in-memory state of one site. All public methods are thread-safe."""

    def __init__(self, name: str, *, issues_per_project: int = 0, seed_value: int = 1) -> None:
        self.name = name
        self.base_url = f"http://localhost/{name}"
        self.lock = threading.RLock()
        self._call_state = threading.local()
        self.stats = Stats()
        self.faults = FaultInjector(rng=random.Random(f"faults:{name}:{seed_value}"))  # noqa: S311 - reproducible faults
        self.listeners: list[EventListener] = []
        self.installations: dict[str, Installation] = {}
        self.users: dict[str, User] = {u.account_id: u for u in seed.seed_users(name, seed_value)}
        self.admin = next(iter(self.users.values()))
        self.statuses: dict[str, tuple[str, str]] = {}  # name -> (id, category)
        self.projects: dict[str, Project] = {}
        self.issues: dict[str, Issue] = {}
        self.keys: dict[str, str] = {}
        self._ids = itertools.count(10000)
        self._comment_ids = itertools.count(10000)
        self._attachment_ids = itertools.count(10000)
        self._link_ids = itertools.count(10000)
        self._change_ids = itertools.count(10000)
        for index, project_seed in enumerate(seed.project_seeds(name)):
            workflow = seed.build_workflow(project_seed.statuses, project_seed.transitions, self._status_id)
            self.projects[project_seed.key] = Project(
                str(10000 + index), project_seed.key, project_seed.name, workflow, self.admin.account_id
            )
        self._seed_issues(issues_per_project, seed_value)

    # ------------------------------------------------------------ configuration

    @property
    def admin_email(self) -> str:
        return str(self.admin.email)

    @property
    def admin_api_token(self) -> str:
        return str(self.admin.api_token)

    def configure(self, **knobs: Any) -> None:
        """Set fault knobs (see FaultConfig); unspecified knobs keep their value."""
        with self.lock:
            self.faults.config = self.faults.config.updated(**knobs)

    def reset_faults(self) -> None:
        with self.lock:
            self.faults.config = FaultConfig()

    def set_workflow(
        self,
        project_key: str,
        statuses: Sequence[str | tuple[str, str]],
        transitions: Sequence[seed.TransitionSpec],
    ) -> None:
        """Replace a project's workflow; issues in a status it lacks move to its first status."""
        with self.lock:
            project = self.project(project_key)
            project.workflow = seed.build_workflow(statuses, transitions, self._status_id)
            for issue in self.issues.values():
                if issue.project_key == project.key and project.workflow.status(issue.status) is None:
                    issue.status = project.workflow.initial.name

    def _status_id(self, name: str, category: str) -> str:
        if name not in self.statuses:
            self.statuses[name] = (str(10000 + len(self.statuses)), category)
        return self.statuses[name][0]

    def _seed_issues(self, per_project: int, seed_value: int) -> None:
        rng = random.Random(f"issues:{self.name}:{seed_value}")  # noqa: S311 - reproducible seed data
        users = list(self.users.values())
        for project in self.projects.values():
            for index in range(1, per_project + 1):
                fields = seed.random_issue_fields(rng, project.key, index, users)
                issue = self._create(self.admin.account_id, fields, emit=False, count=False)
                if rng.random() < 0.3:
                    target = rng.choice(project.workflow.available(issue.status))
                    extra = {"resolution": {"name": "Done"}} if "resolution" in target.required_fields else {}
                    self._transition(self.admin.account_id, issue, target.id, extra, emit=False, count=False)

    # ------------------------------------------------------------ lookups

    def project(self, key_or_id: str) -> Project:
        for project in self.projects.values():
            if key_or_id in (project.key, project.id) or key_or_id.upper() == project.key:
                return project
        raise not_found(f"No project could be found with key '{key_or_id}'.")

    def user(self, account_id: str) -> User:
        user = self.users.get(account_id)
        if user is None:
            raise not_found(
                f"Specified user does not exist or you do not have required permissions: {account_id}"
            )
        return user

    def user_by_email(self, email: str) -> User | None:
        return next((u for u in self.users.values() if (u.email or "").casefold() == email.casefold()), None)

    def issue(self, id_or_key: str) -> Issue:
        issue_id = self.keys.get(id_or_key.upper(), id_or_key)
        issue = self.issues.get(issue_id)
        if issue is None:
            raise not_found()
        return issue

    def workflow_of(self, issue: Issue) -> Workflow:
        return self.projects[issue.project_key].workflow

    def status_category(self, name: str) -> str:
        return self.statuses.get(name, ("0", "indeterminate"))[1]

    def issue_type(self, ref: Any) -> dict[str, Any]:
        ident = ref.get("id") or ref.get("name") if isinstance(ref, dict) else ref
        for issue_type in seed.ISSUE_TYPES:
            if (
                str(ident) in (issue_type["id"], issue_type["name"])
                or str(ident).casefold() == str(issue_type["name"]).casefold()
            ):
                return issue_type
        raise bad_request(errors={"issuetype": "Specify a valid issue type"})

    # ------------------------------------------------------------ events and stats

    def count_call(self, operation: str) -> None:
        with self.lock:
            self.stats.calls[operation] += 1

    def _emit(self, event: Event) -> None:
        for listener in list(self.listeners):
            listener(self, event)

    def _emit_comment_event(
        self, name: str, issue: Issue, actor: str, comment: Comment, type_name: str
    ) -> None:
        self._emit(Event(name, issue, actor, comment=comment, issue_event_type_name=type_name))
        # Jira also fires jira:issue_updated (with the comment, no changelog) for comment changes.
        self._emit(
            Event("jira:issue_updated", issue, actor, comment=comment, issue_event_type_name=type_name)
        )

    def _record_change(self, issue: Issue, actor: str, items: list[ChangeItem]) -> ChangeGroup:
        group = ChangeGroup(str(next(self._change_ids)), actor, utcnow(), items)
        issue.changelog.append(group)
        issue.updated = group.created
        return group

    def _count_write(self) -> None:
        # REST dispatch counts stats.writes once per call that changed state (see rest.dispatch);
        # the *_as helpers change state without counting as client writes.
        self._call_state.changed = True

    def begin_call(self) -> None:
        self._call_state.changed = False

    def call_changed_state(self) -> bool:
        return bool(getattr(self._call_state, "changed", False))

    # ------------------------------------------------------------ issues

    def create_issue(
        self,
        actor: str,
        fields: dict[str, Any],
        update: dict[str, Any] | None = None,
        properties: list[dict[str, Any]] | None = None,
    ) -> Issue:
        """Create an issue; ``properties`` ([{key, value}]) are stored atomically with it, as Jira does."""
        with self.lock:
            for entry in properties or []:
                if not isinstance(entry, dict) or not isinstance(entry.get("key"), str) or not entry["key"]:
                    raise bad_request(errors={"properties": "Each property needs a 'key' and a 'value'."})
            merged = dict(fields)
            for name, operations in (update or {}).items():
                for operation in operations:
                    if "set" in operation:
                        merged[name] = operation["set"]
                    elif "add" in operation and name == "labels":
                        merged["labels"] = [*merged.get("labels", []), operation["add"]]
            return self._create(
                actor, merged, properties={p["key"]: p.get("value") for p in properties or []}
            )

    def _create(
        self,
        actor: str,
        fields: dict[str, Any],
        *,
        emit: bool = True,
        count: bool = True,
        properties: dict[str, Any] | None = None,
    ) -> Issue:
        errors: dict[str, str] = {}
        project: Project | None = None
        project_ref = fields.get("project")
        if not isinstance(project_ref, dict) or not (project_ref.get("key") or project_ref.get("id")):
            errors["project"] = "Specify a valid project ID or key"
        else:
            try:
                project = self.project(str(project_ref.get("key") or project_ref.get("id")))
            except JiraApiError:
                errors["project"] = "Specify a valid project ID or key"
        if not fields.get("issuetype"):
            errors["issuetype"] = "Specify an issue type"
        if not isinstance(fields.get("summary"), str) or not fields["summary"].strip():
            errors["summary"] = "You must specify a summary of the issue."
        if errors or project is None:
            raise bad_request(errors=errors)
        values: dict[str, Any] = {"labels": [], "priority": seed.DEFAULT_PRIORITY, "reporter": actor}
        for name, value in fields.items():
            if name == "project":
                continue
            values.update(self._convert_field(name, value))
        issue_type = self.issue_type(values["issuetype"])
        if issue_type["subtask"] and not values.get("parent"):
            raise bad_request(errors={"parent": "Could not create sub-task: a parent issue is required."})
        now = utcnow()
        issue_id = str(next(self._ids))
        key = f"{project.key}-{project.next_number}"
        project.next_number += 1
        issue = Issue(issue_id, key, project.key, values, now, now, actor, project.workflow.initial.name)
        issue.properties.update(properties or {})
        self.issues[issue_id] = issue
        self.keys[key] = issue_id
        if count:
            self._count_write()
        if emit:
            self._emit(Event("jira:issue_created", issue, actor, issue_event_type_name="issue_created"))
        return issue

    def _convert_field(self, name: str, value: Any) -> dict[str, Any]:
        """The internal value of one REST field value; 400 with Jira's wording when invalid."""
        if name not in EDITABLE:
            raise bad_request(
                errors={
                    name: f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
                }
            )
        if name == "summary":
            if not isinstance(value, str) or not value.strip():
                raise bad_request(errors={"summary": "You must specify a summary of the issue."})
            if len(value) > 255:
                raise bad_request(errors={"summary": "Summary must be less than 255 characters."})
            return {name: value}
        if name == "description":
            if value is None:
                return {name: None}
            if not isinstance(value, dict):
                raise bad_request(errors={"description": DESCRIPTION_ERROR})
            try:
                validate_adf(value)
            except AdfError:
                # Jira's answer to a JSON object that is not valid ADF.
                raise bad_request(["INVALID_INPUT"]) from None
            return {name: value}
        if name == "labels":
            if not isinstance(value, list) or not all(
                isinstance(v, str) and v and " " not in v for v in value
            ):
                raise bad_request(errors={"labels": "The label must not contain spaces."})
            return {name: list(dict.fromkeys(value))}
        if name == "issuetype":
            return {name: self.issue_type(value)["id"]}
        if name == "priority":
            return {name: self._priority_id(value)}
        if name in ("assignee", "reporter"):
            return {name: self._account_ref(name, value)}
        if name == "parent":
            return {name: self._parent_ref(value)}
        return {name: self._custom_value(name, value)}

    def _priority_id(self, value: Any) -> str:
        ident = value.get("id") or value.get("name") if isinstance(value, dict) else None
        for priority_id, priority_name in seed.PRIORITIES:
            if ident in (priority_id, priority_name):
                return priority_id
        raise bad_request(errors={"priority": "Specify the Priority (id or name) in the string format"})

    def _account_ref(self, name: str, value: Any) -> str | None:
        if value is None:
            return None
        account = value.get("accountId") if isinstance(value, dict) else None
        if not isinstance(account, str) or account not in self.users:
            raise bad_request(
                errors={name: "Specified user does not exist or you do not have required permissions"}
            )
        return account

    def _parent_ref(self, value: Any) -> str | None:
        if value is None:
            return None
        ident = value.get("key") or value.get("id") if isinstance(value, dict) else None
        try:
            return self.issue(str(ident)).id
        except JiraApiError:
            raise bad_request(errors={"parent": f"Could not find issue by id or key: {ident}"}) from None

    def _custom_value(self, name: str, value: Any) -> Any:
        if value is None:
            return None
        if name == seed.CUSTOMER_FIELD:
            if not isinstance(value, str):
                raise bad_request(errors={name: "Operation value must be a string"})
            return value
        if name == seed.STORY_POINTS_FIELD:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise bad_request(errors={name: "Operation value must be a number"})
            return value
        if name == seed.TEAM_FIELD:
            ident = value.get("id") or value.get("value") if isinstance(value, dict) else None
            for option_id, option_value in seed.TEAM_OPTIONS:
                if ident in (option_id, option_value):
                    return option_id
            raise bad_request(errors={name: f"Option value '{ident}' is not valid"})
        if name == "duedate":
            return value
        raise bad_request(errors={name: f"Field '{name}' cannot be set."})

    def edit_issue(
        self, actor: str, id_or_key: str, fields: dict[str, Any] | None, update: dict[str, Any] | None = None
    ) -> ChangeGroup | None:
        with self.lock:
            issue = self.issue(id_or_key)
            desired = dict(issue.fields)
            for name, value in (fields or {}).items():
                desired.update(self._convert_field(name, value))
            for name, operations in (update or {}).items():
                if not isinstance(operations, list):
                    raise bad_request(errors={name: "Operations must be a list"})
                for operation in operations:
                    desired.update(self._apply_update_op(name, desired, operation))
            self.issue_type(desired.get("issuetype"))
            items = [
                self._change_item(name, issue.fields.get(name), desired.get(name))
                for name in sorted(set(desired) | set(issue.fields))
                if desired.get(name) != issue.fields.get(name)
            ]
            issue.fields = desired
            if not items:
                return None
            group = self._record_change(issue, actor, items)
            self._count_write()
            self._emit(
                Event("jira:issue_updated", issue, actor, group, issue_event_type_name="issue_generic")
            )
            return group

    def _apply_update_op(self, name: str, current: dict[str, Any], operation: Any) -> dict[str, Any]:
        if not isinstance(operation, dict) or len(operation) != 1:
            raise bad_request(errors={name: "Each operation must have exactly one verb"})
        verb, value = next(iter(operation.items()))
        if verb == "set":
            return self._convert_field(name, value)
        if name != "labels" or verb not in ("add", "remove"):
            raise bad_request(errors={name: f"Field '{name}' does not support operation '{verb}'"})
        labels = list(current.get("labels", []))
        if verb == "add" and value not in labels:
            labels.append(value)
        if verb == "remove" and value in labels:
            labels.remove(value)
        return self._convert_field("labels", labels)

    def _change_item(self, name: str, old: Any, new: Any) -> ChangeItem:
        display = {
            "summary": "summary",
            "description": "description",
            "labels": "labels",
            "priority": "priority",
            "assignee": "assignee",
            "reporter": "reporter",
            "parent": "IssueParentAssociation",
            "issuetype": "issuetype",
        }
        custom = {f["id"]: f["name"] for f in seed.CUSTOM_FIELDS}
        fieldtype = "custom" if name in custom else "jira"
        label = custom.get(name) or display.get(name, name)
        return ChangeItem(
            str(label),
            self._change_value(name, old),
            self._change_string(name, old),
            self._change_value(name, new),
            self._change_string(name, new),
            fieldtype,
            name,
        )

    def _change_value(self, name: str, value: Any) -> str | None:
        if value is None or name in ("summary", "description", "labels", seed.CUSTOMER_FIELD):
            return None
        return str(value)

    def _change_string(self, name: str, value: Any) -> str | None:
        if value is None:
            return None
        if name == "description":
            return adf_to_text(value)
        if name == "labels":
            return " ".join(value)
        if name in ("assignee", "reporter"):
            return self.users[value].display_name if value in self.users else str(value)
        if name == "priority":
            return dict(seed.PRIORITIES).get(value, str(value))
        if name == "issuetype":
            return str(self.issue_type(value)["name"])
        if name == "parent":
            return self.issues[value].key if value in self.issues else str(value)
        if name == seed.TEAM_FIELD:
            return dict(seed.TEAM_OPTIONS).get(value, str(value))
        return str(value)

    def delete_issue(self, actor: str, id_or_key: str, delete_subtasks: bool = False) -> None:
        with self.lock:
            issue = self.issue(id_or_key)
            children = [i for i in self.issues.values() if i.fields.get("parent") == issue.id]
            subtasks = [c for c in children if self.issue_type(c.fields["issuetype"])["subtask"]]
            if subtasks and not delete_subtasks:
                raise bad_request(
                    [f"The issue '{issue.key}' has subtasks. Set 'deleteSubtasks' to delete them too."]
                )
            for child in subtasks:
                self._remove_issue(actor, child)
            for child in children:
                if child.id in self.issues:
                    child.fields["parent"] = None
            self._remove_issue(actor, issue)

    def _remove_issue(self, actor: str, issue: Issue) -> None:
        del self.issues[issue.id]
        self.keys.pop(issue.key, None)
        self._count_write()
        self._emit(Event("jira:issue_deleted", issue, actor, issue_event_type_name="issue_deleted"))

    # ------------------------------------------------------------ transitions

    def transitions(self, id_or_key: str) -> list[tuple[TransitionDef, StatusDef]]:
        with self.lock:
            issue = self.issue(id_or_key)
            workflow = self.workflow_of(issue)
            pairs = [(t, workflow.status(t.to)) for t in workflow.available(issue.status)]
            return [(transition, status) for transition, status in pairs if status is not None]

    def transition(
        self, actor: str, id_or_key: str, transition_id: str, fields: dict[str, Any] | None = None
    ) -> None:
        with self.lock:
            self._transition(actor, self.issue(id_or_key), transition_id, fields or {})

    def transition_to_status(
        self, actor: str, id_or_key: str, status_name: str, fields: dict[str, Any] | None = None
    ) -> None:
        with self.lock:
            issue = self.issue(id_or_key)
            workflow = self.workflow_of(issue)
            target = next(
                (t for t in workflow.available(issue.status) if t.to.casefold() == status_name.casefold()),
                None,
            )
            if target is None:
                raise bad_request([f"No transition from '{issue.status}' to '{status_name}'."])
            extra = dict(fields or {})
            if "resolution" in target.required_fields and "resolution" not in extra:
                extra["resolution"] = {"name": "Done"}
            self._transition(actor, issue, target.id, extra)

    def _transition(
        self,
        actor: str,
        issue: Issue,
        transition_id: str,
        fields: dict[str, Any],
        *,
        emit: bool = True,
        count: bool = True,
    ) -> None:
        workflow = self.workflow_of(issue)
        target = next((t for t in workflow.available(issue.status) if t.id == str(transition_id)), None)
        if target is None:
            raise bad_request(["Transition id '" + str(transition_id) + "' is not valid for this issue."])
        missing = [name for name in target.required_fields if not fields.get(name)]
        if missing:
            raise bad_request(errors={name: f"{name.title()} is required." for name in missing})
        resolution_ref = fields.get("resolution")
        other_fields = {k: v for k, v in fields.items() if k != "resolution"}
        converted = {}
        for name, value in other_fields.items():
            converted.update(self._convert_field(name, value))
        new_resolution = self._resolution_name(resolution_ref) if resolution_ref else None
        old_status, old_resolution = issue.status, issue.resolution
        to_done = self.status_category(target.to) == "done"
        items = [
            ChangeItem(
                "status",
                self.statuses[old_status][0],
                old_status,
                self.statuses[target.to][0],
                target.to,
                field_id="status",
            )
        ]
        if to_done:
            issue.resolution = new_resolution or issue.resolution or "Done"
            issue.resolution_date = issue.resolution_date or utcnow()
        else:
            issue.resolution, issue.resolution_date = None, None
        if issue.resolution != old_resolution:
            items.append(
                ChangeItem(
                    "resolution",
                    self.resolution_id(old_resolution),
                    old_resolution,
                    self.resolution_id(issue.resolution),
                    issue.resolution,
                    field_id="resolution",
                )
            )
        for name, value in converted.items():
            if issue.fields.get(name) != value:
                items.append(self._change_item(name, issue.fields.get(name), value))
                issue.fields[name] = value
        issue.status = target.to
        group = self._record_change(issue, actor, items)
        if count:
            self._count_write()
        if emit:
            self._emit(
                Event("jira:issue_updated", issue, actor, group, issue_event_type_name="issue_generic")
            )

    def _resolution_name(self, ref: Any) -> str:
        ident = ref.get("name") or ref.get("id") if isinstance(ref, dict) else ref
        for resolution_id, name in seed.RESOLUTIONS:
            if ident in (resolution_id, name):
                return name
        raise bad_request(errors={"resolution": f"Resolution '{ident}' does not exist."})

    def resolution_id(self, name: str | None) -> str | None:
        return next((rid for rid, rname in seed.RESOLUTIONS if rname == name), None)

    # ------------------------------------------------------------ comments

    def add_comment(
        self, actor: str, id_or_key: str, body: Any, visibility: dict[str, Any] | None = None
    ) -> Comment:
        with self.lock:
            issue = self.issue(id_or_key)
            document = self._comment_body(body)
            now = utcnow()
            comment = Comment(
                str(next(self._comment_ids)), issue.id, actor, document, now, now, actor, visibility
            )
            issue.comments.append(comment)
            issue.updated = now
            self._count_write()
            self._emit_comment_event("comment_created", issue, actor, comment, "issue_commented")
            return comment

    def _comment_body(self, body: Any) -> dict[str, Any]:
        if isinstance(body, str):
            if not body.strip():
                raise bad_request(errors={"comment": "Comment body can not be empty!"})
            return text_to_adf(body)
        try:
            validate_adf(body)
        except AdfError:
            raise bad_request(errors={"comment": COMMENT_ERROR}) from None
        if not adf_to_text(body).strip() and not body.get("content"):
            raise bad_request(errors={"comment": "Comment body can not be empty!"})
        assert isinstance(body, dict)
        return body

    def comment(self, id_or_key: str, comment_id: str) -> Comment:
        with self.lock:
            issue = self.issue(id_or_key)
            found = next((c for c in issue.comments if c.id == str(comment_id)), None)
            if found is None:
                raise not_found("Can not find a comment for the id: " + str(comment_id) + ".")
            return found

    def update_comment(self, actor: str, id_or_key: str, comment_id: str, body: Any) -> Comment:
        with self.lock:
            issue = self.issue(id_or_key)
            comment = self.comment(id_or_key, comment_id)
            document = self._comment_body(body)
            if document == comment.body:
                return comment
            comment.body, comment.updated, comment.update_author = document, utcnow(), actor
            issue.updated = comment.updated
            self._count_write()
            self._emit_comment_event("comment_updated", issue, actor, comment, "issue_comment_edited")
            return comment

    def delete_comment(self, actor: str, id_or_key: str, comment_id: str) -> None:
        with self.lock:
            issue = self.issue(id_or_key)
            comment = self.comment(id_or_key, comment_id)
            issue.comments.remove(comment)
            issue.updated = utcnow()
            self._count_write()
            self._emit_comment_event("comment_deleted", issue, actor, comment, "issue_comment_deleted")

    # ------------------------------------------------------------ attachments

    def add_attachment(
        self, actor: str, id_or_key: str, filename: str, mime_type: str, content: bytes
    ) -> Attachment:
        with self.lock:
            issue = self.issue(id_or_key)
            limit = self.faults.config.attachment_size_limit
            if len(content) > limit:
                raise JiraApiError(413, [f"The attachment exceeds the size limit of {limit} bytes."])
            attachment = Attachment(
                str(next(self._attachment_ids)), issue.id, filename, mime_type, content, actor, utcnow()
            )
            issue.attachments.append(attachment)
            group = self._record_change(
                issue,
                actor,
                [ChangeItem("Attachment", None, None, attachment.id, filename, field_id="attachment")],
            )
            self._count_write()
            self._emit(Event("attachment_created", issue, actor, attachment=attachment))
            self._emit(
                Event("jira:issue_updated", issue, actor, group, issue_event_type_name="issue_updated")
            )
            return attachment

    def attachment(self, attachment_id: str) -> Attachment:
        with self.lock:
            for issue in self.issues.values():
                for attachment in issue.attachments:
                    if attachment.id == str(attachment_id):
                        return attachment
            raise not_found(f"The attachment with id '{attachment_id}' does not exist")

    def delete_attachment(self, actor: str, attachment_id: str) -> None:
        with self.lock:
            attachment = self.attachment(attachment_id)
            issue = self.issues[attachment.issue_id]
            issue.attachments.remove(attachment)
            group = self._record_change(
                issue,
                actor,
                [
                    ChangeItem(
                        "Attachment", attachment.id, attachment.filename, None, None, field_id="attachment"
                    )
                ],
            )
            self._count_write()
            self._emit(Event("attachment_deleted", issue, actor, attachment=attachment))
            self._emit(
                Event("jira:issue_updated", issue, actor, group, issue_event_type_name="issue_updated")
            )

    # ------------------------------------------------------------ properties and remote links

    def set_property(self, id_or_key: str, key: str, value: Any) -> bool:
        """Store an issue property; True when it was created (201), False when replaced (200)."""
        with self.lock:
            issue = self.issue(id_or_key)
            if not key or len(key) > 255:
                raise bad_request(["The property key must be between 1 and 255 characters."])
            if len(json.dumps(value)) > PROPERTY_VALUE_LIMIT:
                raise bad_request(["The property value is too long (32768 characters max)."])
            created = key not in issue.properties
            issue.properties[key] = value
            self._count_write()
            return created

    def delete_property(self, id_or_key: str, key: str) -> None:
        with self.lock:
            issue = self.issue(id_or_key)
            if key not in issue.properties:
                raise not_found(f"Property with key '{key}' not found.")
            del issue.properties[key]
            self._count_write()

    def upsert_remote_link(self, id_or_key: str, body: dict[str, Any]) -> tuple[RemoteLink, bool]:
        with self.lock:
            issue = self.issue(id_or_key)
            link_object = body.get("object")
            if (
                not isinstance(link_object, dict)
                or not link_object.get("url")
                or not link_object.get("title")
            ):
                raise bad_request(
                    errors={"object": "'url' and 'title' are required fields of a remote link object."}
                )
            global_id = body.get("globalId")
            existing = next(
                (link for link in issue.remote_links if global_id and link.global_id == global_id), None
            )
            if existing is not None:
                existing.body = body
                self._count_write()
                return existing, False
            link = RemoteLink(next(self._link_ids), global_id, body)
            issue.remote_links.append(link)
            self._count_write()
            return link, True

    def delete_remote_link(self, id_or_key: str, link_id: str) -> None:
        with self.lock:
            issue = self.issue(id_or_key)
            link = next((item for item in issue.remote_links if str(item.id) == str(link_id)), None)
            if link is None:
                raise not_found(f"No remote link with id '{link_id}'.")
            issue.remote_links.remove(link)
            self._count_write()

    # ------------------------------------------------------------ search

    def compile_jql(self, jql: str, current_user: str | None) -> tuple[Query, SiteJqlContext]:
        context = SiteJqlContext(self, current_user)
        try:
            query = parse(jql)
            check_fields(query, context)
        except JqlError as exc:
            raise bad_request([str(exc)]) from None
        return query, context

    def search(self, jql: str, current_user: str | None) -> list[Issue]:
        with self.lock:
            query, context = self.compile_jql(jql, current_user)
            found = [issue for issue in self.issues.values() if matches(query, issue, context)]
            found.sort(key=lambda issue: int(issue.id), reverse=True)
            return sort_issues(found, query, context)

    def issue_matches(self, jql: str, issue: Issue, current_user: str | None) -> bool:
        query, context = self.compile_jql(jql, current_user)
        return matches(query, issue, context)

    # ------------------------------------------------------------ the *_as helpers

    def create_issue_as(self, account_id: str, fields: dict[str, Any]) -> Issue:
        """A human creates an issue in Jira's UI (see ``_human_fields`` for accepted shorthands)."""
        self.user(account_id)
        fields = self._human_fields(fields)
        fields.setdefault("issuetype", {"name": "Task"})
        return self.create_issue(account_id, fields)

    def _human_fields(self, fields: dict[str, Any]) -> dict[str, Any]:
        """REST-shaped fields, also accepting shorthands: ``"project": "SUP"``, ``"issuetype": "Bug"``,
        ``"priority": "High"``, ``"assignee": "<accountId or email>"``, ``"parent": "SUP-1"``,
        ``"customfield_10050": "Red"`` and a plain-text ``description``."""
        result = dict(fields)
        shorthands = {
            "project": "key",
            "issuetype": "name",
            "priority": "name",
            "parent": "key",
            seed.TEAM_FIELD: "value",
        }
        for name, attribute in shorthands.items():
            if isinstance(result.get(name), str):
                result[name] = {attribute: result[name]}
        for name in ("assignee", "reporter"):
            if isinstance(result.get(name), str):
                by_email = self.user_by_email(result[name])
                result[name] = {"accountId": by_email.account_id if by_email else result[name]}
        if isinstance(result.get("description"), str):
            result["description"] = text_to_adf(result["description"])
        return result

    def add_comment_as(
        self, account_id: str, issue_key: str, markdown_or_adf: str | dict[str, Any]
    ) -> Comment:
        self.user(account_id)
        return self.add_comment(account_id, issue_key, markdown_or_adf)

    def update_issue_as(self, account_id: str, issue_key: str, fields: dict[str, Any]) -> ChangeGroup | None:
        self.user(account_id)
        return self.edit_issue(account_id, issue_key, self._human_fields(fields))

    def transition_as(self, account_id: str, issue_key: str, status_name: str) -> None:
        self.user(account_id)
        self.transition_to_status(account_id, issue_key, status_name)

    def delete_issue_as(self, account_id: str, issue_key: str, delete_subtasks: bool = True) -> None:
        self.user(account_id)
        self.delete_issue(account_id, issue_key, delete_subtasks)
