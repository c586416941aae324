"""Turning the incoming script's desired state into the fewest API calls that reach it.

Symbolic references are resolved first (a user by email or account id, a parent by its twin),
then fields are merged three ways against the twin's base, and only what differs is written.
Comments and attachments are matched by id through the twin's maps, so edits and deletes
follow and nothing is copied twice; copies of this side's own comments are recognised and
never bounced back.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from connectors.base import Capability, Connector, IssueChanges, NotFoundError, RetriableError
from connectors.model import Issue, User
from plugin.extensions import db
from plugin.models.connection import Connection, Side
from plugin.models.sync import Twin
from plugin.sync import queue
from plugin.sync.merge import Clock, merge

# Fields compared and written through the issue edit API; status goes through the workflow.
EDITABLE = ("summary", "description", "priority", "labels", "assignee", "reporter", "parent")
CREATE_ONLY = ("project", "type")
MAX_CONFLICTS_KEPT = 50
# Comments we post for an author the target site does not know start with this header; it also
# tells us, on the way back, that a comment is our copy and not someone's new comment.
COPY_MARK = " wrote on the linked issue"
COPY_HEADER = re.compile(r"^\*\*[^*\n]{1,200}\*\*" + re.escape(COPY_MARK))


class WaitingForParent(RetriableError):
    """The parent's twin does not exist yet; this child waits for it."""


@dataclass
class Applier:
    connection: Connection
    source: Side
    target: Side
    source_connector: Connector
    target_connector: Connector
    can_impersonate: bool
    max_attachment_bytes: int
    set_step: Callable[[str], None]
    writes: int = 0
    done: list[str] = field(default_factory=list)
    _users: dict[str, User | None] = field(default_factory=dict)

    # -- resolve -----------------------------------------------------------------------------

    def resolve(self, desired: dict[str, Any], local: Issue | None) -> dict[str, Any]:
        current = local.to_dict() if local else {}
        for name in ("assignee", "reporter"):
            if name in desired and desired[name] != current.get(name):  # untouched users need no lookup
                user = self._user(desired[name])
                desired[name] = user.to_dict() if user else None
        if desired.get("parent"):
            desired["parent"] = self._parent_key(str(desired["parent"]))
        return desired

    def _user(self, ref: Any) -> User | None:
        """By email, then through the side's account-id map, then the side's default."""
        if not isinstance(ref, dict) or not (ref.get("email") or ref.get("account_id")):
            return None
        email, account_id = ref.get("email"), ref.get("account_id")
        cache_key = f"{email}|{account_id}"
        if cache_key not in self._users:
            self._users[cache_key] = self._lookup_user(email, account_id)
        return self._users[cache_key]

    def _lookup_user(self, email: str | None, account_id: str | None) -> User | None:
        find = self.target_connector.find_user
        found = find(email=email) if email else None
        mapped = (self.target.user_map or {}).get(account_id or "")
        if found is None and mapped:
            found = find(account_id=mapped)
        if found is None and account_id:  # the same site on both sides, or a connector side
            found = find(account_id=account_id)
        if found is None and self.target.default_account_id:
            found = find(account_id=self.target.default_account_id)
        return found

    def _parent_key(self, source_parent: str) -> str:
        source_pos = self.source.position
        column = Twin.a_issue_key if source_pos == "a" else Twin.b_issue_key
        twin: Twin | None = db.session.execute(
            db.select(Twin).where(Twin.connection_id == self.connection.id, column == source_parent)
        ).scalar_one_or_none()
        target_key = twin.issue_key(self.target.position) if twin else None
        if target_key:
            return target_key
        if twin is None:  # the parent is not synced yet: sync it first, then this child
            queue.enqueue(
                self.connection.id, source_pos, source_parent, issue_key=source_parent, trigger="manual"
            )
        raise WaitingForParent(f"waiting for the twin of parent {source_parent}")

    # -- create ------------------------------------------------------------------------------

    def create(self, twin: Twin | None, issue: Issue, desired: dict[str, Any]) -> tuple[Twin, str]:
        """Create the counterpart once: the twin and its origin marker are stored first."""
        if twin is None:
            twin = Twin(connection_id=self.connection.id, origin=uuid.uuid4().hex)
            twin.set_issue(self.source.position, issue.id, issue.key)
            db.session.add(twin)
            db.session.commit()
        project = str(desired.get("project") or self.target.project_key or "")
        issue_type = str(desired.get("type") or "Task")
        flat = {
            name: value for name, value in self.applied_state(desired).items() if value not in (None, "", [])
        }
        flat.pop("status", None)
        created = self.target_connector.create_issue_once(
            project, issue_type, IssueChanges(_changes_from_flat(flat)), twin.origin
        )
        self.writes += 1
        twin.set_issue(self.target.position, created.id, created.key)
        db.session.commit()
        local = self.target_connector.get_issue(created.id)
        if desired.get("status") and desired["status"] != local.status:
            self.set_step("transition")
            self.target_connector.transition(created.id, desired["status"])
            self.writes += 1
        self._link_both_ways(issue, local)
        self._sync_comments(twin, local, desired)
        self._sync_attachments(twin, local, desired)
        return twin, f"created {created.key}" + self._details()

    def _link_both_ways(self, issue: Issue, created: Issue) -> None:
        self.set_step("remote-links")
        global_id = f"tandem:{self.connection.id}:{issue.id}:{created.id}"
        if issue.url:
            self.target_connector.add_remote_link(created.id, issue.url, f"{issue.key} (synced)", global_id)
            self.writes += 1
        if created.url:
            self.source_connector.add_remote_link(issue.id, created.url, f"{created.key} (synced)", global_id)
            self.writes += 1

    # -- update ------------------------------------------------------------------------------

    def update(
        self,
        twin: Twin,
        issue: Issue,
        local: Issue,
        desired: dict[str, Any],
        *,
        hard: bool,
        echo_fields: set[str] | frozenset[str] = frozenset(),
    ) -> str:
        base = None if hard else twin.applied(self.target.position)
        ours = state_of(local)
        # A field the source still holds as we last wrote it is our echo, not their change.
        theirs = {
            name: value for name, value in self.applied_state(desired).items() if name not in echo_fields
        }
        clock = Clock(ours=local.updated, theirs=issue.updated, ours_position=self.target.position)
        result = merge(base, ours, theirs, clock)
        if result.conflicts:
            twin.conflicts = (twin.conflicts or []) + [
                {**conflict.to_dict(), "job_source": self.source.position} for conflict in result.conflicts
            ]
            twin.conflicts = twin.conflicts[-MAX_CONFLICTS_KEPT:]
        writes = {name: value for name, value in result.writes.items() if name not in CREATE_ONLY}
        status = writes.pop("status", None)
        changes = _changes_from_flat(writes)
        if changes:
            self.set_step("edit")
            self.target_connector.update_issue(local.id, IssueChanges(changes))
            self.writes += 1
            self.done.append("updated " + ", ".join(sorted(changes)))
        if status:
            self.set_step("transition")
            self.target_connector.transition(local.id, status)
            self.writes += 1
            self.done.append(f"moved to {status}")
        self._sync_comments(twin, local, desired)
        self._sync_attachments(twin, local, desired)
        if result.conflicts:
            self.done.append(f"{len(result.conflicts)} conflict(s) resolved by the later change")
        summary = "; ".join(self.done)
        return f"{local.key}: {summary}" if summary else f"{local.key}: already in step"

    def _details(self) -> str:
        return f" ({'; '.join(self.done)})" if self.done else ""

    def applied_state(self, desired: dict[str, Any]) -> dict[str, Any]:
        """The comparable fields of a state: editable fields, status, custom fields flattened."""
        state = {name: desired[name] for name in (*EDITABLE, "status") if name in desired}
        state.update(self._custom(desired))
        return state

    @staticmethod
    def _custom(desired: dict[str, Any]) -> dict[str, Any]:
        custom = desired.get("custom") or {}
        return {f"custom.{key}": value for key, value in custom.items()} if isinstance(custom, dict) else {}

    # -- comments ----------------------------------------------------------------------------

    def _sync_comments(self, twin: Twin, local: Issue, desired: dict[str, Any]) -> None:
        wanted_list = desired.get("comments")
        if not isinstance(wanted_list, list) or not self.target_connector.supports(Capability.COMMENTS):
            return
        self.set_step("comments")
        forward_key, back_key = self._map_keys()
        maps = dict(twin.comment_map or {})
        forward: dict[str, Any] = dict(maps.get(forward_key, {}))
        echoes = {entry["id"] for entry in maps.get(back_key, {}).values()}
        local_ids = {comment.id for comment in local.comments}
        mapped_here = {entry["id"] for entry in forward.values()} | set(maps.get(back_key, {}))
        orphans = {
            _squash(c.body): (c.id, c.author.account_id if c.author else None)
            for c in local.comments
            if c.id not in mapped_here
        }
        wanted = {str(c["remote_id"]): c for c in wanted_list if isinstance(c, dict) and c.get("remote_id")}
        added = edited = 0
        for remote_id, comment in wanted.items():
            if remote_id in echoes or COPY_HEADER.match(str(comment.get("body") or "")):
                continue  # a copy of one of this side's own comments (even one whose post was lost)
            body, author = self._comment_body(comment)
            digest = hashlib.sha256(body.encode()).hexdigest()
            entry = forward.get(remote_id)
            if entry is None:
                squashed = _squash(body)
                orphan = orphans.get(squashed)
                if orphan is not None and _ours(orphan[1], author, body != comment.get("body")):
                    # posted by an earlier attempt whose response was lost: adopt it, don't repost
                    del orphans[squashed]
                    forward[remote_id] = {"id": orphan[0], "hash": digest}
                    continue
                created = self.target_connector.add_comment(local.id, body, author=author)
                forward[remote_id] = {"id": created.id, "hash": digest}
                added += 1
            elif entry["hash"] != digest and entry["id"] in local_ids:
                self.target_connector.update_comment(local.id, entry["id"], body)
                forward[remote_id] = {"id": entry["id"], "hash": digest}
                edited += 1
        deleted = _drop_unwanted(
            forward,
            wanted,
            local_ids,
            lambda item_id: self.target_connector.delete_comment(local.id, item_id),
        )
        maps[forward_key] = forward
        twin.comment_map = maps
        db.session.commit()
        self.writes += added + edited + deleted
        self._count("comment", added, edited, deleted)

    def _comment_body(self, comment: dict[str, Any]) -> tuple[str, User | None]:
        """The body to post, and the author to post as when the target can impersonate."""
        body = str(comment.get("body") or "")
        author = comment.get("author") if isinstance(comment.get("author"), dict) else None
        if author and self.can_impersonate:
            user = self._user(author)
            if user is not None:
                return body, user
        if not author:
            return body, None
        name = author.get("display_name") or author.get("email") or "someone"
        when = str(comment.get("created") or "")[:16].replace("T", " ")
        header = f"**{name}**{COPY_MARK}" + (f" ({when} UTC)" if when else "") + ":"
        return f"{header}\n\n{body}", None

    def _map_keys(self) -> tuple[str, str]:
        s, t = self.source.position, self.target.position
        return f"{s}->{t}", f"{t}->{s}"

    def _count(self, noun: str, added: int, edited: int, deleted: int) -> None:
        parts = [
            f"{n} {noun}(s) {verb}"
            for n, verb in ((added, "added"), (edited, "edited"), (deleted, "deleted"))
            if n
        ]
        self.done.extend(parts)

    # -- attachments -------------------------------------------------------------------------

    def _sync_attachments(self, twin: Twin, local: Issue, desired: dict[str, Any]) -> None:
        wanted_list = desired.get("attachments")
        if not isinstance(wanted_list, list) or not self.target_connector.supports(Capability.ATTACHMENTS):
            return
        self.set_step("attachments")
        forward_key, back_key = self._map_keys()
        maps = dict(twin.attachment_map or {})
        forward: dict[str, Any] = dict(maps.get(forward_key, {}))
        echoes = {entry["id"] for entry in maps.get(back_key, {}).values()}
        local_ids = {attachment.id for attachment in local.attachments}
        wanted = {str(a["remote_id"]): a for a in wanted_list if isinstance(a, dict) and a.get("remote_id")}
        added = 0
        for remote_id, attachment in wanted.items():
            if remote_id in echoes or remote_id in forward:
                continue
            size = int(attachment.get("size") or 0)
            if size > self.max_attachment_bytes:
                self.done.append(f"skipped {attachment.get('filename')}: larger than the attachment limit")
                continue
            content = b"".join(self.source_connector.download_attachment(remote_id))
            uploaded = self.target_connector.upload_attachment(
                local.id,
                str(attachment.get("filename") or "attachment"),
                io.BytesIO(content),
                str(attachment.get("mime_type") or "application/octet-stream"),
            )
            forward[remote_id] = {"id": uploaded.id, "hash": hashlib.sha256(content).hexdigest()}
            added += 1
        deleted = _drop_unwanted(forward, wanted, local_ids, self.target_connector.delete_attachment)
        maps[forward_key] = forward
        twin.attachment_map = maps
        db.session.commit()
        self.writes += added + deleted
        self._count("attachment", added, 0, deleted)


def state_of(issue: Issue) -> dict[str, Any]:
    """The comparable fields of an issue, in the same flat shape as the twin's applied state."""
    data = issue.to_dict()
    state = {name: data.get(name) for name in (*EDITABLE, "status")}
    state.update({f"custom.{key}": value for key, value in (data.get("custom") or {}).items()})
    return state


def _changes_from_flat(writes: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for name, value in writes.items():
        if name.startswith("custom."):
            custom[name.removeprefix("custom.")] = value
        elif name in ("assignee", "reporter"):
            changes[name] = User.from_dict(value) if isinstance(value, dict) else None
        else:
            changes[name] = value
    if custom:
        changes["custom"] = custom
    return changes


def _squash(text: str) -> str:
    return " ".join(text.split())


def _ours(orphan_author: str | None, author: User | None, has_header: bool) -> bool:
    """An unmapped comment with the same text is our lost post only if it is signed like ours."""
    if author is not None:
        return orphan_author == author.account_id
    return has_header


def _drop_unwanted(
    forward: dict[str, Any], wanted: dict[str, Any], local_ids: set[str], delete: Callable[[str], None]
) -> int:
    """Delete the copies whose originals are gone; forget them in the id map. The number deleted."""
    deleted = 0
    for remote_id, entry in list(forward.items()):
        if remote_id in wanted:
            continue
        if entry["id"] in local_ids:
            with contextlib.suppress(NotFoundError):
                delete(entry["id"])
            deleted += 1
        del forward[remote_id]
    return deleted
