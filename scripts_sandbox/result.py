"""Plain data types shared by the compiler, the runtime, the pool and the CLI."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, NamedTuple

ErrorKind = Literal["compile", "user", "limit", "internal"]
Severity = Literal["error", "warning"]
Direction = Literal["outgoing", "incoming"]
DIRECTIONS: tuple[Direction, ...] = ("outgoing", "incoming")


class ScriptDiagnostic(NamedTuple):
    """One problem found in a script; line and column are 1-based (column None when unknown)."""

    line: int | None
    column: int | None
    message: str
    severity: Severity = "error"


class ScriptCompileError(Exception):
    """The script cannot run: syntax error or a construct the sandbox policy rejects."""

    def __init__(self, errors: list[ScriptDiagnostic]) -> None:
        self.errors = errors
        first = errors[0] if errors else ScriptDiagnostic(None, None, "invalid script")
        super().__init__(f"line {first.line}: {first.message}")


@dataclass
class ScriptError:
    """Why a run failed. ``traceback`` only ever holds frames of the user's script."""

    kind: ErrorKind
    message: str
    line: int | None = None
    column: int | None = None
    exception: str = ""
    value: str | None = None
    traceback: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScriptError:
        return cls(
            kind=data["kind"],
            message=data["message"],
            line=data.get("line"),
            column=data.get("column"),
            exception=data.get("exception", ""),
            value=data.get("value"),
            traceback=list(data.get("traceback", [])),
        )


@dataclass
class ScriptResult:
    """Outcome of one run: ``value`` is the replica (outgoing) or the desired issue (incoming)."""

    ok: bool
    value: dict[str, Any]
    logs: list[str] = field(default_factory=list)
    skip: str | None = None
    unlink: bool = False
    error: ScriptError | None = None
    duration_ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "value": self.value,
            "logs": self.logs,
            "skip": self.skip,
            "unlink": self.unlink,
            "error": self.error.to_dict() if self.error else None,
            "duration_ms": self.duration_ms,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScriptResult:
        error = data.get("error")
        return cls(
            ok=bool(data["ok"]),
            value=dict(data.get("value") or {}),
            logs=list(data.get("logs", [])),
            skip=data.get("skip"),
            unlink=bool(data.get("unlink", False)),
            error=ScriptError.from_dict(error) if error else None,
            duration_ms=float(data.get("duration_ms", 0.0)),
        )


def failed(error: ScriptError, logs: list[str] | None = None, duration_ms: float = 0.0) -> ScriptResult:
    return ScriptResult(ok=False, value={}, logs=logs or [], error=error, duration_ms=duration_ms)


_CONFIG_KEYS = {
    "workers": "SCRIPT_WORKERS",
    "cpu_seconds": "SCRIPT_CPU_SECONDS",
    "wall_seconds": "SCRIPT_WALL_SECONDS",
    "memory_mb": "SCRIPT_MEMORY_MB",
    "max_runs_per_worker": "SCRIPT_MAX_RUNS",
}


@dataclass(frozen=True)
class ScriptLimits:
    """Resource limits of one script run and of the worker pool."""

    cpu_seconds: float = 1.0
    wall_seconds: float = 2.0
    memory_mb: int = 256
    max_runs_per_worker: int = 500
    workers: int = 2
    max_input_bytes: int = 1024 * 1024
    max_output_bytes: int = 1024 * 1024
    max_log_bytes: int = 64 * 1024
    max_log_lines: int = 200

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ScriptLimits:
        """Read the Flask config keys SCRIPT_*; a missing key keeps its default."""
        defaults = cls()
        values: dict[str, Any] = {}
        for attr, key in _CONFIG_KEYS.items():
            raw = config.get(key)
            if raw is None or raw == "":
                continue
            kind = type(getattr(defaults, attr))
            values[attr] = kind(float(raw)) if kind is int else kind(raw)
        return cls(**values)
