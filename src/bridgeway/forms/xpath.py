"""The XLSForm expression subset: parser, evaluator and calculation ordering.

Assessment and plan forms are written as XLSForms. Their ``relevant``,
``constraint``, ``calculate`` and ``required`` columns hold XPath 1.0
expressions with the ODK extensions. The server checks every submission,
whether it comes from the web form or from an ODK client, with the same
expressions, so it needs to read them itself. It never hands them to Python's
``eval``: the text comes from an uploaded spreadsheet.

Only a small subset is supported, so that the server and ODK Collect always
agree. An upload that uses anything else is rejected, and the error names
the construct and where it is. The subset:

* literals: numbers (``5``, ``2.5``, ``.5``), strings (``'a'`` or ``"a"``,
  with no escapes, as in XPath 1.0);
* ``${name}`` field references, and ``.`` for the value being checked (in
  constraints);
* ``( )``, unary ``-``, ``+ - * div mod``, ``= != < <= > >=``, ``and or``;
* the functions in :data:`SUPPORTED_FUNCTIONS`.

Everything else is refused by :func:`parse`: paths (``/data/age``, ``age``,
``..``), predicates, ``|``, ``@``, XPath ``$variables``, ``${last-saved#x}``
and any other function (``pulldata``, ``instance``, ``position``, ...).

Why lark: it is already a project dependency. An LALR grammar states the
operator precedence in a few readable lines, and lark gives each token's
offset for error messages. lark's inline-transformer mode builds the
AST during the LALR reductions, so deep nesting cannot hit Python's
recursion limit while parsing. Three pieces of hand-written code sit
around it:

* a scan of the token stream *before* parsing. This names an unsupported
  construct ("function 'pulldata' is not supported") rather than reporting
  a syntax error somewhere after it;
* a parenthesis-balance check, which says which parenthesis is unmatched;
* the evaluator: XPath's coercion rules are the point of this module, and
  they are short.

The grammar is kept in this file, not in a ``.lark`` file: the package-data
rules in ``pyproject.toml`` do not ship ``*.lark`` files.

Semantics follow JavaRosa, the engine inside ODK Collect
(``org.javarosa.xpath.expr``):

* Values are ``str``, ``float``, ``bool`` or ``datetime.date``. A number is
  always a ``float``, as in XPath.
* ``=`` / ``!=``: if either side is a boolean, both sides are compared as
  booleans. Otherwise, if either side is a number, both are compared as
  numbers (within 1e-12). Otherwise both are compared as strings. A date
  compares as its ``YYYY-MM-DD`` text.
* ``< <= > >=`` and arithmetic convert both sides to numbers. ``''`` and
  other non-numeric text become NaN. So ``${age} > 5`` is false while
  ``age`` is empty, and every comparison with NaN is false.
* Text to number: JavaRosa trims the text and reads ``,`` as ``.``. It
  accepts only digits, ``-`` and ``.``, so no exponent and no leading ``+``.
* Dates: JavaRosa keeps date fields as date objects, and a date's number is
  days since 1970-01-01. Here a submitted value is only text, so any text
  that is exactly ``YYYY-MM-DD`` (and a real date) converts to that day
  number. ``${dob} < today()`` and ``${a} < '2020-01-01'`` then compare
  dates, and ``today() - ${dob}`` is an age in days. Where JavaRosa has a
  date field on one side and a literal date string on the other, it gets
  NaN (false); Enketo and this module compare the dates.
* ``div`` and ``mod`` follow IEEE doubles, as JavaRosa does: ``1 div 0`` is
  Infinity, ``0 div 0`` is NaN, and ``mod`` takes the sign of the dividend
  (Java ``%``). Nothing raises.
* Number to text: a whole number has no decimals (``5.0`` gives ``'5'``),
  anything within 1e-12 of 0 gives ``'0'``, and NaN and Infinity are
  spelled as in XPath. Other numbers use the shortest exact decimal form
  with no exponent (``0.0000001``; Java writes ``1.0E-7``).
* ``and`` / ``or`` short-circuit. ``if()`` evaluates only the branch it
  chooses, and ``coalesce()`` evaluates its second argument only when the
  first is empty.
* ``regex(s, p)`` must match the *whole* string. JavaRosa calls
  ``Pattern.matches``; Enketo uses ``RegExp.test``, which searches. ODK
  Collect is what checks ODK submissions, so this module follows it, and
  authors should not rely on the difference. The pattern is compiled by
  Python's ``re``, which accepts nearly the same syntax as Java for the
  patterns forms use (``\\p{...}`` classes are not accepted).
* ``string-length()`` counts UTF-16 code units, as Java and JavaScript do.
  Otherwise a text with an emoji would pass a length constraint on one side
  and fail it on the other.
* ``round(x, n)`` rounds halves towards +Infinity (XPath). It does not copy
  JavaRosa's mistake for negative ``n`` with negative ``x``.
* ``selected(a, v)`` splits ``a`` on whitespace and looks for ``v``.
  ``selected(a, '')`` is false; JavaRosa can say true there.

Evaluation knows no field types: it gets ODK's raw text. Callers that know a
field is an integer or a decimal can pass a number instead. ``${n} = '5.0'``
then compares numbers, as it does in JavaRosa for a typed field.
"""

from __future__ import annotations

import datetime as dt
import functools
import graphlib
import math
import numbers
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Final, NoReturn

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

__all__ = [
    "SUPPORTED_FUNCTIONS",
    "BinaryOp",
    "Call",
    "Current",
    "CycleError",
    "Expr",
    "ExpressionError",
    "Logical",
    "Negate",
    "NumberLiteral",
    "Reference",
    "StringLiteral",
    "Value",
    "calculation_order",
    "evaluate",
    "parse",
    "references",
    "to_number",
    "to_string",
    "truthy",
    "uses_current",
]

Value = str | float | bool | dt.date
"""What an expression evaluates to."""

#: Longer texts are refused. A spreadsheet cell holds at most 32,767
#: characters, and no sensible expression comes close to this limit.
MAX_EXPRESSION_LENGTH: Final = 10_000
#: Deeper nesting is refused, so that evaluation can recurse safely. A long
#: ``or`` / ``and`` chain counts as one level, not one level per term.
MAX_DEPTH: Final = 200

_EPSILON: Final = 1e-12
_EPOCH: Final = dt.date(1970, 1, 1)
_DATE_RE: Final = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_DATE_TIME_RE: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?"
)
_FIELD_NAME_RE: Final = re.compile(r"[^\W\d][\w.-]*")


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


class ExpressionError(ValueError):
    """An expression is malformed, outside the subset, or cannot be evaluated.

    ``construct`` is the offending source text when the expression uses
    something outside the supported subset (``'pulldata'``, ``'/'``,
    ``'age'``). It is ``None`` for plain syntax errors and evaluation
    errors, so callers can tell "unsupported" from "malformed".

    ``position`` is a 0-based offset into the expression text, or ``None``
    when no one place is at fault. The message shows it 1-based ("at
    character 3"), because form authors count from 1.
    """

    def __init__(
        self, description: str, *, construct: str | None = None, position: int | None = None
    ) -> None:
        self.description = description
        self.construct = construct
        self.position = position
        where = "" if position is None else f" (at character {position + 1})"
        super().__init__(f"{description}{where}")


class CycleError(ExpressionError):
    """Calculations that depend on each other in a circle.

    ``cycle`` lists the calculations once each, in dependency order: each
    uses the next, and the last uses the first.
    """

    def __init__(self, cycle: list[str]) -> None:
        self.cycle = list(cycle)
        path = " -> ".join([*self.cycle, self.cycle[0]])
        super().__init__(f"calculations form a cycle: {path}")


# --------------------------------------------------------------------------
# AST
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Expr:
    """Base class of the immutable expression tree that :func:`parse` returns."""


@dataclass(frozen=True, slots=True)
class NumberLiteral(Expr):
    value: float
    position: int


@dataclass(frozen=True, slots=True)
class StringLiteral(Expr):
    value: str
    position: int


@dataclass(frozen=True, slots=True)
class Reference(Expr):
    """``${name}``."""

    name: str
    position: int


@dataclass(frozen=True, slots=True)
class Current(Expr):
    """``.``: the value being checked (in a constraint) or computed."""

    position: int


@dataclass(frozen=True, slots=True)
class Negate(Expr):
    operand: Expr
    position: int


@dataclass(frozen=True, slots=True)
class BinaryOp(Expr):
    """Arithmetic (``+ - * div mod``) or comparison (``= != < <= > >=``)."""

    op: str
    left: Expr
    right: Expr
    position: int


@dataclass(frozen=True, slots=True)
class Logical(Expr):
    """``and`` / ``or`` over two or more operands, evaluated left to right."""

    op: str
    operands: tuple[Expr, ...]
    position: int


@dataclass(frozen=True, slots=True)
class Call(Expr):
    name: str
    args: tuple[Expr, ...]
    position: int


def _children(node: Expr) -> tuple[Expr, ...]:
    match node:
        case Negate(operand=operand):
            return (operand,)
        case BinaryOp(left=left, right=right):
            return (left, right)
        case Logical(operands=operands):
            return operands
        case Call(args=args):
            return args
        case _:
            return ()


def _walk(expr: Expr) -> Iterator[Expr]:
    """All nodes, without recursion."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(_children(node)))


def references(expr: Expr) -> frozenset[str]:
    """The field names the expression reads through ``${name}``."""
    return frozenset(node.name for node in _walk(expr) if isinstance(node, Reference))


def uses_current(expr: Expr) -> bool:
    """Whether the expression reads ``.`` (or calls ``string-length()``, which reads it)."""
    return any(
        isinstance(node, Current)
        or (isinstance(node, Call) and node.name == "string-length" and not node.args)
        for node in _walk(expr)
    )


# --------------------------------------------------------------------------
# Grammar and parser
# --------------------------------------------------------------------------

# Precedence, loosest first: or, and, equality, relational, additive,
# multiplicative, unary minus (XPath 1.0, section 3.4-3.5). The terminals in
# ``unsupported`` are lexed only so that they can be named in an error; the
# token scan in :func:`parse` rejects them before the parser runs.
_GRAMMAR: Final = r"""
?start: or_expr

?or_expr: and_expr
        | or_expr OR and_expr               -> logical
?and_expr: eq_expr
         | and_expr AND eq_expr             -> logical
?eq_expr: rel_expr
        | eq_expr (EQ | NE) rel_expr        -> binary
?rel_expr: add_expr
         | rel_expr (LT | LE | GT | GE) add_expr -> binary
?add_expr: mul_expr
         | add_expr (PLUS | MINUS) mul_expr -> binary
?mul_expr: unary_expr
         | mul_expr (STAR | DIV | MOD) unary_expr -> binary
?unary_expr: primary
           | MINUS unary_expr               -> negate
?primary: NUMBER                            -> number
        | STRING                            -> string
        | REF                               -> reference
        | DOT                               -> current
        | "(" or_expr ")"
        | NAME "(" [arguments] ")"          -> call
        | unsupported
arguments: or_expr ("," or_expr)*
unsupported: SLASH | LSQB | RSQB | PIPE | AT | DOTDOT | AXIS | DOLLAR_VAR

OR: "or"
AND: "and"
DIV: "div"
MOD: "mod"
EQ: "="
NE: "!="
LE: "<="
LT: "<"
GE: ">="
GT: ">"
PLUS: "+"
MINUS: "-"
STAR: "*"
DOT: "."
DOTDOT: ".."
SLASH: /\/\/?/
LSQB: "["
RSQB: "]"
PIPE: "|"
AT: "@"
AXIS: "::"
NUMBER: /\d+(\.\d*)?|\.\d+/
STRING: /'[^']*'|"[^"]*"/
REF: /\$\{[^}'"]*\}/
DOLLAR_VAR: /\$[^\W\d][\w.-]*/
NAME: /[^\W\d][\w.-]*(:[^\W\d][\w.-]*)?/

%ignore /\s+/
"""

#: Function name -> (fewest, most) arguments; ``None`` means no upper limit.
_ARITY: Final[Mapping[str, tuple[int, int | None]]] = {
    "boolean": (1, 1),
    "coalesce": (2, 2),
    "concat": (0, None),
    "count-selected": (1, 1),
    "date": (1, 1),
    "false": (0, 0),
    "if": (3, 3),
    "int": (1, 1),
    "not": (1, 1),
    "number": (1, 1),
    "regex": (2, 2),
    "round": (1, 2),
    "selected": (2, 2),
    "string": (1, 1),
    "string-length": (0, 1),
    "today": (0, 0),
    "true": (0, 0),
}

SUPPORTED_FUNCTIONS: Final = frozenset(_ARITY)
"""The functions forms may call; any other function is refused at upload."""

_UNSUPPORTED_TOKENS: Final[Mapping[str, str]] = {
    "SLASH": "paths such as '/data/age' are not supported; refer to fields as ${name}",
    "DOTDOT": "parent steps ('..') are not supported; refer to fields as ${name}",
    "LSQB": "predicates ('[...]') are not supported",
    "RSQB": "predicates ('[...]') are not supported",
    "PIPE": "the union operator '|' is not supported",
    "AT": "attributes ('@') are not supported",
    "AXIS": "axes ('::') are not supported",
    "DOLLAR_VAR": "XPath variables such as '$x' are not supported; refer to fields as ${name}",
}

_OPERAND_END: Final = frozenset({"NUMBER", "STRING", "REF", "DOT", "RPAR"})
_OPERAND_START: Final = frozenset({"NUMBER", "STRING", "REF", "DOT", "NAME", "LPAR", "MINUS"})


class _Builder(Transformer[Token, Expr]):
    """Builds the AST during LALR reductions; checks function calls."""

    def number(self, children: list[Token]) -> Expr:
        token = children[0]
        return NumberLiteral(float(token), token.start_pos or 0)

    def string(self, children: list[Token]) -> Expr:
        token = children[0]
        return StringLiteral(str(token)[1:-1], token.start_pos or 0)

    def reference(self, children: list[Token]) -> Expr:
        token = children[0]
        return Reference(str(token)[2:-1], token.start_pos or 0)

    def current(self, children: list[Token]) -> Expr:
        return Current(children[0].start_pos or 0)

    def negate(self, children: list[Token | Expr]) -> Expr:
        minus, operand = children
        assert isinstance(minus, Token) and isinstance(operand, Expr)
        return Negate(operand, minus.start_pos or 0)

    def binary(self, children: list[Token | Expr]) -> Expr:
        left, op, right = children
        assert isinstance(op, Token) and isinstance(left, Expr) and isinstance(right, Expr)
        return BinaryOp(str(op), left, right, op.start_pos or 0)

    def logical(self, children: list[Token | Expr]) -> Expr:
        left, op, right = children
        assert isinstance(op, Token) and isinstance(left, Expr) and isinstance(right, Expr)
        if isinstance(left, Logical) and left.op == str(op):
            return Logical(left.op, (*left.operands, right), left.position)
        return Logical(str(op), (left, right), op.start_pos or 0)

    def arguments(self, children: list[Expr]) -> tuple[Expr, ...]:
        return tuple(children)

    def call(self, children: list[Token | tuple[Expr, ...] | None]) -> Expr:
        name_token, args = children
        assert isinstance(name_token, Token)
        name, position = str(name_token), name_token.start_pos or 0
        arguments: tuple[Expr, ...] = args if isinstance(args, tuple) else ()
        _check_call(name, arguments, position)
        return Call(name, arguments, position)

    def unsupported(self, children: list[Token]) -> NoReturn:  # pragma: no cover
        # The token scan refuses these before parsing; this is a safety net.
        token = children[0]
        raise ExpressionError(
            _UNSUPPORTED_TOKENS[token.type], construct=str(token), position=token.start_pos
        )


def _check_call(name: str, args: tuple[Expr, ...], position: int) -> None:
    fewest, most = _ARITY[name]
    if len(args) < fewest or (most is not None and len(args) > most):
        if most is None:
            expected = f"at least {fewest}"
        elif fewest == most:
            expected = str(fewest)
        else:
            expected = f"{fewest} or {most}"
        plural = "" if expected == "1" else "s"
        raise ExpressionError(
            f"function '{name}' takes {expected} argument{plural}, not {len(args)}",
            position=position,
        )
    if name == "selected" and isinstance(args[1], NumberLiteral):
        raise ExpressionError(
            "the second argument of selected() is a choice name and must be in quotes, like '1'",
            position=args[1].position,
        )
    if name == "regex" and isinstance(args[1], StringLiteral):
        try:
            re.compile(args[1].value)
        except re.error as exc:
            raise ExpressionError(
                f"invalid regular expression {args[1].value!r}: {exc.msg}",
                position=args[1].position,
            ) from None


_PARSER: Final = Lark(
    _GRAMMAR, parser="lalr", lexer="basic", transformer=_Builder(), maybe_placeholders=True
)


def _lex(text: str) -> tuple[list[Token], ExpressionError | None]:
    """All tokens up to the first lexing error, and that error if any."""
    tokens: list[Token] = []
    try:
        for token in _PARSER.lex(text):
            tokens.append(token)
    except UnexpectedCharacters as exc:
        return tokens, _lexing_error(text, exc.pos_in_stream or 0)
    return tokens, None


def _lexing_error(text: str, position: int) -> ExpressionError:
    char = text[position]
    if char in "'\"":
        return ExpressionError("unterminated string: no closing quote", position=position)
    if text.startswith("${", position):
        return ExpressionError("unterminated field reference: no closing '}'", position=position)
    return ExpressionError(f"unexpected character {char!r}", position=position)


def _reject_unsupported(tokens: list[Token]) -> None:
    """Name the first construct outside the subset, if there is one."""
    for index, token in enumerate(tokens):
        position = token.start_pos
        if token.type in _UNSUPPORTED_TOKENS:
            raise ExpressionError(
                _UNSUPPORTED_TOKENS[token.type], construct=str(token), position=position
            )
        if token.type == "NAME":
            followed_by_call = index + 1 < len(tokens) and tokens[index + 1].type == "LPAR"
            if not followed_by_call:
                raise ExpressionError(
                    f"bare name '{token}' is not supported: write ${{{token}}} for a field "
                    f"or '{token}' for a text",
                    construct=str(token),
                    position=position,
                )
            if str(token) not in SUPPORTED_FUNCTIONS:
                raise ExpressionError(
                    f"function '{token}' is not supported", construct=str(token), position=position
                )
        if token.type == "REF":
            name = str(token)[2:-1]
            if name.startswith("last-saved#"):
                raise ExpressionError(
                    "last-saved references are not supported",
                    construct=str(token),
                    position=position,
                )
            if not _FIELD_NAME_RE.fullmatch(name):
                raise ExpressionError(
                    f"'{token}' is not a valid field reference", position=position
                )


def _check_parentheses(tokens: list[Token]) -> None:
    open_positions: list[int] = []
    for token in tokens:
        if token.type == "LPAR":
            open_positions.append(token.start_pos or 0)
        elif token.type == "RPAR":
            if not open_positions:
                raise ExpressionError("')' has no matching '('", position=token.start_pos)
            open_positions.pop()
    if open_positions:
        raise ExpressionError("'(' is never closed", position=open_positions[0])


def _describe(token: Token) -> str:
    kinds = {"NUMBER": "number ", "STRING": "text ", "REF": "field reference "}
    return f"{kinds[token.type]}{token}" if token.type in kinds else f"'{token}'"


def _syntax_error(exc: UnexpectedInput, text: str, tokens: list[Token]) -> ExpressionError:
    if isinstance(exc, UnexpectedToken) and exc.token.type != "$END":
        token = exc.token
        index = next((i for i, t in enumerate(tokens) if t.start_pos == token.start_pos), 0)
        previous = tokens[index - 1] if index > 0 else None
        if previous is not None and previous.type in _OPERAND_END and token.type in _OPERAND_START:
            return ExpressionError(
                f"missing operator between {_describe(previous)} and {_describe(token)}",
                position=token.start_pos,
            )
        return ExpressionError(f"unexpected {_describe(token)}", position=token.start_pos)
    if tokens:
        last = tokens[-1]
        return ExpressionError(
            f"expression ends unexpectedly after {_describe(last)}", position=last.start_pos
        )
    return ExpressionError("empty expression", position=0)  # pragma: no cover


def _check_depth(expr: Expr) -> None:
    stack = [(expr, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ExpressionError(
                f"expression is nested too deeply (more than {MAX_DEPTH} levels)",
                position=getattr(node, "position", None),
            )
        stack.extend((child, depth + 1) for child in _children(node))


@functools.lru_cache(maxsize=4096)
def parse(text: str) -> Expr:
    """Parse an XLSForm expression into an immutable tree.

    Raises :class:`ExpressionError` if the text is malformed or uses a
    construct outside the subset. Results are cached: forms reuse the same
    expressions for every submission.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be text, not {type(text).__name__}")
    if not text.strip():
        raise ExpressionError("empty expression", position=0)
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(
            f"expression is longer than {MAX_EXPRESSION_LENGTH} characters", position=0
        )
    tokens, lexing_error = _lex(text)
    _reject_unsupported(tokens)
    if lexing_error is not None:
        raise lexing_error
    _check_parentheses(tokens)
    try:
        expr = _PARSER.parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(exc, text, tokens) from None
    assert isinstance(expr, Expr)
    _check_depth(expr)
    return expr


# --------------------------------------------------------------------------
# Type conversions (XPath 1.0 section 4, as JavaRosa implements them)
# --------------------------------------------------------------------------


def _normalize(raw: object, where: str) -> Value:
    """Turn a submitted value into one of the four XPath value types."""
    if raw is None:
        return ""
    if isinstance(raw, bool | str):
        return raw
    if isinstance(raw, numbers.Real | Decimal):
        return float(raw)
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, list | tuple | set | frozenset):
        return " ".join(str(item) for item in raw)
    raise ExpressionError(f"{where} has a value of unsupported type {type(raw).__name__}")


def _days(day: dt.date) -> float:
    return float((day - _EPOCH).days)


def _parse_date(text: str, *, allow_time: bool) -> dt.date | None:
    match = (_DATE_TIME_RE if allow_time else _DATE_RE).fullmatch(text.strip())
    if match is None:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _text_to_number(text: str) -> float:
    text = text.strip()
    day = _parse_date(text, allow_time=False)
    if day is not None:
        return _days(day)
    text = text.replace(",", ".")
    if not text or any(char not in "-.0123456789" for char in text):
        return math.nan
    try:
        return float(text)
    except ValueError:
        return math.nan


def to_number(value: object) -> float:
    """XPath ``number()``: ``''`` and non-numeric text give NaN; dates give days since 1970."""
    value = _normalize(value, "value")
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        return _text_to_number(value)
    return _days(value)


def _format_number(number: float) -> str:
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if abs(number) < _EPSILON:
        return "0"
    if number.is_integer():
        return str(int(number))
    return format(Decimal(repr(number)), "f")


def to_string(value: object) -> str:
    """XPath ``string()``: the text ODK would store for a calculated value."""
    value = _normalize(value, "value")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _format_number(value)
    if isinstance(value, str):
        return value
    return value.isoformat()


def truthy(value: object) -> bool:
    """XPath ``boolean()``: ``''``, 0 and NaN are false; any other text, number or date is true."""
    value = _normalize(value, "value")
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return abs(value) > _EPSILON
    if isinstance(value, str):
        return value != ""
    return True


def _to_date(value: Value) -> Value:
    """The ``date()`` function: text or a day number to a date; ``''`` and NaN stay empty."""
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        if value == "":
            return value
        day = _parse_date(value, allow_time=True)
        if day is not None:
            return day
        number = _text_to_number(value)
        if math.isnan(number):
            raise ExpressionError(f"cannot convert {value!r} to a date")
        value = number
    if isinstance(value, bool):
        raise ExpressionError(f"cannot convert {to_string(value)} to a date")
    if math.isnan(value):
        return value
    try:
        return _EPOCH + dt.timedelta(days=math.trunc(value))
    except (OverflowError, ValueError):
        raise ExpressionError(f"{to_string(value)} is out of range for a date") from None


# --------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Context:
    values: Mapping[str, object]
    today: dt.date
    current: Value


def evaluate(
    expr: Expr, values: Mapping[str, object], *, today: dt.date, current: object = None
) -> Value:
    """Evaluate a parsed expression against one submission.

    ``values`` maps field names to the submitted values as ODK stores them:
    text (``''`` when not answered), select_multiple choices separated by
    spaces, dates as ``YYYY-MM-DD``, numbers as text or as numbers. A name
    missing from ``values`` reads as ``''``. ``today`` is the value of
    ``today()``: it is passed in so that a submission is judged against the
    day it was made, and so that tests are deterministic. ``current`` is
    the value of ``.``.

    Returns a ``str``, ``float``, ``bool`` or ``datetime.date``; use
    :func:`truthy` for relevant/constraint/required and :func:`to_string`
    for a calculate. Raises only :class:`ExpressionError`: for a value of
    an unsupported Python type, an invalid regular expression, or text that
    ``date()`` cannot read.
    """
    if isinstance(today, dt.datetime):
        today = today.date()
    context = _Context(values, today, _normalize(current, "the current value"))
    return _eval(expr, context)


def _eval(node: Expr, context: _Context) -> Value:
    match node:
        case NumberLiteral(value=value) | StringLiteral(value=value):
            return value
        case Reference(name=name):
            return _normalize(context.values.get(name, ""), f"${{{name}}}")
        case Current():
            return context.current
        case Negate(operand=operand):
            return -to_number(_eval(operand, context))
        case Logical(op="and", operands=operands):
            return all(truthy(_eval(operand, context)) for operand in operands)
        case Logical(operands=operands):
            return any(truthy(_eval(operand, context)) for operand in operands)
        case BinaryOp(op=op, left=left, right=right):
            return _binary(op, _eval(left, context), _eval(right, context))
        case Call():
            return _call(node, context)
    raise AssertionError(f"unknown node {node!r}")  # pragma: no cover


def _equals(left: Value, right: Value) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return truthy(left) == truthy(right)
    if isinstance(left, float) or isinstance(right, float):
        a, b = to_number(left), to_number(right)
        return a == b or abs(a - b) < _EPSILON
    return to_string(left) == to_string(right)


def _divide(a: float, b: float) -> float:
    if b == 0:
        if a == 0 or math.isnan(a):
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def _modulo(a: float, b: float) -> float:
    if b == 0 or math.isnan(a) or math.isnan(b) or math.isinf(a):
        return math.nan
    if math.isinf(b):
        return a
    return math.fmod(a, b)


def _binary(op: str, left: Value, right: Value) -> Value:
    if op == "=":
        return _equals(left, right)
    if op == "!=":
        return not _equals(left, right)
    a, b = to_number(left), to_number(right)
    match op:
        case "<":
            return a < b
        case "<=":
            return a <= b
        case ">":
            return a > b
        case ">=":
            return a >= b
        case "+":
            return a + b
        case "-":
            return a - b
        case "*":
            return a * b
        case "div":
            return _divide(a, b)
        case "mod":
            return _modulo(a, b)
    raise AssertionError(f"unknown operator {op!r}")  # pragma: no cover


def _utf16_length(text: str) -> float:
    return float(len(text.encode("utf-16-le")) // 2)


def _round(number: float, places: float) -> float:
    if math.isnan(number) or math.isinf(number):
        return number
    digits = 0 if math.isnan(places) else places
    if abs(digits) > 30:
        return math.nan
    quantum = Decimal(1).scaleb(-math.trunc(digits))
    mode = ROUND_HALF_UP if number >= 0 else ROUND_HALF_DOWN
    try:
        return float(Decimal(repr(number)).quantize(quantum, rounding=mode))
    except InvalidOperation:  # more digits than Decimal keeps: already that precise
        return number


def _regex(text: str, pattern: str) -> bool:
    try:
        return re.fullmatch(pattern, text) is not None
    except re.error as exc:
        raise ExpressionError(f"invalid regular expression {pattern!r}: {exc.msg}") from None


def _call(node: Call, context: _Context) -> Value:
    name, args = node.name, node.args
    # Functions that must not evaluate every argument.
    if name == "if":
        chosen = args[1] if truthy(_eval(args[0], context)) else args[2]
        return _eval(chosen, context)
    if name == "coalesce":
        first = _eval(args[0], context)
        empty = first == "" or (isinstance(first, float) and math.isnan(first))
        return _eval(args[1], context) if empty else first

    values = [_eval(arg, context) for arg in args]
    match name:
        case "selected":
            choice = to_string(values[1]).strip()
            return choice != "" and choice in to_string(values[0]).split()
        case "count-selected":
            return float(len(to_string(values[0]).split()))
        case "string-length":
            return _utf16_length(to_string(values[0] if values else context.current))
        case "today":
            return context.today
        case "not":
            return not truthy(values[0])
        case "concat":
            return "".join(to_string(value) for value in values)
        case "int":
            number = to_number(values[0])
            return number if math.isnan(number) or math.isinf(number) else float(math.trunc(number))
        case "number":
            return to_number(values[0])
        case "string":
            return to_string(values[0])
        case "round":
            places = to_number(values[1]) if len(values) > 1 else 0.0
            return _round(to_number(values[0]), places)
        case "true":
            return True
        case "false":
            return False
        case "boolean":
            return truthy(values[0])
        case "date":
            return _to_date(values[0])
        case "regex":
            return _regex(to_string(values[0]), to_string(values[1]))
    raise AssertionError(f"unknown function {name!r}")  # pragma: no cover


# --------------------------------------------------------------------------
# Calculation order
# --------------------------------------------------------------------------


def calculation_order(calculations: Mapping[str, str]) -> list[str]:
    """Order calculated fields so that each comes after the calculations it reads.

    ``calculations`` maps field name to its ``calculate`` expression, in form
    order; fields not in it are inputs. A calculation that reads ``.`` reads
    its own value, so it counts as a cycle of one. Raises :class:`CycleError`
    for a cycle, and :class:`ExpressionError` (its message starting with the
    field name) for an expression that does not parse.
    """
    form_order = {name: index for index, name in enumerate(calculations)}
    uses: dict[str, list[str]] = {}
    for name, text in calculations.items():
        try:
            expr = parse(text)
        except ExpressionError as exc:
            raise ExpressionError(
                f"calculation of '{name}': {exc.description}",
                construct=exc.construct,
                position=exc.position,
            ) from exc
        used = set(references(expr) & form_order.keys())
        if uses_current(expr):
            used.add(name)
        uses[name] = sorted(used, key=form_order.__getitem__)

    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for name in calculations:
        sorter.add(name, *uses[name])
    try:
        return list(sorter.static_order())
    except graphlib.CycleError as exc:
        raise CycleError(_orient_cycle(exc.args[1][:-1], uses, form_order)) from None


def _orient_cycle(
    cycle: list[str], uses: Mapping[str, list[str]], form_order: Mapping[str, int]
) -> list[str]:
    """The cycle as "each uses the next", starting at the field that comes first in the form."""
    if len(cycle) > 1 and cycle[1] not in uses[cycle[0]]:
        cycle = cycle[::-1]
    start = min(range(len(cycle)), key=lambda index: form_order[cycle[index]])
    return cycle[start:] + cycle[:start]
