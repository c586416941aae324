"""Reading request bodies and query strings of the admin API: every problem reported at once.

A view builds a :class:`Fields` reader over the JSON body, asks for each field with its type,
then calls :meth:`Fields.check`; that raises one 422 naming every bad field, so the admin page
can mark them all instead of one per round trip.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import request

from plugin.errors import ApiError, ValidationFailed

MAX_TEXT = 10_000
MAX_SOURCE = 200_000


def json_object() -> dict[str, Any]:
    """The request body, which must be a JSON object (400 otherwise)."""
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise ApiError(
            "the request body must be a JSON object",
            code="invalid_body",
            details={"body": "expected a JSON object"},
        )
    return body


class Fields:
    """Typed access to a JSON object's fields that collects problems instead of failing early."""

    def __init__(self, body: Mapping[str, Any], prefix: str = "") -> None:
        self.body = body
        self.prefix = prefix
        self.problems: dict[str, str] = {}

    def _name(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def problem(self, name: str, message: str) -> None:
        self.problems[self._name(name)] = message

    def text(self, name: str, *, max_length: int = MAX_TEXT) -> str:
        """A required, non-blank string."""
        value = self.body.get(name)
        if not isinstance(value, str) or not value.strip():
            self.problem(name, "required, a non-empty string")
            return ""
        if len(value) > max_length:
            self.problem(name, f"at most {max_length} characters")
            return ""
        return value.strip()

    def optional_text(self, name: str, *, max_length: int = MAX_TEXT) -> str | None:
        value = self.body.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            self.problem(name, "a string or null")
            return None
        if len(value) > max_length:
            self.problem(name, f"at most {max_length} characters")
            return None
        return value.strip() or None

    def source(self, name: str) -> str:
        """Script source: required, may be blank lines but must be a string; kept verbatim."""
        value = self.body.get(name)
        if not isinstance(value, str):
            self.problem(name, "required, the script text")
            return ""
        if len(value) > MAX_SOURCE:
            self.problem(name, f"at most {MAX_SOURCE} characters")
            return ""
        return value

    def boolean(self, name: str, *, default: bool) -> bool:
        value = self.body.get(name, default)
        if not isinstance(value, bool):
            self.problem(name, "true or false")
            return default
        return value

    def integer(self, name: str, *, minimum: int = 1) -> int:
        value = self.body.get(name)
        # bool is an int in Python; true is not a version number.
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            self.problem(name, f"required, an integer >= {minimum}")
            return minimum
        return value

    def position(self, name: str = "position") -> str | None:
        value = self.body.get(name)
        if value is None:
            return None
        if value not in ("a", "b"):
            self.problem(name, '"a" or "b"')
            return None
        return str(value)

    def choice(self, name: str, choices: tuple[str, ...]) -> str | None:
        value = self.body.get(name)
        if value is None:
            return None
        if value not in choices:
            self.problem(name, f"one of {', '.join(choices)}")
            return None
        return str(value)

    def object(self, name: str, *, required: bool = True) -> dict[str, Any] | None:
        value = self.body.get(name)
        if value is None and not required:
            return None
        if not isinstance(value, dict):
            self.problem(name, "required, an object" if required else "an object")
            return None
        return value

    def nested(self, name: str, *, required: bool = True) -> Fields:
        """A reader for an object field whose problems are reported as ``name.field``."""
        value = self.object(name, required=required)
        child = Fields(value or {}, prefix=f"{self._name(name)}.")
        if value is not None:
            child.problems = self.problems  # one shared report
        # else: the parent's own problem says it all; the child's findings are dropped.
        return child

    def check(self, message: str = "invalid request") -> None:
        if self.problems:
            raise ValidationFailed(message, details=dict(sorted(self.problems.items())))


def query_int(name: str, *, default: int | None, minimum: int = 1, maximum: int | None = None) -> int | None:
    """An integer query-string parameter (422 when it is not one)."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum or (maximum is not None and value > maximum):
        bounds = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        raise ValidationFailed("invalid query parameter", details={name: f"an integer {bounds}"})
    return value


def query_position(name: str = "position") -> str | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    if raw not in ("a", "b"):
        raise ValidationFailed("invalid query parameter", details={name: '"a" or "b"'})
    return raw
