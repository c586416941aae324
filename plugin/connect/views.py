"""Atlassian Connect endpoints: descriptor and install lifecycle."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("connect", __name__)
