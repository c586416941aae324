"""Save-time compilation: diagnostics with lines and columns, the cache, warnings."""

from __future__ import annotations

import pytest

from scripts_sandbox.compiler import BUILTIN_NAMES, check_script, compile_script
from scripts_sandbox.result import ScriptCompileError, ScriptDiagnostic
from scripts_sandbox.runtime import SAFE_BUILTINS


def errors_of(source: str) -> list[ScriptDiagnostic]:
    with pytest.raises(ScriptCompileError) as info:
        compile_script(source)
    return info.value.errors


def test_syntax_error_has_line_and_column() -> None:
    (error,) = errors_of("x = 1\nif x\n    pass\n")
    assert (error.line, error.column, error.severity) == (2, 5, "error")
    assert error.message.startswith("syntax error: ")


def test_policy_errors_have_line_column_and_plain_messages() -> None:
    errors = errors_of("x = 1\ny = x.__class__\nimport os\nfrom re import sub\nclass A:\n    pass\n")
    by_line = {e.line: e for e in errors}
    assert by_line[2].column == 5 and 'starts with "_"' in by_line[2].message
    assert by_line[3].message == "import of 'os' is not allowed (only datetime, json, math, random, re)"
    assert "use 'import re' instead" in by_line[4].message
    assert "class definitions are not allowed" in by_line[5].message


def test_all_errors_are_reported_at_once() -> None:
    errors = errors_of("a = _x\nb = eval('1')\nexec('2')\n")
    assert [e.line for e in errors] == [1, 2, 3]


def test_compile_is_cached_by_source_hash() -> None:
    first = compile_script("replica.summary = 'cached'")
    second = compile_script("replica.summary = 'cached'")
    assert first is second
    assert len(first.sha256) == 64
    assert compile_script("replica.summary = 'other'") is not first


def test_check_script_warns_about_unknown_names() -> None:
    diagnostics = check_script("replica.summary = isue.summary\nx = 1\nprint(x, y)\n", "outgoing")
    assert diagnostics == [
        ScriptDiagnostic(1, 19, "unknown name 'isue' (did you mean 'issue'?)", "warning"),
        ScriptDiagnostic(3, 10, "unknown name 'y'", "warning"),
    ]


def test_check_script_knows_assigned_names_functions_and_imports() -> None:
    source = (
        "import re\nimport json as j\n"
        "def f(a, *rest, k=1, **kw):\n    return a\n"
        "for i in range(2):\n    pass\n"
        "try:\n    pass\nexcept ValueError as err:\n    log.info(err)\n"
        "replica.summary = f(i) and j.dumps(re.escape('x'))\n"
    )
    assert check_script(source, "incoming") == []


def test_check_script_flags_unavailable_builtins() -> None:
    (warning,) = check_script("x = open('f')", "outgoing")
    assert warning.message == "unknown name 'open' (not available in scripts)"


def test_check_script_returns_errors_for_invalid_scripts() -> None:
    (error,) = check_script("x = (", "outgoing")
    assert error.severity == "error"


def test_builtin_lists_agree() -> None:
    assert set(SAFE_BUILTINS) == set(BUILTIN_NAMES)


def test_oversized_and_deeply_nested_scripts_are_compile_errors() -> None:
    (too_long,) = errors_of("x = 1\n" * 50_000)
    assert "longer than 256 KiB" in too_long.message
    nested = errors_of("x = " + "-" * 100_000 + "1")
    assert len(nested) == 1 and nested[0].severity == "error"
    assert check_script("x = " + "[" * 300 + "]" * 300, "outgoing")[0].severity == "error"
