"""A small real JQL: tokenizer, recursive-descent parser into an AST, evaluator and sorter.

The grammar (a subset of Jira's)::

    query    := [or_expr] [ORDER BY field [ASC|DESC] {, field [ASC|DESC]}]
    or_expr  := and_expr {OR and_expr}
    and_expr := not_expr {AND not_expr}
    not_expr := NOT not_expr | "(" or_expr ")" | clause
    clause   := field op operand
    op       := = | != | ~ | !~ | > | >= | < | <= | IN | NOT IN | IS | IS NOT
    operand  := EMPTY | NULL | value | function "(" [args] ")" | "(" operand {, operand} ")"

Field semantics (which values an issue has, how a literal compares) come from a
``JqlContext`` supplied by the site, so this module knows no issue layout.
Dates compare at minute precision, as Jira's JQL does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

VALID_OPERATORS = "'=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'"
KEYWORDS = {"AND", "OR", "NOT", "IN", "IS", "EMPTY", "NULL", "ORDER", "BY", "ASC", "DESC"}
UNSUPPORTED_KEYWORDS = {"WAS", "CHANGED"}
TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<op>!=|!~|>=|<=|=|~|>|<)
  | (?P<punct>[(),])
  | (?P<word>[A-Za-z0-9_.\-\[\]:/@+*$#]+)
    """,
    re.VERBOSE,
)
RELATIVE_RE = re.compile(r"^([+-]?)(\d+)([wdhm])$")
DATE_FORMATS = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d")
UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}


class JqlError(ValueError):
    """Invalid JQL; ``str()`` is the message Jira puts in ``errorMessages``."""


# ---------------------------------------------------------------- tokens


@dataclass(frozen=True)
class Token:
    kind: str  # string | op | punct | word | keyword | end
    text: str
    position: int

    @property
    def upper(self) -> str:
        return self.text.upper()


def tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(source):
        match = TOKEN_RE.match(source, position)
        if match is None:
            raise JqlError(
                f"Error in the JQL Query: The character '{source[position]}' is a reserved JQL character."
                " You must enclose it in a string or use the escape"
                f" '\\u{ord(source[position]):04x}' instead."
                f" (line 1, character {position + 1})"
            )
        kind = match.lastgroup or "ws"
        text = match.group()
        if kind == "string":
            text = re.sub(r"\\(.)", r"\1", text[1:-1])
        elif kind == "word" and text.upper() in KEYWORDS:
            kind = "keyword"
        if kind != "ws":
            tokens.append(Token(kind, text, position))
        position = match.end()
    tokens.append(Token("end", "", len(source)))
    return tokens


# ---------------------------------------------------------------- AST


@dataclass(frozen=True)
class Literal:
    text: str


@dataclass(frozen=True)
class EmptyValue:
    pass


@dataclass(frozen=True)
class FunctionCall:
    name: str
    args: tuple[str, ...]


Operand = Literal | EmptyValue | FunctionCall | tuple[Literal | FunctionCall, ...]


@dataclass(frozen=True)
class Clause:
    field: str
    operator: str  # = != ~ !~ > >= < <= IN NOT IN IS IS NOT
    operand: Operand


@dataclass(frozen=True)
class And:
    left: Node
    right: Node


@dataclass(frozen=True)
class Or:
    left: Node
    right: Node


@dataclass(frozen=True)
class Not:
    inner: Node


Node = Clause | And | Or | Not


@dataclass(frozen=True)
class OrderBy:
    field: str
    descending: bool


@dataclass(frozen=True)
class Query:
    where: Node | None
    order_by: tuple[OrderBy, ...]


# ---------------------------------------------------------------- parser


class Parser:
    def __init__(self, source: str) -> None:
        self.tokens = tokenize(source)
        self.index = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at_keyword(self, *words: str) -> bool:
        return self.current.kind == "keyword" and self.current.upper in words

    def fail(self, expected: str) -> JqlError:
        token = self.current
        got = "end of query" if token.kind == "end" else f"'{token.text}'"
        return JqlError(
            f"Error in the JQL Query: Expecting {expected} but got {got}."
            f" (line 1, character {token.position + 1})"
        )

    def parse(self) -> Query:
        where: Node | None = None
        if self.current.kind != "end" and not self.at_keyword("ORDER"):
            where = self.parse_or()
        order_by: list[OrderBy] = []
        if self.at_keyword("ORDER"):
            self.advance()
            if not self.at_keyword("BY"):
                raise self.fail("'by'")
            self.advance()
            order_by.append(self.parse_order_item())
            while self.current.kind == "punct" and self.current.text == ",":
                self.advance()
                order_by.append(self.parse_order_item())
        if self.current.kind != "end":
            raise self.fail("either 'OR' or 'AND'" if where is not None else "a field name")
        return Query(where, tuple(order_by))

    def parse_order_item(self) -> OrderBy:
        name = self.parse_field_name()
        descending = False
        if self.at_keyword("ASC", "DESC"):
            descending = self.advance().upper == "DESC"
        return OrderBy(name, descending)

    def parse_or(self) -> Node:
        node = self.parse_and()
        while self.at_keyword("OR"):
            self.advance()
            node = Or(node, self.parse_and())
        return node

    def parse_and(self) -> Node:
        node = self.parse_not()
        while self.at_keyword("AND"):
            self.advance()
            node = And(node, self.parse_not())
        return node

    def parse_not(self) -> Node:
        if self.at_keyword("NOT"):
            self.advance()
            return Not(self.parse_not())
        if self.current.kind == "punct" and self.current.text == "(":
            self.advance()
            node = self.parse_or()
            self.expect_punct(")")
            return node
        return self.parse_clause()

    def expect_punct(self, text: str) -> None:
        if not (self.current.kind == "punct" and self.current.text == text):
            raise self.fail(f"'{text}'")
        self.advance()

    def parse_field_name(self) -> str:
        token = self.current
        if token.kind in ("word", "string"):
            self.advance()
            return token.text
        raise self.fail("a field name")

    def parse_clause(self) -> Clause:
        name = self.parse_field_name()
        operator = self.parse_operator()
        if operator in ("IS", "IS NOT"):
            if not self.at_keyword("EMPTY", "NULL"):
                raise self.fail("'EMPTY' or 'NULL'")
            self.advance()
            return Clause(name, operator, EmptyValue())
        if operator in ("IN", "NOT IN"):
            return Clause(name, operator, self.parse_list())
        return Clause(name, operator, self.parse_single_operand())

    def parse_operator(self) -> str:
        token = self.current
        if token.kind == "op":
            self.advance()
            return token.text
        if token.kind == "keyword" and token.upper in ("IN", "IS"):
            self.advance()
            if token.upper == "IS" and self.at_keyword("NOT"):
                self.advance()
                return "IS NOT"
            return token.upper
        if token.kind == "keyword" and token.upper == "NOT":
            self.advance()
            if not self.at_keyword("IN"):
                raise self.fail("'IN'")
            self.advance()
            return "NOT IN"
        if token.kind == "word" and token.upper in UNSUPPORTED_KEYWORDS:
            raise JqlError(f"Error in the JQL Query: The operator '{token.upper}' is not supported here.")
        got = "end of query" if token.kind == "end" else f"'{token.text}'"
        raise JqlError(
            f"Error in the JQL Query: Expecting operator but got {got}. The valid operators are "
            f"{VALID_OPERATORS}. (line 1, character {token.position + 1})"
        )

    def parse_list(self) -> tuple[Literal | FunctionCall, ...]:
        self.expect_punct("(")
        items = [self.parse_value()]
        while self.current.kind == "punct" and self.current.text == ",":
            self.advance()
            items.append(self.parse_value())
        self.expect_punct(")")
        return tuple(items)

    def parse_single_operand(self) -> Operand:
        if self.at_keyword("EMPTY", "NULL"):
            self.advance()
            return EmptyValue()
        if self.current.kind == "punct" and self.current.text == "(":
            return self.parse_list()
        return self.parse_value()

    def parse_value(self) -> Literal | FunctionCall:
        token = self.current
        if token.kind not in ("word", "string"):
            raise self.fail("either a value, list or function")
        self.advance()
        if token.kind == "word" and self.current.kind == "punct" and self.current.text == "(":
            self.advance()
            args: list[str] = []
            while not (self.current.kind == "punct" and self.current.text == ")"):
                if self.current.kind not in ("word", "string"):
                    raise self.fail("')'")
                args.append(self.advance().text)
                if self.current.kind == "punct" and self.current.text == ",":
                    self.advance()
            self.advance()
            return FunctionCall(token.text.lower(), tuple(args))
        return Literal(token.text)


def parse(source: str) -> Query:
    """Parse JQL into a ``Query``; raise JqlError with Jira's wording on syntax errors."""
    return Parser(source).parse()


# ---------------------------------------------------------------- evaluation

KINDS = ("string", "text", "freetext", "number", "date", "user", "key", "property")


@dataclass(frozen=True)
class FieldRef:
    """A resolved field: its canonical name and how literals compare to its values."""

    name: str
    kind: str  # one of KINDS
    display: str


class JqlContext(Protocol):
    def resolve_field(self, name: str) -> FieldRef | None: ...

    def values(self, issue: Any, field: FieldRef) -> list[Any]: ...

    def current_user(self) -> str | None: ...

    def validate_value(self, field: FieldRef, value: str) -> None: ...

    def sort_value(self, issue: Any, field: FieldRef) -> Any | None:
        """A field-specific sort key (e.g. priority rank), or None for the natural order."""
        ...


TEXT_OPERATORS = {"~", "!~", "IS", "IS NOT"}
ORDERING_OPERATORS = {">", ">=", "<", "<="}


def check_fields(query: Query, context: JqlContext) -> None:
    """Reject unknown fields and operators a field does not support, before any issue is read."""
    for clause in _clauses(query.where):
        field = _resolve(clause.field, context)
        if field.kind == "text" and clause.operator not in TEXT_OPERATORS:
            raise JqlError(
                f"The operator '{clause.operator}' is not supported by the '{field.display}' field."
            )
        if (field.kind in ("string", "user") and clause.operator in ORDERING_OPERATORS | {"~", "!~"}) or (
            field.kind == "freetext" and clause.operator in ORDERING_OPERATORS
        ):
            raise JqlError(
                f"The operator '{clause.operator}' is not supported by the '{field.display}' field."
            )
        for literal in _literals(clause.operand):
            context.validate_value(field, literal.text)
    for item in query.order_by:
        _resolve(item.field, context)


def _clauses(node: Node | None) -> list[Clause]:
    if node is None:
        return []
    if isinstance(node, Clause):
        return [node]
    if isinstance(node, Not):
        return _clauses(node.inner)
    return _clauses(node.left) + _clauses(node.right)


def _literals(operand: Operand) -> list[Literal]:
    if isinstance(operand, Literal):
        return [operand]
    if isinstance(operand, tuple):
        return [item for item in operand if isinstance(item, Literal)]
    return []


def _resolve(name: str, context: JqlContext) -> FieldRef:
    field = context.resolve_field(name)
    if field is None:
        raise JqlError(f"Field '{name}' does not exist or you do not have permission to view it.")
    return field


def matches(query: Query, issue: Any, context: JqlContext, now: datetime | None = None) -> bool:
    if query.where is None:
        return True
    return _evaluate(query.where, issue, context, now or datetime.now(UTC))


def _evaluate(node: Node, issue: Any, context: JqlContext, now: datetime) -> bool:
    if isinstance(node, And):
        return _evaluate(node.left, issue, context, now) and _evaluate(node.right, issue, context, now)
    if isinstance(node, Or):
        return _evaluate(node.left, issue, context, now) or _evaluate(node.right, issue, context, now)
    if isinstance(node, Not):
        return not _evaluate(node.inner, issue, context, now)
    return _evaluate_clause(node, issue, context, now)


def _evaluate_clause(clause: Clause, issue: Any, context: JqlContext, now: datetime) -> bool:
    field = _resolve(clause.field, context)
    values = [value for value in context.values(issue, field) if value is not None and value != ""]
    operator = clause.operator
    if isinstance(clause.operand, EmptyValue):
        empty = not values
        return empty if operator in ("IS", "=", "IN") else not empty
    operands = _operand_values(clause.operand, field, context, now)
    if operator in ("=", "IN"):
        return any(_equal(value, operand, field) for value in values for operand in operands)
    if operator in ("!=", "NOT IN"):
        # Jira never returns issues whose field is empty for != / NOT IN.
        return bool(values) and not any(_equal(v, o, field) for v in values for o in operands)
    if operator in ("~", "!~"):
        found = any(_contains(value, operand) for value in values for operand in operands)
        return found if operator == "~" else (bool(values) and not found)
    return any(_ordered(value, operand, operator, field) for value in values for operand in operands)


def _operand_values(operand: Operand, field: FieldRef, context: JqlContext, now: datetime) -> list[Any]:
    items: Sequence[Literal | FunctionCall | EmptyValue] = (
        operand if isinstance(operand, tuple) else (operand,)
    )
    result: list[Any] = []
    for item in items:
        if isinstance(item, FunctionCall):
            result.append(_call_function(item, context, now))
        elif isinstance(item, Literal):
            result.append(_convert_literal(item.text, field, now))
    return result


def _call_function(call: FunctionCall, context: JqlContext, now: datetime) -> Any:
    functions: dict[str, Callable[[], Any]] = {
        "currentuser": context.current_user,
        "now": lambda: now,
        "startofday": lambda: now.replace(hour=0, minute=0, second=0, microsecond=0),
        "endofday": lambda: now.replace(hour=23, minute=59, second=59, microsecond=0),
    }
    if call.name not in functions:
        raise JqlError(f"Unable to find JQL function '{call.name}({', '.join(call.args)})'.")
    return functions[call.name]()


def _convert_literal(text: str, field: FieldRef, now: datetime) -> Any:
    if field.kind == "date":
        return parse_date(text, now)
    if field.kind == "number":
        try:
            return float(text)
        except ValueError:
            message = f"The value '{text}' is not a valid number for the '{field.display}' field."
            raise JqlError(message) from None
    return text


def parse_date(text: str, now: datetime) -> datetime:
    relative = RELATIVE_RE.match(text.strip())
    if relative:
        sign, amount, unit = relative.groups()
        delta = timedelta(**{UNITS[unit]: int(amount)})
        return now - delta if sign == "-" else now + delta
    for date_format in DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), date_format).replace(tzinfo=UTC)
        except ValueError:
            continue
    if text.strip().isdigit():
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    raise JqlError(
        f"Date value '{text}' for field is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', "
        "'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."
    )


def _to_minute(value: datetime) -> datetime:
    return value.replace(second=0, microsecond=0)


def _aliases(value: Any) -> tuple[Any, ...]:
    return value if isinstance(value, tuple) else (value,)


def _equal(value: Any, operand: Any, field: FieldRef) -> bool:
    if field.kind == "date" and isinstance(value, datetime) and isinstance(operand, datetime):
        return _to_minute(value) == _to_minute(operand)
    if field.kind == "number":
        return isinstance(value, (int, float)) and float(value) == float(operand)
    needle = str(operand).casefold()
    return any(str(alias).casefold() == needle for alias in _aliases(value))


def _ordered(value: Any, operand: Any, operator: str, field: FieldRef) -> bool:
    left: Any
    right: Any
    if field.kind == "date":
        left, right = _to_minute(value), _to_minute(operand)
    elif field.kind == "key":
        left, right = key_sort_value(_aliases(value)[0]), key_sort_value(str(operand))
        if left[0] != right[0]:
            return False
    elif field.kind == "number":
        left, right = float(value), float(operand)
    else:
        left, right = str(_aliases(value)[0]).casefold(), str(operand).casefold()
    comparisons: dict[str, Callable[[Any, Any], bool]] = {
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
    }
    return comparisons[operator](left, right)


WORD_RE = re.compile(r"\w+")


def _contains(value: Any, operand: Any) -> bool:
    """Jira's ``~``: every word of the operand occurs as a word (``term*`` as a prefix)."""
    words = {word.casefold() for word in WORD_RE.findall(str(value))}
    terms = str(operand).casefold().split()
    if not terms:
        return False
    for term in terms:
        if term.endswith("*"):
            prefix = "".join(WORD_RE.findall(term))
            if not any(word.startswith(prefix) for word in words):
                return False
        elif not all(part in words for part in WORD_RE.findall(term)):
            return False
    return True


def key_sort_value(key: str) -> tuple[str, int]:
    project, _, number = key.rpartition("-")
    return (project.upper(), int(number) if number.isdigit() else 0)


def sort_issues(issues: list[Any], query: Query, context: JqlContext) -> list[Any]:
    """Apply ORDER BY (stable, last key first); empty values sort last ascending."""
    ordered = list(issues)
    for item in reversed(query.order_by):
        field = _resolve(item.field, context)
        ordered.sort(key=lambda issue, f=field: _sort_key(issue, f, context), reverse=item.descending)  # type: ignore[misc]
    return ordered


def _sort_key(issue: Any, field: FieldRef, context: JqlContext) -> tuple[int, Any]:
    special = context.sort_value(issue, field)
    if special is not None:
        return (0, special)
    values = [value for value in context.values(issue, field) if value is not None and value != ""]
    if not values:
        return (1, "")
    first = _aliases(values[0])[0]
    if field.kind == "key":
        return (0, key_sort_value(str(first)))
    if isinstance(first, (int, float, datetime)):
        return (0, first)
    return (0, str(first).casefold())
