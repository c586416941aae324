"""The Connect descriptor: the template at the project root, filled from config at serve time."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "atlassian-connect.json"


@cache
def _template() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(TEMPLATE_PATH.read_text(encoding="utf-8"))
    return data


def build_descriptor(*, base_url: str, app_key: str, app_name: str) -> dict[str, Any]:
    descriptor = copy.deepcopy(_template())
    descriptor["baseUrl"] = base_url
    descriptor["key"] = app_key
    descriptor["name"] = app_name
    return descriptor


def webhook_events() -> list[str]:
    return [hook["event"] for hook in _template()["modules"]["webhooks"]]
