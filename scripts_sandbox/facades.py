"""The modules and helpers scripts see: small immutable objects returning plain data.

No facade hands out a real module, ``re.Match``/``Pattern``, ``datetime`` instance or
``random.Random``: those reach the host through their attributes. Facades keep their state in
slots whose names start with "_", which the sandbox never lets a script read or write.
"""

from __future__ import annotations

import functools
import json as _json
import math as _math
import random as _random
import re as _re
from collections.abc import Callable, Mapping
from datetime import UTC
from datetime import datetime as _datetime
from datetime import timedelta as _timedelta
from typing import Any

from scripts_sandbox.views import RecordView, SandboxObject, WritableIssueView, freeze, to_plain

TRUNCATED = "... output truncated"


class SyncStop(BaseException):
    """Raised by ``sync.skip``/``sync.unlink`` to end the script; the flags live in RunState."""


class RunState:
    """Per-run mutable state the runtime reads back after the script ends (never script-visible)."""

    def __init__(self, max_lines: int, max_bytes: int) -> None:
        self.logs: list[str] = []
        self.skip: str | None = None
        self.unlink = False
        self._max_lines = max_lines
        self._bytes_left = max_bytes
        self._truncated = False

    def add_log(self, line: str) -> None:
        if self._truncated:
            return
        size = len(line.encode("utf-8", "replace"))
        if len(self.logs) >= self._max_lines or size > self._bytes_left:
            self.logs.append(TRUNCATED)
            self._truncated = True
            return
        self._bytes_left -= size
        self.logs.append(line)


def _text(args: tuple[Any, ...]) -> str:
    return " ".join(a if type(a) is str else repr(a) for a in args)


class LogFacade(SandboxObject):
    """``log.info/warning/error/debug(*args)``: lines go to the run's log, capped."""

    __slots__ = ("_state",)
    _state: RunState

    def __init__(self, state: RunState) -> None:
        object.__setattr__(self, "_state", state)

    def debug(self, *args: Any) -> None:
        self._state.add_log("DEBUG " + _text(args))

    def info(self, *args: Any) -> None:
        self._state.add_log("INFO " + _text(args))

    def warning(self, *args: Any) -> None:
        self._state.add_log("WARNING " + _text(args))

    def error(self, *args: Any) -> None:
        self._state.add_log("ERROR " + _text(args))


class PrintToLog:
    """RestrictedPython rewrites ``print(...)`` to ``_print_(_getattr_)._call_print(...)``."""

    def __init__(self, state: RunState, _getattr_: Any = None) -> None:
        self._state = state

    def _call_print(self, *objects: Any, sep: Any = " ", end: Any = "\n", **kwargs: Any) -> None:
        if kwargs:
            raise TypeError("print() in scripts only accepts sep and end")
        text = str(sep).join(str(o) for o in objects)
        for line in text.split("\n"):
            self._state.add_log(line)

    def __call__(self) -> str:
        return ""


def make_print_factory(state: RunState) -> Callable[[Any], PrintToLog]:
    return functools.partial(PrintToLog, state)


class SyncFacade(SandboxObject):
    """``sync.skip(reason)`` and ``sync.unlink()`` stop the script with a decision."""

    __slots__ = ("_state",)
    _state: RunState

    def __init__(self, state: RunState) -> None:
        object.__setattr__(self, "_state", state)

    def skip(self, reason: str = "skipped by script") -> None:
        self._state.skip = str(reason)
        raise SyncStop("skip")

    def unlink(self) -> None:
        self._state.unlink = True
        raise SyncStop("unlink")


# ---------------------------------------------------------------------------------------- re


class MatchView(SandboxObject):
    """What ``re.match``/``re.search`` return: the groups and spans, as plain data."""

    __slots__ = ("_groupdict", "_groups", "_names", "_spans")
    _groups: tuple[str | None, ...]
    _spans: tuple[tuple[int, int], ...]
    _names: dict[str, int]
    _groupdict: dict[str, str | None]

    def __init__(self, match: _re.Match[str]) -> None:
        count = (match.re.groups or 0) + 1
        object.__setattr__(self, "_groups", tuple(match.group(i) for i in range(count)))
        object.__setattr__(self, "_spans", tuple(match.span(i) for i in range(count)))
        object.__setattr__(self, "_names", dict(match.re.groupindex))
        object.__setattr__(self, "_groupdict", match.groupdict())

    def _index(self, group: int | str) -> int:
        if type(group) is str:
            if group not in self._names:
                raise IndexError(f"no such group: {group!r}")
            return self._names[group]
        if type(group) is not int or not 0 <= group < len(self._groups):
            raise IndexError(f"no such group: {group!r}")
        return group

    def group(self, *groups: int | str) -> Any:
        if not groups:
            return self._groups[0]
        if len(groups) == 1:
            return self._groups[self._index(groups[0])]
        return tuple(self._groups[self._index(g)] for g in groups)

    def __getitem__(self, group: int | str) -> str | None:
        return self._groups[self._index(group)]

    def groups(self, default: Any = None) -> tuple[Any, ...]:
        return tuple(default if g is None else g for g in self._groups[1:])

    def groupdict(self, default: Any = None) -> dict[str, Any]:
        return {k: default if v is None else v for k, v in self._groupdict.items()}

    def start(self, group: int | str = 0) -> int:
        return self._spans[self._index(group)][0]

    def end(self, group: int | str = 0) -> int:
        return self._spans[self._index(group)][1]

    def span(self, group: int | str = 0) -> tuple[int, int]:
        return self._spans[self._index(group)]

    def __repr__(self) -> str:
        return f"<Match span={self._spans[0]} match={self._groups[0]!r}>"


def _str_arg(value: Any, what: str) -> str:
    if type(value) is not str:
        raise TypeError(f"{what} must be a string, not {type(value).__name__}")
    return value


def _wrap(match: _re.Match[str] | None) -> MatchView | None:
    return MatchView(match) if match is not None else None


class ReFacade(SandboxObject):
    """``re``: the common functions; results are plain data or MatchView."""

    __slots__ = ()
    IGNORECASE = int(_re.IGNORECASE)
    MULTILINE = int(_re.MULTILINE)
    DOTALL = int(_re.DOTALL)

    def match(self, pattern: str, string: str, flags: int = 0) -> MatchView | None:
        return _wrap(_re.match(_str_arg(pattern, "pattern"), _str_arg(string, "string"), int(flags)))

    def search(self, pattern: str, string: str, flags: int = 0) -> MatchView | None:
        return _wrap(_re.search(_str_arg(pattern, "pattern"), _str_arg(string, "string"), int(flags)))

    def fullmatch(self, pattern: str, string: str, flags: int = 0) -> MatchView | None:
        return _wrap(_re.fullmatch(_str_arg(pattern, "pattern"), _str_arg(string, "string"), int(flags)))

    def sub(self, pattern: str, repl: Any, string: str, count: int = 0, flags: int = 0) -> str:
        replacement: Any
        if callable(repl):
            user_repl = repl

            def replacement(m: _re.Match[str]) -> str:
                return str(user_repl(MatchView(m)))

        else:
            replacement = _str_arg(repl, "repl")
        return _re.sub(
            _str_arg(pattern, "pattern"),
            replacement,
            _str_arg(string, "string"),
            count=int(count),
            flags=int(flags),
        )

    def split(self, pattern: str, string: str, maxsplit: int = 0, flags: int = 0) -> list[str | None]:
        return _re.split(
            _str_arg(pattern, "pattern"), _str_arg(string, "string"), maxsplit=int(maxsplit), flags=int(flags)
        )

    def findall(self, pattern: str, string: str, flags: int = 0) -> list[Any]:
        return _re.findall(_str_arg(pattern, "pattern"), _str_arg(string, "string"), int(flags))

    def escape(self, text: str) -> str:
        return _re.escape(_str_arg(text, "text"))


# -------------------------------------------------------------------------------------- json


class JsonFacade(SandboxObject):
    """``json.dumps`` / ``json.loads`` on plain data."""

    __slots__ = ()

    def dumps(self, value: Any, indent: int | None = None, sort_keys: bool = False) -> str:
        return _json.dumps(to_plain(value), indent=indent, sort_keys=bool(sort_keys), ensure_ascii=False)

    def loads(self, text: str) -> Any:
        return _json.loads(_str_arg(text, "text"))


# -------------------------------------------------------------------------------------- math


class MathFacade(SandboxObject):
    """``math``: numeric functions and constants (C functions, no attributes reachable)."""

    __slots__ = ()
    pi = _math.pi
    e = _math.e
    tau = _math.tau
    inf = _math.inf
    nan = _math.nan
    floor = staticmethod(_math.floor)
    ceil = staticmethod(_math.ceil)
    trunc = staticmethod(_math.trunc)
    sqrt = staticmethod(_math.sqrt)
    fabs = staticmethod(_math.fabs)
    isclose = staticmethod(_math.isclose)
    isnan = staticmethod(_math.isnan)
    isinf = staticmethod(_math.isinf)
    isfinite = staticmethod(_math.isfinite)
    log = staticmethod(_math.log)
    log10 = staticmethod(_math.log10)
    exp = staticmethod(_math.exp)
    pow = staticmethod(_math.pow)
    gcd = staticmethod(_math.gcd)
    fsum = staticmethod(_math.fsum)
    copysign = staticmethod(_math.copysign)


# ---------------------------------------------------------------------------------- datetime


class Duration(SandboxObject):
    """A time span (wraps ``timedelta``); ``datetime.timedelta(days=1, hours=2)``."""

    __slots__ = ("_td",)
    _td: _timedelta

    def __init__(self, td: _timedelta) -> None:
        object.__setattr__(self, "_td", td)

    @property
    def days(self) -> int:
        return self._td.days

    @property
    def seconds(self) -> int:
        return self._td.seconds

    def total_seconds(self) -> float:
        return self._td.total_seconds()

    def __add__(self, other: Any) -> Any:
        if isinstance(other, Duration):
            return Duration(self._td + other._td)
        if isinstance(other, DateTimeValue):
            return DateTimeValue(other._dt + self._td)
        return NotImplemented

    def __sub__(self, other: Any) -> Any:
        return Duration(self._td - other._td) if isinstance(other, Duration) else NotImplemented

    def __mul__(self, factor: Any) -> Any:
        return Duration(self._td * factor) if type(factor) in (int, float) else NotImplemented

    __rmul__ = __mul__

    def __neg__(self) -> Duration:
        return Duration(-self._td)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Duration) and self._td == other._td

    def __lt__(self, other: Duration) -> bool:
        return self._td < other._td

    def __le__(self, other: Duration) -> bool:
        return self._td <= other._td

    def __gt__(self, other: Duration) -> bool:
        return self._td > other._td

    def __ge__(self, other: Duration) -> bool:
        return self._td >= other._td

    def __hash__(self) -> int:
        return hash(self._td)

    def __repr__(self) -> str:
        return f"Duration(seconds={self._td.total_seconds()!r})"

    def _sandbox_to_json_(self) -> float:
        return self._td.total_seconds()


class DateTimeValue(SandboxObject):
    """An instant (wraps an aware ``datetime``); stored into a replica as its ISO string."""

    __slots__ = ("_dt",)
    _dt: _datetime

    def __init__(self, dt: _datetime) -> None:
        object.__setattr__(self, "_dt", dt if dt.tzinfo else dt.replace(tzinfo=UTC))

    year = property(lambda self: self._dt.year)
    month = property(lambda self: self._dt.month)
    day = property(lambda self: self._dt.day)
    hour = property(lambda self: self._dt.hour)
    minute = property(lambda self: self._dt.minute)
    second = property(lambda self: self._dt.second)

    def isoformat(self) -> str:
        return self._dt.isoformat()

    def date(self) -> str:
        return self._dt.date().isoformat()

    def weekday(self) -> int:
        return self._dt.weekday()

    def strftime(self, fmt: str) -> str:
        return self._dt.strftime(_str_arg(fmt, "format"))

    def to_utc(self) -> DateTimeValue:
        return DateTimeValue(self._dt.astimezone(UTC))

    def __add__(self, other: Any) -> Any:
        return DateTimeValue(self._dt + other._td) if isinstance(other, Duration) else NotImplemented

    __radd__ = __add__

    def __sub__(self, other: Any) -> Any:
        if isinstance(other, Duration):
            return DateTimeValue(self._dt - other._td)
        if isinstance(other, DateTimeValue):
            return Duration(self._dt - other._dt)
        return NotImplemented

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DateTimeValue) and self._dt == other._dt

    def __lt__(self, other: DateTimeValue) -> bool:
        return self._dt < other._dt

    def __le__(self, other: DateTimeValue) -> bool:
        return self._dt <= other._dt

    def __gt__(self, other: DateTimeValue) -> bool:
        return self._dt > other._dt

    def __ge__(self, other: DateTimeValue) -> bool:
        return self._dt >= other._dt

    def __hash__(self) -> int:
        return hash(self._dt)

    def __repr__(self) -> str:
        return f"DateTime({self._dt.isoformat()!r})"

    def __str__(self) -> str:
        return self._dt.isoformat()

    def _sandbox_to_json_(self) -> str:
        return self._dt.isoformat()


class DateTimeFacade(SandboxObject):
    """``datetime.parse(iso)``, ``datetime.now()``, ``datetime.timedelta(...)``."""

    __slots__ = ()

    def parse(self, text: str) -> DateTimeValue:
        return DateTimeValue(_datetime.fromisoformat(_str_arg(text, "text")))

    def now(self) -> DateTimeValue:
        return DateTimeValue(_datetime.now(UTC))

    def timedelta(
        self, days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0, weeks: float = 0
    ) -> Duration:
        return Duration(_timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds, weeks=weeks))


# ------------------------------------------------------------------------------------ random


class RandomFacade(SandboxObject):
    """``random``: a fresh generator per run (seeded with the run's seed when one is given)."""

    __slots__ = ("_generator", "_seed")
    _generator: _random.Random | None
    _seed: int | str | None

    def __init__(self, seed: int | str | None) -> None:
        object.__setattr__(self, "_seed", seed)
        object.__setattr__(self, "_generator", None)

    @property
    def _rng(self) -> _random.Random:
        # Created on first use: seeding from the OS costs more than most scripts.
        if self._generator is None:
            object.__setattr__(self, "_generator", _random.Random(self._seed))  # noqa: S311 - not crypto
        assert self._generator is not None
        return self._generator

    def random(self) -> float:
        return self._rng.random()

    def uniform(self, a: float, b: float) -> float:
        return self._rng.uniform(a, b)

    def randint(self, a: int, b: int) -> int:
        return self._rng.randint(a, b)

    def choice(self, seq: Any) -> Any:
        return self._rng.choice(list(seq))

    def sample(self, seq: Any, k: int) -> list[Any]:
        return self._rng.sample(list(seq), k)

    def shuffle(self, items: list[Any]) -> None:
        if type(items) is not list:
            raise TypeError("random.shuffle needs a list")
        self._rng.shuffle(items)


# ----------------------------------------------------------------------------------- helpers


def _field(record: Any, name: str) -> Any:
    if isinstance(record, RecordView | WritableIssueView):
        return record.get(name)
    if type(record) is dict:
        return record.get(name)
    raise TypeError(f"expected an issue, comment or attachment, not {type(record).__name__}")


def _records(source: Any, name: str) -> list[Any]:
    if source is None:
        return []
    items = _field(source, name)
    return list(items or [])


class CommentsHelper(SandboxObject):
    """``comments.merge(issue, replica)`` and ``comments.filter(list, predicate)``."""

    __slots__ = ()

    def merge(self, issue: Any, replica: Any) -> list[dict[str, Any]]:
        """The replica's comments as entries the engine creates/updates by their remote id.

        Local comments that never came from the other side are not listed and are left alone.
        """
        merged = []
        for comment in _records(replica, "comments"):
            merged.append(
                {
                    "remote_id": to_plain(_field(comment, "id")),
                    "body": to_plain(_field(comment, "body")),
                    "author": to_plain(_field(comment, "author")),
                    "created": to_plain(_field(comment, "created")),
                    "internal": bool(_field(comment, "internal")),
                }
            )
        return merged

    def filter(self, items: Any, predicate: Callable[[Any], Any]) -> list[Any]:
        return [item for item in items if predicate(item)]


class AttachmentsHelper(SandboxObject):
    """``attachments.merge(issue, replica)``: the replica's attachments, keyed by remote id."""

    __slots__ = ()

    def merge(self, issue: Any, replica: Any) -> list[dict[str, Any]]:
        return [
            {
                "remote_id": to_plain(_field(att, "id")),
                "filename": to_plain(_field(att, "filename")),
                "size": to_plain(_field(att, "size")),
                "mime_type": to_plain(_field(att, "mime_type")),
            }
            for att in _records(replica, "attachments")
        ]

    def filter(self, items: Any, predicate: Callable[[Any], Any]) -> list[Any]:
        return [item for item in items if predicate(item)]


class UsersHelper(SandboxObject):
    """Symbolic user references the engine resolves (email, then account-id map, then default)."""

    __slots__ = ()

    def by_email(self, email: str | None) -> RecordView | None:
        return None if email is None else RecordView("user", {"email": _str_arg(email, "email")})

    def by_id(self, account_id: str | None) -> RecordView | None:
        if account_id is None:
            return None
        return RecordView("user", {"account_id": _str_arg(account_id, "account_id")})


class MapHelper(SandboxObject):
    """``statuses.map(name, mapping, default=None)`` and the same for types and priorities."""

    __slots__ = ()

    def map(self, name: Any, mapping: Mapping[str, Any] | RecordView, default: Any = None) -> Any:
        if not isinstance(mapping, dict | RecordView):
            raise TypeError("mapping must be a dict such as {'To Do': 'Open'}")
        fallback = default if default is not None else name
        return mapping.get(name, fallback) if type(name) is str else fallback


class ModuleSet:
    """The immutable facades shared by every run (per-run ones are built in the runtime)."""

    re = ReFacade()
    json = JsonFacade()
    math = MathFacade()
    datetime = DateTimeFacade()
    comments = CommentsHelper()
    attachments = AttachmentsHelper()
    users = UsersHelper()
    statuses = MapHelper()
    issue_types = MapHelper()
    priorities = MapHelper()


IMPORTABLE = {
    "re": ModuleSet.re,
    "json": ModuleSet.json,
    "math": ModuleSet.math,
    "datetime": ModuleSet.datetime,
}


def freeze_connection(connection: Mapping[str, Any] | None) -> RecordView:
    data = dict(connection or {})
    data.setdefault("name", "")
    data.setdefault("sides", [])
    view = freeze(data, "connection")
    assert isinstance(view, RecordView)
    return view
