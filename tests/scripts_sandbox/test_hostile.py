"""Hostile corpus: every attack must fail, and the pool must keep serving afterwards.

Attacks are modelled on the published RestrictedPython/AccessControl escapes, among them
GHSA-ffg3-p8fm-mjx2 (positional-only parameters shadowing ``_getattr_``/``_write_``) and
GHSA-hp3v-5vw7-fx9w (``string.Formatter`` field resolution), the generator/coroutine frame
walks that led to RestrictedPython's INSPECT_ATTRIBUTES (zopefoundation/RestrictedPython#255; the
same escape in simpleeval, danthedeckie/simpleeval#138), and the classic ``str.format``,
``AttributeError.obj``, ``except*`` and ``match`` class-pattern escapes.

Each attack is written so that, if the escape worked, the script would finish normally and put
what it reached into the replica; a blocked attack ends with an error. So "not ok" is the pass
condition, checked in the pool (the production path) and, for non-DoS attacks, in-process.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from scripts_sandbox.facades import TRUNCATED
from scripts_sandbox.pool import ScriptPool
from scripts_sandbox.runtime import guarded_getattr, run_inline
from tests.scripts_sandbox.conftest import ISSUE

GEN = "def g():\n    yield 1\nit = g()\n"
ASYNC = "async def co():\n    return 1\n"
ZERO = "try:\n    1 / 0\nexcept Exception as e:\n    "

ESCAPES: dict[str, str] = {
    # generator / coroutine frame walking
    "gi_frame": GEN + "replica.summary = str(it.gi_frame.f_back.f_globals)",
    "gi_frame_getattr": GEN + "f = getattr(it, 'gi_frame')\nreplica.summary = str(getattr(f, 'f_back'))",
    "gi_code": GEN + "replica.summary = str(getattr(it, 'gi_code'))",
    "f_globals_chain": GEN + "replica.summary = str(getattr(getattr(it, 'gi_frame'), 'f_globals'))",
    "cr_frame": ASYNC + "replica.summary = str(getattr(co(), 'cr_frame'))",
    "ag_frame": "async def ag():\n    yield 1\nreplica.summary = str(getattr(ag(), 'ag_frame'))",
    "gen_next_frame": GEN + "replica.summary = str(getattr(next(iter([it])), 'gi_frame'))",
    # str.format and friends resolve attribute chains in C
    "format_class": "replica.summary = '{0.__class__}'.format(issue)",
    "format_globals": "f = lambda: 1\nreplica.summary = '{0.__globals__}'.format(f)",
    "format_map": "replica.summary = '{x.__class__.__mro__}'.format_map({'x': 1})",
    "format_getattr": "fmt = getattr('{0.__class__}', 'format')\nreplica.summary = fmt(1)",
    "format_via_map": "replica.summary = str(list(map(getattr, ['{0.__class__}'], ['format'])))",
    "string_formatter": "import string\n"
    "replica.summary = string.Formatter().get_field('0.__class__', [1], {})[0]",
    "string_formatter_dunder_import": "s = __import__('string')\nreplica.summary = str(s.Formatter())",
    # exception objects
    "attributeerror_obj": "try:\n    issue.nope\nexcept AttributeError as e:\n"
    "    replica.summary = str(e.obj)",
    "attributeerror_name": "try:\n    'x'.nope\nexcept AttributeError as e:\n"
    "    replica.summary = str(getattr(e, 'obj'))",
    "attributeerror_plain_obj": "try:\n    {}.nope\nexcept AttributeError as e:\n    o = getattr(e, 'obj')\n"
    "    replica.summary = str(o)",
    "traceback_frame": ZERO + "replica.summary = str(e.__traceback__.tb_frame)",
    "traceback_getattr": ZERO + "replica.summary = str(getattr(e, '__traceback__'))",
    "with_traceback": ZERO + "replica.summary = str(e.with_traceback)",
    # language features that smuggle attribute access or shadow guards
    "str_subclass": "class S(str):\n    def __eq__(self, other):\n        return True\n"
    "replica.summary = str(getattr(1, S('__class__')))",
    "type_subclass": "S = type('S', (str,), {})\nreplica.summary = str(S)",
    "posonly_getattr": "def f(_getattr_=None, /):\n    return issue.__class__\nreplica.summary = str(f())",
    "posonly_write": "def f(_write_=lambda o: o, /):\n    re.sub = 1\nf()\nreplica.summary = 'x'",
    "lambda_default_guard": "g = lambda a, _getattr_=getattr: a\nreplica.summary = str(g(1))",
    "except_star": "try:\n    raise ValueError(1)\nexcept* ValueError as eg:\n"
    "    replica.summary = str(eg.exceptions)",
    "match_class_pattern": "match issue:\n    case object(__class__=c):\n        replica.summary = str(c)",
    "match_public_attr": GEN + "match it:\n    case object(gi_frame=f):\n        replica.summary = str(f)",
    # module attribute walks from the facades
    "re_dict": "replica.summary = str(re.__dict__)",
    "re_compile_private": "replica.summary = str(re._compile('x', 0))",
    "re_getattr_private": "replica.summary = str(getattr(re, '_compile'))",
    "json_decoder": "replica.summary = str(json.decoder)",
    "datetime_sys": "import datetime\nreplica.summary = str(datetime.sys)",
    "math_loader": "replica.summary = str(math.__loader__)",
    "math_func_self": "replica.summary = str(getattr(math.floor, '__self__'))",
    "method_func": "replica.summary = str(getattr(re.sub, '__func__'))",
    "method_self_public": "replica.summary = str(getattr(log.info, 'im_self', None) or log.info.nope)",
    "random_rng": "replica.summary = str(random.rng)",
    "match_view_inner": "m = re.match('a', 'a')\nreplica.summary = str(getattr(m, '_groups'))",
    # C-level iteration and callbacks must still hit the guards
    "map_getattr": "replica.summary = str(list(map(getattr, [1], ['__class__'])))",
    "filter_guard": "replica.summary = str(list(filter(lambda x: getattr(x, '__class__'), [1])))",
    "sorted_key": "replica.summary = str(sorted([issue], key=lambda v: getattr(v, '_data')))",
    "min_key": "replica.summary = str(min([1, 2], key=lambda v: getattr(getattr(v, '__class__'), 'mro')))",
    "dict_zip": "replica.custom = dict(zip(['a'], map(getattr, [re], ['_compile'])))",
    "join_generator": "replica.summary = ''.join(str(getattr(x, '__class__')) for x in [1])",
    "iter_next": "replica.summary = str(next(iter(map(getattr, [json], ['decoder']))))",
    # mro / type / builtins
    "mro_walk": "replica.summary = str(().__class__.__mro__[-1].__subclasses__())",
    "mro_getattr": "replica.summary = str(getattr(getattr((), '__class__'), '__mro__'))",
    "mro_public": "replica.summary = str(getattr(str, 'mro')())",
    "type_call": "replica.summary = str(type(1))",
    "object_subclasses": "replica.summary = str(object.__subclasses__())",
    "builtins_name": "replica.summary = str(__builtins__)",
    "builtins_getattr": "replica.summary = str(getattr(len, '__self__'))",
    "import_os": "import os\nreplica.summary = os.getcwd()",
    "dunder_import": "replica.summary = str(__import__('os'))",
    "import_alias_trick": "import re as os\nreplica.summary = os.system('id')",
    "exec": "exec('replica.summary = 1')",
    "eval": "replica.summary = eval('1')",
    "compile": "replica.summary = str(compile('1', 'x', 'eval'))",
    "globals": "replica.summary = str(globals())",
    "vars": "replica.summary = str(vars())",
    "dir": "replica.summary = str(dir())",
    "open": "replica.summary = open('/etc/passwd').read()",
    # f-strings
    "fstring_dunder": "replica.summary = f'{issue.__class__!r:>10}'",
    "fstring_getattr": "replica.summary = f\"{getattr(issue, '_data')!r}\"",
    "fstring_spec_format": "replica.summary = f'{issue:{\"{0.__class__}\".format(1)}}'",
    # our views
    "view_class": "replica.summary = str(issue.__class__)",
    "view_data": "replica.summary = str(issue._data)",
    "view_getattr_data": "replica.summary = str(getattr(issue, '_data'))",
    "view_item_data": "replica.summary = str(issue['_data'])",
    "replica_data": "replica.summary = str(getattr(replica, '_data'))",
    # writes to shared objects
    "write_facade": "re.sub = lambda *a: 'pwned'\nreplica.summary = re.sub('a', 'b', 'a')",
    "write_json": "json.dumps = len\nreplica.summary = 'x'",
    "write_math_constant": "math.pi = 3\nreplica.summary = 'x'",
    "write_helper": "statuses.map = lambda *a: 'pwned'\nreplica.summary = 'x'",
    "write_log": "log.info = print\nreplica.summary = 'x'",
    "write_issue_readonly": "issue.custom['customfield_10042'] = 0\nreplica.summary = 'x'",
    "setattr_builtin": "setattr(re, 'sub', len)\nreplica.summary = 'x'",
    "delete_facade_attr": "del re.sub\nreplica.summary = 'x'",
}

LIMITS: dict[str, tuple[str, str]] = {
    "busy_loop": ("while True:\n    pass", "limit"),
    "catch_everything_loop": (
        "while True:\n    try:\n        while True:\n            pass\n"
        "    except BaseException:\n        pass",
        "limit",
    ),
    "huge_string": ("x = 'x' * 10 ** 10\nreplica.summary = 'x'", "limit"),
    "huge_list": ("x = [0] * 10 ** 9\nreplica.summary = 'x'", "limit"),
    "caught_memory_error": (
        "try:\n    x = 'x' * 10 ** 10\nexcept BaseException:\n    pass\nwhile True:\n    pass",
        "limit",
    ),
    "big_integer": ("x = 10 ** (10 ** 9)\nreplica.summary = 'x'", "limit"),
    "big_output": ("replica.description = 'x' * (2 * 1024 * 1024)", "limit"),
}

NORMAL = "replica.summary = issue.summary.upper()\nreplica.labels = sorted(issue.labels)"


def assert_pool_serves(pool: ScriptPool) -> None:
    result = pool.run(NORMAL, direction="outgoing", issue=copy.deepcopy(ISSUE))
    assert result.ok, result.error
    assert result.value == {"summary": "PRINTER ON FIRE", "labels": ["hardware", "urgent"]}


def run_both(pool: ScriptPool, source: str) -> list[Any]:
    inline = run_inline(source, direction="outgoing", issue=copy.deepcopy(ISSUE))
    pooled = pool.run(source, direction="outgoing", issue=copy.deepcopy(ISSUE))
    return [inline, pooled]


@pytest.mark.parametrize("name", sorted(ESCAPES))
def test_escape_attempt_fails(pool: ScriptPool, name: str) -> None:
    for result in run_both(pool, ESCAPES[name]):
        assert not result.ok, f"{name} was not blocked: {result.value}"
        assert result.error is not None and result.error.kind in ("compile", "user")
        assert result.value == {}
    assert_pool_serves(pool)


@pytest.mark.parametrize("name", sorted(LIMITS))
def test_resource_attack_is_stopped(pool: ScriptPool, name: str) -> None:
    source, kind = LIMITS[name]
    result = pool.run(source, direction="outgoing", issue=copy.deepcopy(ISSUE))
    assert not result.ok
    assert result.error is not None and result.error.kind == kind, result.error
    assert result.duration_ms < 5000
    assert_pool_serves(pool)


def test_deep_recursion_is_a_user_error(pool: ScriptPool) -> None:
    result = pool.run("def f(n):\n    return f(n + 1)\nf(0)", direction="outgoing", issue={})
    assert result.error is not None
    assert (result.error.kind, result.error.exception, result.error.line) == ("user", "RecursionError", 2)
    assert len(result.error.traceback) < 2000
    assert_pool_serves(pool)


def test_print_flood_is_truncated(pool: ScriptPool) -> None:
    result = pool.run("while True:\n    print('spam' * 100)", direction="outgoing", issue={})
    assert result.error is not None and result.error.kind == "limit"
    flood = pool.run("for i in range(100000):\n    print('spam', i)", direction="outgoing", issue={})
    assert flood.ok and flood.logs[-1] == TRUNCATED and len(flood.logs) <= 201
    assert_pool_serves(pool)


def test_facade_writes_do_not_persist_into_the_next_run(pool: ScriptPool) -> None:
    for _ in range(4):  # more runs than workers, so every worker saw the attack
        pool.run("re.sub = len\nrandom.seed = 1", direction="outgoing", issue={})
    result = pool.run("replica.summary = re.sub('a', 'b', 'aa')", direction="outgoing", issue={})
    assert result.value == {"summary": "bb"}


def test_one_tenant_cannot_see_another_tenants_globals(pool: ScriptPool) -> None:
    tenant_a = "secret = 'tenant-a-secret'\ndef hook():\n    return secret\nreplica.summary = secret\n"
    tenant_b = "replica.summary = str(secret) + str(hook())"
    for _ in range(4):
        assert pool.run(tenant_a, direction="outgoing", issue={}, connection={"name": "a"}).ok
        result = pool.run(tenant_b, direction="outgoing", issue={}, connection={"name": "b"})
        assert result.error is not None and result.error.exception == "NameError"
        assert "tenant-a-secret" not in str(result.to_dict())


def test_guard_rejects_str_subclass_attribute_names() -> None:
    class Sneaky(str):
        def startswith(self, *args: Any) -> bool:
            return False

    with pytest.raises(TypeError):
        guarded_getattr(1, Sneaky("__class__"))


def test_worker_has_no_inherited_descriptors_and_cannot_write_files(pool: ScriptPool) -> None:
    # The worker closed every inherited fd and has RLIMIT_FSIZE=0; check from the host side.
    children = [w.process.pid for w in list(pool._workers) if w.process.pid is not None]
    assert children
    for pid in children:
        fds = {p.name for p in Path(f"/proc/{pid}/fd").iterdir()}
        assert len(fds) <= 4, fds  # stdin, stdout, stderr and its own pipe
        limits = Path(f"/proc/{pid}/limits").read_text()
        file_size_line = next(line for line in limits.splitlines() if line.startswith("Max file size"))
        assert file_size_line.split()[3] == "0"
