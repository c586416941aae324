"""Save-time compilation and checks: RestrictedPython plus our own, stricter policy.

On top of RestrictedPython (no names or attributes starting with "_", no exec/eval, no
``match``/``except*``), scripts may not define classes (a ``str`` subclass can fool guards)
and may only ``import`` the facades by name (``import re``), never ``from x import y``.
"""

from __future__ import annotations

import ast
import builtins
import difflib
import hashlib
import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from types import CodeType
from typing import Any

from RestrictedPython.transformer import RestrictingNodeTransformer

from scripts_sandbox.result import Direction, ScriptCompileError, ScriptDiagnostic

IMPORTABLE_NAMES = frozenset({"re", "json", "math", "datetime", "random"})
API_NAMES = frozenset(
    {
        "issue",
        "replica",
        "previous",
        "first_sync",
        "connection",
        "log",
        "comments",
        "attachments",
        "users",
        "statuses",
        "issue_types",
        "priorities",
        "sync",
        "print",
        "printed",
        *IMPORTABLE_NAMES,
    }
)
# Kept in step with runtime.SAFE_BUILTINS (a test asserts both lists agree).
BUILTIN_NAMES = frozenset(
    {
        "None", "True", "False", "abs", "all", "any", "bool", "chr", "dict", "divmod", "enumerate",
        "filter", "float", "frozenset", "getattr", "hasattr", "hash", "hex", "int", "isinstance",
        "iter", "len", "list", "map", "max", "min", "next", "oct", "ord", "pow", "range", "repr",
        "reversed", "round", "set", "slice", "sorted", "str", "sum", "tuple", "zip",
        "ArithmeticError", "AssertionError", "AttributeError", "BaseException", "Exception",
        "IndexError", "KeyError", "LookupError", "NameError", "NotImplementedError", "OverflowError",
        "RuntimeError", "StopIteration", "TypeError", "ValueError", "ZeroDivisionError",
    }
)  # fmt: skip
_CACHE_SIZE = 256
MAX_SOURCE_BYTES = 256 * 1024
_RP_LINE = re.compile(r"^Line (\d+|None): ")


@dataclass(frozen=True)
class CompiledScript:
    source: str
    sha256: str
    filename: str
    code: CodeType
    warnings: tuple[ScriptDiagnostic, ...] = ()


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's transformer, recording columns and adding our own rules."""

    def __init__(self, diagnostics: list[ScriptDiagnostic]) -> None:
        super().__init__([], [], {})
        self.diagnostics = diagnostics

    def error(self, node: ast.AST, info: str) -> None:
        super().error(node, info)
        self.diagnostics.append(_at(node, _friendly(info), "error"))

    def warn(self, node: ast.AST, info: str) -> None:
        # RestrictedPython's warnings ("Prints, but never reads 'printed'") mean nothing to users.
        super().warn(node, info)

    def visit_ClassDef(self, node: ast.ClassDef) -> Any:
        self.error(node, "class definitions are not allowed in scripts (use dicts and functions)")
        return node

    def visit_Import(self, node: ast.Import) -> Any:
        for alias in node.names:
            if alias.name not in IMPORTABLE_NAMES:
                allowed = ", ".join(sorted(IMPORTABLE_NAMES))
                self.error(node, f"import of '{alias.name}' is not allowed (only {allowed})")
        return super().visit_Import(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> Any:
        module = node.module or ""
        self.error(node, f"'from {module} import ...' is not allowed; use 'import {module}' instead")
        return node

    def visit_Global(self, node: ast.Global) -> Any:
        for name in node.names:
            self.check_name(node, name)
        return super().visit_Global(node)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> Any:
        for name in node.names:
            self.check_name(node, name)
        return super().visit_Nonlocal(node)


def _friendly(info: str) -> str:
    replacements = {
        "Match statements are not allowed.": "'match' statements are not allowed in scripts",
        "TryStar statements are not allowed.": "'except*' is not allowed in scripts",
        "Exec calls are not allowed.": "exec() is not allowed in scripts",
        "Eval calls are not allowed.": "eval() is not allowed in scripts",
    }
    return replacements.get(info, info)


def _at(node: ast.AST, message: str, severity: Any) -> ScriptDiagnostic:
    line = getattr(node, "lineno", None)
    col = getattr(node, "col_offset", None)
    return ScriptDiagnostic(line, col + 1 if col is not None else None, message, severity)


def _syntax_diagnostic(exc: SyntaxError) -> ScriptDiagnostic:
    message = exc.msg
    if isinstance(exc, IndentationError | TabError):
        message = f"{type(exc).__name__}: {message}"
    return ScriptDiagnostic(exc.lineno, exc.offset, f"syntax error: {message}", "error")


def _restricted_compile(source: str, filename: str) -> CodeType:
    if len(source.encode("utf-8", "surrogatepass")) > MAX_SOURCE_BYTES:
        message = f"the script is longer than {MAX_SOURCE_BYTES // 1024} KiB"
        raise ScriptCompileError([ScriptDiagnostic(None, None, message, "error")])
    try:
        return _transform_and_compile(source, filename)
    except (RecursionError, MemoryError):
        message = "the script is nested too deeply to compile"
        raise ScriptCompileError([ScriptDiagnostic(None, None, message, "error")]) from None


def _transform_and_compile(source: str, filename: str) -> CodeType:
    diagnostics: list[ScriptDiagnostic] = []
    try:
        tree = ast.parse(source, filename, "exec")
    except SyntaxError as exc:
        raise ScriptCompileError([_syntax_diagnostic(exc)]) from None
    except ValueError as exc:  # e.g. NUL bytes in the source
        raise ScriptCompileError([ScriptDiagnostic(None, None, str(exc), "error")]) from None
    policy = _Policy(diagnostics)
    policy.visit(tree)
    if policy.errors and not diagnostics:  # defensive: an RP error we did not see through error()
        diagnostics = [ScriptDiagnostic(None, None, _RP_LINE.sub("", e), "error") for e in policy.errors]
    if diagnostics:
        raise ScriptCompileError(_dedupe(diagnostics))
    try:
        return compile(tree, filename, "exec")
    except SyntaxError as exc:  # compile-time checks beyond the parser ('return' outside function)
        raise ScriptCompileError([_syntax_diagnostic(exc)]) from None


def _dedupe(diagnostics: list[ScriptDiagnostic]) -> list[ScriptDiagnostic]:
    return sorted(set(diagnostics), key=lambda d: (d.line or 0, d.column or 0, d.message))


_cache: OrderedDict[tuple[str, str], CompiledScript] = OrderedDict()
_cache_lock = threading.Lock()


def _reset_lock_in_child() -> None:
    # A pool worker forked while another thread held the lock would otherwise deadlock on it.
    global _cache_lock
    _cache_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_lock_in_child)


def compile_script(source: str, *, filename: str = "<script>") -> CompiledScript:
    """Compile under the sandbox policy; cached (LRU) by the sha256 of the source."""
    digest = hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()
    key = (digest, filename)
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
            return cached
    code = _restricted_compile(source, filename)
    compiled = CompiledScript(source=source, sha256=digest, filename=filename, code=code)
    with _cache_lock:
        _cache[key] = compiled
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return compiled


def check_script(source: str, direction: Direction = "outgoing") -> list[ScriptDiagnostic]:
    """Errors (the script cannot be saved) and warnings (names that will fail at run time)."""
    try:
        compile_script(source)
        return _unknown_name_warnings(ast.parse(source))
    except ScriptCompileError as exc:
        return exc.errors


def _unknown_name_warnings(tree: ast.AST) -> list[ScriptDiagnostic]:
    assigned = _assigned_names(tree)
    known = API_NAMES | BUILTIN_NAMES | assigned
    warnings = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in known:
            hint = _did_you_mean(node.id, known)
            extra = " (not available in scripts)" if not hint and hasattr(builtins, node.id) else ""
            warnings.append(_at(node, f"unknown name '{node.id}'{hint}{extra}", "warning"))
    return _dedupe(warnings)


def _did_you_mean(name: str, known: frozenset[str] | set[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _assigned_names(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names
