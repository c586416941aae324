"""The script sandbox: compile, check and run users' sync scripts (see docs/scripting.md)."""

from __future__ import annotations

from scripts_sandbox.compiler import CompiledScript, check_script, compile_script
from scripts_sandbox.pool import ScriptPool
from scripts_sandbox.result import (
    ScriptCompileError,
    ScriptDiagnostic,
    ScriptError,
    ScriptLimits,
    ScriptResult,
)
from scripts_sandbox.runtime import run_inline

__all__ = [
    "CompiledScript",
    "ScriptCompileError",
    "ScriptDiagnostic",
    "ScriptError",
    "ScriptLimits",
    "ScriptPool",
    "ScriptResult",
    "check_script",
    "compile_script",
    "run_inline",
]
