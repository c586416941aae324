"""How JQL sees a site's issues: field names, kinds and values (the JqlContext of a Site)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import seed
from .adf import adf_to_text
from .jql import FieldRef, JqlError
from .model import Issue

if TYPE_CHECKING:
    from .state import Site


class SiteJqlContext:
    """How JQL sees this site's issues: field names, kinds and values."""

    FIELDS: dict[str, tuple[str, str, str]] = {
        "project": ("project", "string", "project"),
        "key": ("key", "key", "key"),
        "issuekey": ("key", "key", "key"),
        "id": ("key", "key", "key"),
        "issuetype": ("issuetype", "string", "issuetype"),
        "type": ("issuetype", "string", "issuetype"),
        "status": ("status", "string", "status"),
        "statuscategory": ("statusCategory", "string", "statusCategory"),
        "labels": ("labels", "string", "labels"),
        "assignee": ("assignee", "user", "assignee"),
        "reporter": ("reporter", "user", "reporter"),
        "creator": ("creator", "user", "creator"),
        "summary": ("summary", "text", "summary"),
        "description": ("description", "text", "description"),
        "comment": ("comment", "text", "comment"),
        "text": ("text", "text", "text"),
        "created": ("created", "date", "created"),
        "createddate": ("created", "date", "created"),
        "updated": ("updated", "date", "updated"),
        "updateddate": ("updated", "date", "updated"),
        "resolved": ("resolutiondate", "date", "resolved"),
        "resolutiondate": ("resolutiondate", "date", "resolved"),
        "parent": ("parent", "key", "parent"),
        "priority": ("priority", "string", "priority"),
        "resolution": ("resolution", "string", "resolution"),
        "cf[10042]": (seed.CUSTOMER_FIELD, "text", "Customer"),
        "customer": (seed.CUSTOMER_FIELD, "text", "Customer"),
        "cf[10016]": (seed.STORY_POINTS_FIELD, "number", "Story Points"),
        "story points": (seed.STORY_POINTS_FIELD, "number", "Story Points"),
        "cf[10050]": (seed.TEAM_FIELD, "string", "Team"),
        "team": (seed.TEAM_FIELD, "string", "Team"),
    }

    def __init__(self, site: Site, current: str | None) -> None:
        self.site = site
        self.current = current

    def resolve_field(self, name: str) -> FieldRef | None:
        lowered = name.casefold()
        if lowered.startswith("issue.property[") and "]" in lowered:
            return FieldRef(name, "property", name)
        for field in seed.CUSTOM_FIELDS:
            if lowered == field["id"]:
                lowered = f"cf[{field['number']}]"
        entry = self.FIELDS.get(lowered)
        if entry is None:
            return None
        # A text custom field answers both = and ~ here (lenient; Jira only allows ~).
        kind = "freetext" if entry[0] == seed.CUSTOMER_FIELD else entry[1]
        return FieldRef(entry[0], kind, entry[2])

    def current_user(self) -> str | None:
        return self.current

    def validate_value(self, field: FieldRef, value: str) -> None:
        if field.name == "project" and not any(
            value.casefold() in (p.key.casefold(), p.id, p.name.casefold())
            for p in self.site.projects.values()
        ):
            raise JqlError(f"The value '{value}' does not exist for the field 'project'.")

    def sort_value(self, issue: Issue, field: FieldRef) -> Any | None:
        if field.name == "priority" and issue.fields.get("priority"):
            # Jira orders priorities by rank: DESC puts Highest first.
            ranks = [priority_id for priority_id, _ in seed.PRIORITIES]
            return len(ranks) - ranks.index(issue.fields["priority"])
        return None

    def values(self, issue: Issue, field: FieldRef) -> list[Any]:
        site = self.site
        name = field.name
        if field.kind == "property":
            return _property_values(issue, name)
        if name == "project":
            project = site.projects[issue.project_key]
            return [(project.key, project.id, project.name)]
        if name == "key":
            return [(issue.key, issue.id)]
        if name == "issuetype":
            issue_type = site.issue_type(issue.fields["issuetype"])
            return [(issue_type["name"], issue_type["id"])]
        if name == "status":
            return [(issue.status, site.statuses[issue.status][0])]
        if name == "statusCategory":
            category = site.status_category(issue.status)
            return [(seed.CATEGORY_NAMES[category], category, str(seed.CATEGORY_IDS[category]))]
        if name == "labels":
            return list(issue.fields.get("labels", []))
        if name in ("assignee", "reporter", "creator"):
            account = issue.creator if name == "creator" else issue.fields.get(name)
            user = site.users.get(account or "")
            if user is None:
                return []
            # Display name first: ORDER BY sorts by it. Emails match exactly, hidden or not.
            return [(user.display_name, user.account_id, user.email or "")]
        if name in ("summary", "description"):
            value = issue.fields.get(name)
            return [adf_to_text(value) if isinstance(value, dict) else value]
        if name == "comment":
            return [adf_to_text(c.body) for c in issue.comments]
        if name == "text":
            texts = [issue.fields.get("summary"), adf_to_text(issue.fields.get("description"))]
            texts += [adf_to_text(c.body) for c in issue.comments]
            texts.append(issue.fields.get(seed.CUSTOMER_FIELD))
            return [" ".join(t for t in texts if t)]
        if name in ("created", "updated"):
            return [getattr(issue, name)]
        if name == "resolutiondate":
            return [issue.resolution_date]
        if name == "parent":
            parent = site.issues.get(issue.fields.get("parent") or "")
            return [(parent.key, parent.id)] if parent else []
        if name == "priority":
            priority_id = issue.fields.get("priority")
            return [(dict(seed.PRIORITIES).get(priority_id, ""), priority_id)] if priority_id else []
        if name == "resolution":
            return [(issue.resolution, site.resolution_id(issue.resolution))] if issue.resolution else []
        if name == seed.TEAM_FIELD:
            option = issue.fields.get(name)
            return [(dict(seed.TEAM_OPTIONS).get(option, ""), option)] if option else []
        return [issue.fields.get(name)]


def _property_values(issue: Issue, name: str) -> list[Any]:
    inner = name[len("issue.property[") :]
    key, _, path = inner.partition("]")
    value: Any = issue.properties.get(key.strip("\"'"))
    for part in [p for p in path.split(".") if p]:
        value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).lower() if isinstance(v, bool) else str(v) for v in value]
    if isinstance(value, bool):
        return [str(value).lower()]
    return [str(value)]
