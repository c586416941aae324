"""``python -m connectors.jira.simulator``: the same as ``tandem sim jira``."""

from __future__ import annotations

from .cli import main

if __name__ == "__main__":
    main()
