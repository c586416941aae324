"""Admin pages (rendered in Jira iframes) and the JSON API they call."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
