"""Which script a side runs, and running it through the sandbox pool.

The pool is one per app (pre-forked workers are expensive to start and cheap to reuse); it is
created on first use with the limits from config and closed when the process exits.
"""

from __future__ import annotations

import atexit
import threading
from typing import Any, cast

from flask import Flask, current_app

from plugin.models.connection import Direction, Side, SyncMode
from plugin.sync import rules
from scripts_sandbox import ScriptLimits, ScriptPool, ScriptResult, check_script

_pool_lock = threading.Lock()


def effective_source(side: Side, direction: Direction) -> str:
    """The script this side runs in its current mode."""
    if side.mode is SyncMode.SCRIPT:
        version = side.outgoing_version if direction is Direction.OUTGOING else side.incoming_version
        if version is not None:
            return version.source
    if side.mode in (SyncMode.VISUAL, SyncMode.SCRIPT) and side.visual_mapping:
        if direction is Direction.OUTGOING:
            return rules.visual_outgoing(side.visual_mapping, side.position)
        return rules.visual_incoming(side.visual_mapping, side.position)
    return rules.BASIC_OUTGOING if direction is Direction.OUTGOING else rules.BASIC_INCOMING


def compile_errors(source: str, direction: Direction) -> list[dict[str, Any]]:
    """The errors (not warnings) that stop a script from being published."""
    return [
        {"line": d.line, "column": d.column, "message": d.message}
        for d in check_script(source, direction.value)
        if d.severity == "error"
    ]


def diagnostics(source: str, direction: Direction) -> list[dict[str, Any]]:
    return [
        {"line": d.line, "column": d.column, "message": d.message, "severity": d.severity}
        for d in check_script(source, direction.value)
    ]


def script_pool(app: Flask | None = None) -> ScriptPool:
    app = app or cast(Flask, current_app._get_current_object())  # type: ignore[attr-defined]
    with _pool_lock:
        pool = app.extensions.get("tandem.script_pool")
        if pool is None:
            pool = ScriptPool(ScriptLimits.from_config(app.config))
            app.extensions["tandem.script_pool"] = pool
            atexit.register(pool.close)
        return cast(ScriptPool, pool)


def close_script_pool(app: Flask) -> None:
    with _pool_lock:
        pool = app.extensions.pop("tandem.script_pool", None)
    if pool is not None:
        pool.close()


def run_script(
    source: str,
    direction: Direction,
    *,
    issue: dict[str, Any],
    replica: dict[str, Any] | None = None,
    previous: dict[str, Any] | None = None,
    first_sync: bool = False,
    connection: dict[str, Any] | None = None,
) -> ScriptResult:
    return script_pool().run(
        source,
        direction=direction.value,
        issue=issue,
        replica=replica,
        previous=previous,
        first_sync=first_sync,
        connection=connection,
    )


def test_run(
    side: Side, direction: Direction, source: str, issue_key: str, replica: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Run ``source`` against a real issue of this side, without writing anything."""
    from plugin.sync.connectors import connector_for

    issue = connector_for(side).get_issue(issue_key).to_dict()
    result = run_script(
        source,
        direction,
        issue=issue,
        replica=replica if direction is Direction.INCOMING else None,
        first_sync=False,
        connection=connection_context(side),
    )
    return result.to_dict()


def connection_context(side: Side) -> dict[str, Any]:
    connection = side.connection
    return {
        "name": connection.name,
        "side": side.position,
        "project": side.project_key,
        "sides": [{"position": s.position, "project": s.project_key} for s in connection.sides],
    }
