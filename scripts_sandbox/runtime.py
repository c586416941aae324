"""Running a compiled script: the guards RestrictedPython calls, the globals, the result.

``run_inline`` is the single implementation of a run; the pool's worker processes call it too,
so the isolated and the in-process paths cannot drift apart.

Attribute access is an allow-list by type: plain data types (minus ``str.format``/``format_map``,
whose format strings walk attributes in C), our ``SandboxObject`` facades and views, and
``args`` of exceptions. Everything else (functions, generators, frames, types, modules) has no
readable attributes at all, so frame walking (``gi_frame``, ``tb_frame``, ``f_back``) and
``AttributeError.obj`` unwrapping have nothing to start from.
"""

from __future__ import annotations

import json
import logging
import operator
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence

from scripts_sandbox import facades
from scripts_sandbox.compiler import BUILTIN_NAMES, compile_script
from scripts_sandbox.result import (
    DIRECTIONS,
    Direction,
    ScriptCompileError,
    ScriptError,
    ScriptLimits,
    ScriptResult,
    failed,
)
from scripts_sandbox.views import (
    IssueRecordView,
    RecordView,
    SandboxObject,
    WritableIssueView,
    empty_issue,
)

logger = logging.getLogger(__name__)

MAX_RANGE = 1_000_000
_MAX_VALUE_REPR = 200
_MISSING = object()
_PLAIN_TYPES = frozenset(
    {str, bytes, int, float, complex, bool, list, dict, set, frozenset, tuple, range, slice, type(None)}
)
# str.format/format_map resolve "{0.__class__}" fields with C-level getattr, bypassing guards.
_DENIED_ATTRIBUTES = frozenset({"format", "format_map", "mro"})
_EXCEPTION_ATTRIBUTES = frozenset({"args"})


class ScriptLimitExceeded(Exception):
    """A size limit was hit inside the run (input, output)."""


def guarded_getattr(obj: Any, name: Any, default: Any = _MISSING) -> Any:
    try:
        return _checked_getattr(obj, name)
    except AttributeError:
        if default is _MISSING:
            raise
        return default


def _checked_getattr(obj: Any, name: Any) -> Any:
    if type(name) is not str:
        raise TypeError("attribute name must be a string")
    if name.startswith("_"):
        raise AttributeError(f"'{name}' is not allowed: attribute names starting with '_' are private")
    kind = type(obj)
    if kind in _PLAIN_TYPES:
        if name in _DENIED_ATTRIBUTES:
            raise AttributeError(f"'{kind.__name__}.{name}' is not allowed in scripts (use f-strings)")
        return getattr(obj, name)
    if isinstance(obj, SandboxObject):
        return getattr(obj, name)
    if isinstance(obj, BaseException) and name in _EXCEPTION_ATTRIBUTES:
        return getattr(obj, name)
    raise AttributeError(f"attribute '{name}' of {kind.__name__} objects is not available in scripts")


def guarded_hasattr(obj: Any, name: Any) -> bool:
    try:
        _checked_getattr(obj, name)
    except AttributeError:
        return False
    return True


def guarded_getitem(obj: Any, key: Any) -> Any:
    if type(obj) in _PLAIN_TYPES or isinstance(obj, SandboxObject):
        return obj[key]
    raise TypeError(f"{type(obj).__name__} objects are not subscriptable in scripts")


def guarded_write(obj: Any) -> Any:
    """RestrictedPython calls this before ``obj.attr = v`` / ``obj[k] = v`` / ``del``."""
    if type(obj) in (dict, list, set) or isinstance(obj, WritableIssueView):
        return obj
    if isinstance(obj, RecordView):
        raise TypeError(f"'{obj._name}' is read-only here")
    raise TypeError(f"{type(obj).__name__} objects cannot be modified by scripts")


def _apply(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "+=": operator.iadd,
    "-=": operator.isub,
    "*=": operator.imul,
    "/=": operator.itruediv,
    "//=": operator.ifloordiv,
    "%=": operator.imod,
    "**=": operator.ipow,
    "<<=": operator.ilshift,
    ">>=": operator.irshift,
    "&=": operator.iand,
    "|=": operator.ior,
    "^=": operator.ixor,
}


def _inplacevar(op: str, target: Any, value: Any) -> Any:
    return _INPLACE[op](target, value)


def safe_range(*args: int) -> range:
    result = range(*args)
    if len(result) > MAX_RANGE:
        raise ValueError(f"range() is limited to {MAX_RANGE} items in scripts")
    return result


def _builtin_exceptions() -> dict[str, Any]:
    import builtins

    constants = ("None", "True", "False")
    return {
        name: getattr(builtins, name) for name in BUILTIN_NAMES if name[0].isupper() and name not in constants
    }


SAFE_BUILTINS: dict[str, Any] = {
    "None": None,
    "True": True,
    "False": False,
    "abs": abs,
    "all": all,
    "any": any,
    "bool": bool,
    "chr": chr,
    "dict": dict,
    "divmod": divmod,
    "enumerate": enumerate,
    "filter": filter,
    "float": float,
    "frozenset": frozenset,
    "getattr": guarded_getattr,
    "hasattr": guarded_hasattr,
    "hash": hash,
    "hex": hex,
    "int": int,
    "isinstance": isinstance,
    "iter": iter,
    "len": len,
    "list": list,
    "map": map,
    "max": max,
    "min": min,
    "next": next,
    "oct": oct,
    "ord": ord,
    "pow": pow,
    "range": safe_range,
    "repr": repr,
    "reversed": reversed,
    "round": round,
    "set": set,
    "slice": slice,
    "sorted": sorted,
    "str": str,
    "sum": sum,
    "tuple": tuple,
    "zip": zip,
    **_builtin_exceptions(),
}


def _make_import(random_facade: facades.RandomFacade) -> Callable[..., Any]:
    modules: dict[str, Any] = {**facades.IMPORTABLE, "random": random_facade}

    def guarded_import(
        name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0
    ) -> Any:
        if name in modules and not fromlist and level == 0:
            return modules[name]
        raise ImportError(f"import of '{name}' is not allowed in scripts")

    return guarded_import


def build_globals(
    *,
    direction: Direction,
    issue: Mapping[str, Any] | None,
    replica: Mapping[str, Any] | None,
    previous: Mapping[str, Any] | None,
    first_sync: bool,
    connection: Mapping[str, Any] | None,
    seed: int | str | None,
    state: facades.RunState,
) -> tuple[dict[str, Any], SandboxObject]:
    """Fresh globals for one run, and the writable view whose content is the result."""
    random_facade = facades.RandomFacade(seed)
    builtins = dict(SAFE_BUILTINS)
    builtins["__import__"] = _make_import(random_facade)
    target: WritableIssueView
    issue_view: SandboxObject
    replica_view: SandboxObject
    if direction == "outgoing":
        issue_view = IssueRecordView("issue", dict(issue or {}))
        target = replica_view = WritableIssueView("replica", replica)
    else:
        start = issue if issue is not None else empty_issue()
        target = issue_view = WritableIssueView("issue", start)
        replica_view = IssueRecordView("replica", dict(replica or {}))
    modules = facades.ModuleSet
    script_globals: dict[str, Any] = {
        "__builtins__": builtins,
        "__name__": "script",
        "_getattr_": guarded_getattr,
        "_getitem_": guarded_getitem,
        "_write_": guarded_write,
        "_getiter_": iter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_apply_": _apply,
        "_inplacevar_": _inplacevar,
        "_print_": facades.make_print_factory(state),
        "issue": issue_view,
        "replica": replica_view,
        "previous": IssueRecordView("previous", dict(previous)) if previous is not None else None,
        "first_sync": bool(first_sync),
        "connection": facades.freeze_connection(connection),
        "log": facades.LogFacade(state),
        "sync": facades.SyncFacade(state),
        "random": random_facade,
        "re": modules.re,
        "json": modules.json,
        "math": modules.math,
        "datetime": modules.datetime,
        "comments": modules.comments,
        "attachments": modules.attachments,
        "users": modules.users,
        "statuses": modules.statuses,
        "issue_types": modules.issue_types,
        "priorities": modules.priorities,
    }
    return script_globals, target


def _json_size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8"))


def run_inline(
    source: str,
    *,
    direction: Direction,
    issue: Mapping[str, Any] | None,
    replica: Mapping[str, Any] | None = None,
    previous: Mapping[str, Any] | None = None,
    first_sync: bool = False,
    connection: Mapping[str, Any] | None = None,
    seed: int | str | None = None,
    limits: ScriptLimits | None = None,
    filename: str = "<script>",
) -> ScriptResult:
    """Run a script in this process (no isolation: CPU, memory and wall limits are the pool's)."""
    started = time.perf_counter()
    limits = limits or ScriptLimits()
    state = facades.RunState(limits.max_log_lines, limits.max_log_bytes)
    if direction not in DIRECTIONS:
        result = failed(ScriptError("internal", f"unknown direction {direction!r}"))
    else:
        inputs = {"issue": issue, "replica": replica, "previous": previous, "connection": connection}
        try:
            result = _run(source, filename, direction, inputs, first_sync, seed, limits, state)
        except Exception as exc:  # a bug on our side, never the script's (that is caught in _run)
            result = failed(_internal_error(exc))
    result.logs = state.logs
    result.duration_ms = (time.perf_counter() - started) * 1000
    return result


def _run(
    source: str,
    filename: str,
    direction: Direction,
    inputs: dict[str, Any],
    first_sync: bool,
    seed: int | str | None,
    limits: ScriptLimits,
    state: facades.RunState,
) -> ScriptResult:
    try:
        compiled = compile_script(source, filename=filename)
    except ScriptCompileError as exc:
        return failed(_compile_error(exc))
    if _json_size(inputs) > limits.max_input_bytes:
        message = f"the script input is larger than {limits.max_input_bytes} bytes"
        return failed(ScriptError("limit", message, exception="InputTooLarge"))
    script_globals, target = build_globals(
        direction=direction, first_sync=first_sync, seed=seed, state=state, **inputs
    )
    try:
        exec(compiled.code, script_globals)  # noqa: S102 - restricted code, guarded globals
    except facades.SyncStop:
        pass
    except MemoryError:
        return failed(ScriptError("limit", "the script used too much memory", exception="MemoryError"))
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        return failed(_user_error(exc, compiled.filename, source))
    return _result_from(target, limits, state)


def _result_from(target: SandboxObject, limits: ScriptLimits, state: facades.RunState) -> ScriptResult:
    if not isinstance(target, WritableIssueView):
        return failed(_internal_error(TypeError(f"unexpected result object {type(target).__name__}")))
    try:
        value = target.to_dict()
    except (TypeError, ValueError) as exc:  # e.g. a function appended to replica.labels
        return failed(ScriptError("user", str(exc), exception=type(exc).__name__))
    size = _json_size(value)
    if size > limits.max_output_bytes:
        message = f"the script output is {size} bytes, more than the limit of {limits.max_output_bytes}"
        return failed(ScriptError("limit", message, exception="OutputTooLarge"))
    return ScriptResult(ok=True, value=value, skip=state.skip, unlink=state.unlink)


def _compile_error(exc: ScriptCompileError) -> ScriptError:
    first = exc.errors[0]
    return ScriptError(
        kind="compile",
        message="; ".join(d.message for d in exc.errors),
        line=first.line,
        column=first.column,
        exception="ScriptCompileError",
        traceback=[f"line {d.line}, column {d.column}: {d.message}" for d in exc.errors],
    )


def _user_error(exc: BaseException, filename: str, source: str) -> ScriptError:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    lines = source.splitlines()
    trace = []
    for frame in frames:
        name = "script" if frame.name == "<module>" else frame.name
        text = lines[frame.lineno - 1].strip() if frame.lineno and 0 < frame.lineno <= len(lines) else ""
        trace.append(f"line {frame.lineno}, in {name}: {text}")
    innermost = frames[-1] if frames else None
    colno = getattr(innermost, "colno", None)
    return ScriptError(
        kind="user",
        message=_truncate(str(exc)) or type(exc).__name__,
        line=innermost.lineno if innermost else None,
        column=colno + 1 if colno is not None else None,
        exception=type(exc).__name__,
        value=_offending_value(exc),
        traceback=trace,
    )


def _offending_value(exc: BaseException) -> str | None:
    if isinstance(exc, LookupError) and exc.args:
        return _truncate(repr(exc.args[0]))
    return None


def _truncate(text: str) -> str:
    return text if len(text) <= _MAX_VALUE_REPR else text[: _MAX_VALUE_REPR - 3] + "..."


def _internal_error(exc: BaseException) -> ScriptError:
    reference = uuid.uuid4().hex[:12]
    logger.error("internal script runtime error %s", reference, exc_info=exc)
    return ScriptError(
        kind="internal",
        message=f"internal error in the script runtime (reference {reference})",
        exception="InternalError",
    )
