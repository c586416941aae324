"""``tandem script check|run``: the authors' tools, going through the engine's ScriptPool path."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from scripts_sandbox.compiler import check_script
from scripts_sandbox.pool import ScriptPool
from scripts_sandbox.result import DIRECTIONS, Direction, ScriptError, ScriptLimits, ScriptResult
from scripts_sandbox.runtime import run_inline

ENV_PREFIX = "TANDEM_"

script = click.Group("script", help="Check and test-run sync scripts.")
_direction_option = click.option(
    "--direction", type=click.Choice(DIRECTIONS), default="outgoing", show_default=True
)


def limits_from_env(environ: dict[str, str] | None = None) -> ScriptLimits:
    """ScriptLimits from TANDEM_SCRIPT_* variables (TANDEM_SCRIPT_WORKERS, ...), defaults otherwise."""
    env = os.environ if environ is None else environ
    config = {k[len(ENV_PREFIX) :]: v for k, v in env.items() if k.startswith(ENV_PREFIX + "SCRIPT_")}
    return ScriptLimits.from_config(config)


@script.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_direction_option
def check_command(file: Path, direction: Direction) -> None:
    """Report errors and warnings as FILE:LINE:COL: error|warning: message."""
    diagnostics = check_script(file.read_text(encoding="utf-8"), direction)
    for diag in diagnostics:
        click.echo(f"{file}:{diag.line or 0}:{diag.column or 0}: {diag.severity}: {diag.message}")
    if any(d.severity == "error" for d in diagnostics):
        sys.exit(1)


def _read_json(path: Path | None) -> Any:
    if path is None:
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"{path}: invalid JSON ({exc})") from None


def _location(file: Path, error: ScriptError) -> str:
    parts = [str(file)]
    if error.line is not None:
        parts.append(str(error.line))
        if error.column is not None:
            parts.append(str(error.column))
    return ":".join(parts)


@script.command("run")
@_direction_option
@click.option(
    "--script", "script_file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--issue", "issue_file", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--replica", "replica_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--previous", "previous_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--first-sync", is_flag=True, help="Run as the first sync of this issue.")
@click.option("--inline", is_flag=True, help="Run in this process (debugging; no resource limits).")
def run_command(
    direction: Direction,
    script_file: Path,
    issue_file: Path,
    replica_file: Path | None,
    previous_file: Path | None,
    first_sync: bool,
    inline: bool,
) -> None:
    """Run a script on JSON inputs; the result goes to stdout, the script's log to stderr."""
    kwargs: dict[str, Any] = {
        "direction": direction,
        "issue": _read_json(issue_file),
        "replica": _read_json(replica_file),
        "previous": _read_json(previous_file),
        "first_sync": first_sync,
        "filename": str(script_file),
    }
    source = script_file.read_text(encoding="utf-8")
    limits = limits_from_env()
    result: ScriptResult
    if inline:
        result = run_inline(source, limits=limits, **kwargs)
    else:
        with ScriptPool(limits) as pool:
            result = pool.run(source, **kwargs)
    for line in result.logs:
        click.echo(line, err=True)
    if result.error is not None:
        error = result.error
        click.echo(
            f"{_location(script_file, error)}: {error.exception or error.kind}: {error.message}", err=True
        )
        for frame in error.traceback:
            click.echo(f"  {frame}", err=True)
        sys.exit(1)
    output = {"value": result.value, "skip": result.skip, "unlink": result.unlink}
    click.echo(json.dumps(output, indent=2, ensure_ascii=False))
