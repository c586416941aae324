"""Views of issues and replicas as the scripts see them.

Scripts never touch the host's dicts: read-only data is frozen into ``RecordView`` objects and
tuples; writable data lives in a ``WritableIssueView`` that checks field names and accepts only
plain data. ``SandboxObject`` marks the classes whose public attributes the runtime guard lets
scripts read: every name that does not start with "_" on these classes is meant to be public.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from typing import Any

from connectors.model import Issue

ISSUE_FIELDS: tuple[str, ...] = tuple(Issue(id="", key="", project="", type="", summary="").to_dict())
USER_FIELDS = frozenset({"assignee", "reporter"})
LIST_FIELDS = frozenset({"labels", "comments", "attachments"})
DICT_FIELDS = frozenset({"custom", "custom_names"})
_MAX_DEPTH = 64


def empty_issue() -> dict[str, Any]:
    """The issue an incoming script starts from on the first sync."""
    return Issue(id="", key="", project="", type="", summary="").to_dict()


class SandboxObject:
    """Marker base: instances may be handed to scripts; their public attributes are the API."""

    __slots__ = ()

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} objects are read-only")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} objects are read-only")


def suggestion(name: str, candidates: Iterator[str] | tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def missing_field(owner: str, name: str, candidates: Any) -> AttributeError:
    return AttributeError(f"{owner} has no field '{name}'{suggestion(name, list(candidates))}")


class RecordView(SandboxObject):
    """A read-only record: ``view.field`` and ``view["field"]`` both work.

    It keeps a reference to the plain data and freezes values as they are read, so a run pays
    only for the fields the script touches; nothing handed out can change the data.
    """

    __slots__ = ("_data", "_depth", "_name")
    _data: Mapping[str, Any]
    _name: str
    _depth: int

    def __init__(self, name: str, data: Mapping[str, Any], depth: int = 0) -> None:
        if depth > _MAX_DEPTH:
            raise ValueError(f"{name} is nested too deeply")
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_data", data)
        object.__setattr__(self, "_depth", depth)

    def _frozen(self, key: str, value: Any) -> Any:
        return freeze(value, f"{self._name}.{key}", self._depth + 1)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            value = self._data[name]
        except KeyError:
            raise missing_field(self._name, name, self._data) from None
        return self._frozen(name, value)

    def __getitem__(self, key: str) -> Any:
        return self._frozen(key, self._data[key])

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._data))

    def __len__(self) -> int:
        return len(self._data)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RecordView):
            return bool(to_plain(self) == to_plain(other))
        if isinstance(other, dict):
            return bool(to_plain(self) == other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{self._name}({to_plain(self)!r})"

    def get(self, key: str, default: Any = None) -> Any:
        return self._frozen(key, self._data[key]) if key in self._data else default

    def keys(self) -> list[str]:
        return list(self._data)

    def values(self) -> list[Any]:
        return [self._frozen(k, v) for k, v in self._data.items()]

    def items(self) -> list[tuple[str, Any]]:
        return [(k, self._frozen(k, v)) for k, v in self._data.items()]

    def to_dict(self) -> dict[str, Any]:
        """A mutable plain copy, e.g. to edit and assign back to a writable field."""
        plain: dict[str, Any] = to_plain(self)
        return plain


class IssueRecordView(RecordView):
    """A read-only issue or replica: a field the other side did not send reads as empty.

    Only misspelt names are errors; ``replica.custom`` is an empty record and ``replica.labels``
    an empty tuple when they were not sent, other fields are ``None``.
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._data:
            return self._frozen(name, self._data[name])
        if name not in ISSUE_FIELDS:
            raise missing_field(self._name, name, ISSUE_FIELDS)
        return _empty_value(name, self._name)

    def __getitem__(self, key: str) -> Any:
        if key in self._data or key not in ISSUE_FIELDS:
            return super().__getitem__(key)
        return _empty_value(key, self._name)


def _empty_value(field: str, owner: str) -> Any:
    if field in LIST_FIELDS:
        return ()
    if field in DICT_FIELDS:
        return RecordView(f"{owner}.{field}", {})
    return None


class WritableIssueView(SandboxObject):
    """The issue or replica a script fills; only issue fields and plain data are accepted."""

    __slots__ = ("_data", "_name")
    _data: dict[str, Any]
    _name: str

    def __init__(self, name: str, data: Mapping[str, Any] | None) -> None:
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_data", {})
        for key, value in (data or {}).items():
            self._check_field(key)
            self._data[key] = to_plain(value, f"{name}.{key}")

    def _check_field(self, name: str) -> None:
        if type(name) is not str or name not in ISSUE_FIELDS:
            raise missing_field(self._name, str(name), ISSUE_FIELDS)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        self._check_field(name)
        value = self._data.get(name)
        if value is None and name in LIST_FIELDS | DICT_FIELDS:
            # So that replica.custom["x"] = 1 and replica.labels.append("x") work on a fresh replica.
            value = self._data[name] = [] if name in LIST_FIELDS else {}
        if name in USER_FIELDS and isinstance(value, dict):
            return RecordView(f"{self._name}.{name}", value)
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        self._check_field(name)
        self._data[name] = to_plain(value, f"{self._name}.{name}")

    def __delattr__(self, name: str) -> None:
        self._check_field(name)
        self._data.pop(name, None)

    def __getitem__(self, key: str) -> Any:
        return self.__getattr__(key)

    def __setitem__(self, key: str, value: Any) -> None:
        self.__setattr__(key, value)

    def __delitem__(self, key: str) -> None:
        self.__delattr__(key)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._data))

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"{self._name}({self._data!r})"

    def get(self, key: str, default: Any = None) -> Any:
        self._check_field(key)
        return self.__getattr__(key) if self._data.get(key) is not None else default

    def keys(self) -> list[str]:
        return list(self._data)

    def items(self) -> list[tuple[str, Any]]:
        return [(k, self.__getattr__(k)) for k in self._data]

    def to_dict(self) -> dict[str, Any]:
        plain: dict[str, Any] = to_plain(self._data)
        return plain


def freeze(value: Any, name: str = "value", depth: int = 0) -> Any:
    """Plain JSON data -> read-only views (dicts become RecordView, lists become tuples)."""
    if depth > _MAX_DEPTH:
        raise ValueError(f"{name} is nested too deeply")
    if isinstance(value, dict):
        return RecordView(name, value, depth)
    if isinstance(value, list | tuple):
        return tuple(freeze(v, name, depth + 1) for v in value)
    return value


_SCALARS = (str, int, float, bool, type(None))


def to_plain(value: Any, name: str = "value", depth: int = 0) -> Any:
    """Script values -> plain JSON data, refusing anything else (functions, generators, ...)."""
    if depth > _MAX_DEPTH:
        raise ValueError(f"{name} is nested too deeply")
    if type(value) in _SCALARS:
        return value
    if type(value) in (list, tuple):
        return [to_plain(v, name, depth + 1) for v in value]
    if type(value) is dict:
        return {_plain_key(k, name): to_plain(v, name, depth + 1) for k, v in value.items()}
    if isinstance(value, RecordView | WritableIssueView):
        return {_plain_key(k, name): to_plain(v, name, depth + 1) for k, v in value._data.items()}
    to_json = getattr(type(value), "_sandbox_to_json_", None)
    if to_json is not None:
        return to_json(value)
    raise TypeError(f"{name}: a value of type {type(value).__name__} cannot be stored (use plain data)")


def _plain_key(key: Any, name: str) -> str:
    if type(key) is str:
        return key
    if type(key) in (int, float, bool):
        return str(key)
    raise TypeError(f"{name}: dictionary keys must be strings, not {type(key).__name__}")
