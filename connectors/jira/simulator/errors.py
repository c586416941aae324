"""Errors raised inside the simulator and rendered as Jira error bodies."""

from __future__ import annotations

from typing import Any


class JiraApiError(Exception):
    """A REST failure: rendered as ``{"errorMessages": [...], "errors": {...}}`` with a status."""

    def __init__(
        self,
        status: int,
        messages: list[str] | None = None,
        errors: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status}: {messages or ''} {errors or ''}")
        self.status = status
        self.messages = list(messages or [])
        self.errors = dict(errors or {})
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return {"errorMessages": self.messages, "errors": self.errors}


def not_found(what: str = "Issue does not exist or you do not have permission to see it.") -> JiraApiError:
    return JiraApiError(404, [what])


def bad_request(messages: list[str] | None = None, errors: dict[str, str] | None = None) -> JiraApiError:
    return JiraApiError(400, messages, errors)


class InstallError(Exception):
    """The app answered a lifecycle callback with a non-2xx status (or could not be reached)."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"install callback failed with {status}: {body[:500]}")
        self.status = status
        self.body = body
