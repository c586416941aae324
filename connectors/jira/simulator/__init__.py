"""A Jira Cloud simulator: a real HTTP server that speaks REST v3 like Jira Cloud (see docs/simulator.md)."""

from __future__ import annotations

from .cli import main, sim_command
from .errors import InstallError, JiraApiError
from .server import JiraSimulator
from .state import Site

__all__ = ["InstallError", "JiraApiError", "JiraSimulator", "Site", "main", "sim_command"]
