"""Validate simulator responses against Atlassian's Jira Cloud REST v3 OpenAPI spec."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SPEC_PATH = (
    Path(__file__).resolve().parents[4].parent
    / "shared"
    / "reference"
    / "jira-cloud-platform-openapi-v3.json"
)
SPEC_URI = "urn:jira-cloud-v3"


@functools.cache
def spec() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SPEC_PATH.read_text())
    return data


@functools.cache
def registry() -> Registry[Any]:
    resource: Resource[Any] = Resource.from_contents(spec(), default_specification=DRAFT4)
    result: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
    return result


def _pointer(*parts: str) -> str:
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


def find_operation(method: str, path: str) -> tuple[str, dict[str, Any]]:
    """The spec path template and operation serving ``method path`` (literal segments win)."""
    candidates = []
    for template, item in spec()["paths"].items():
        if method.lower() not in item:
            continue
        pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            candidates.append((template.count("{"), template, item[method.lower()]))
    if not candidates:
        raise LookupError(f"no operation for {method} {path}")
    _, template, operation = min(candidates, key=lambda c: c[0])
    return template, operation


def validate_response(method: str, url: str, status: int, body: bytes, site_base: str) -> str:
    """Raise if the response does not match the spec; return the operationId."""
    path = urlsplit(url).path.removeprefix(urlsplit(site_base).path)
    template, operation = find_operation(method, path)
    responses = operation["responses"]
    key = str(status) if str(status) in responses else "default"
    if key not in responses:
        raise AssertionError(f"{method} {template}: status {status} is not documented ({sorted(responses)})")
    content = responses[key].get("content", {})
    media = next((m for m in content if "json" in m), None)
    if media is None or "schema" not in content[media] or not body:
        return str(operation["operationId"])
    reference = _pointer("#", "paths", template, method.lower(), "responses", key, "content", media, "schema")
    validator = OAS30Validator({"$ref": SPEC_URI + reference}, registry=registry())
    errors = sorted(validator.iter_errors(json.loads(body)), key=lambda e: list(e.absolute_path))
    if errors:
        details = "; ".join(f"{list(e.absolute_path)}: {e.message[:200]}" for e in errors[:5])
        raise AssertionError(f"{method} {template} {status}: {details}")
    return str(operation["operationId"])
