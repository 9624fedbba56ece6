"""The XLSForm expression subset: parsing, XPath/JavaRosa semantics, calculation order."""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import itertools
import math
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bridgeway.forms import xpath
from bridgeway.forms.xpath import (
    SUPPORTED_FUNCTIONS,
    CycleError,
    Expr,
    ExpressionError,
    calculation_order,
    evaluate,
    parse,
    references,
    to_number,
    to_string,
    truthy,
)

TODAY = dt.date(2024, 6, 15)
DOB = dt.date(2012, 3, 1)
NAN = math.nan
INF = math.inf

VALUES: dict[str, object] = {
    "age": "12",
    "empty": "",
    "name": "Amina",
    "choices": "school health  family",
    "dob": DOB.isoformat(),
    "later": "2024-07-01",
    "decimal": "2.5",
    "comma": "2,5",
    "flag_text": "false",
    "number": 7,
}


def run(text: str, values: dict[str, object] | None = None, current: object = None) -> object:
    return evaluate(parse(text), VALUES if values is None else values, today=TODAY, current=current)


def same(actual: object, expected: object) -> bool:
    """Equality that treats NaN as equal to NaN and keeps bool apart from float."""
    if isinstance(expected, float) and math.isnan(expected):
        return isinstance(actual, float) and math.isnan(actual)
    return type(actual) is type(expected) and actual == expected


def days(day: dt.date) -> float:
    return float((day - dt.date(1970, 1, 1)).days)


# --------------------------------------------------------------------------
# Operators
# --------------------------------------------------------------------------

ARITHMETIC = [
    ("1 + 2", 3.0),
    ("7 - 10", -3.0),
    ("2 * 3.5", 7.0),
    ("7 div 2", 3.5),
    ("7 mod 3", 1.0),
    ("-7 mod 3", -1.0),
    ("7 mod -3", 1.0),
    ("5.5 mod 2", 1.5),
    (".5 + 1", 1.5),
    ("5. + 1", 6.0),
    ("-3", -3.0),
    ("- -3", 3.0),
    ("--3", 3.0),
    ("1 - -2", 3.0),
    ("${age} + 1", 13.0),
    ("${decimal} * 2", 5.0),
    ("${comma} * 2", 5.0),
    ("${number} + 1", 8.0),
    ("true() + true()", 2.0),
    ("${empty} + 1", NAN),
    ("'abc' * 2", NAN),
    ("-${empty}", NAN),
    ("1 div 0", INF),
    ("-1 div 0", -INF),
    ("1 div -0", -INF),
    ("0 div 0", NAN),
    ("5 mod 0", NAN),
    ("(1 div 0) mod 2", NAN),
    ("5 mod (1 div 0)", 5.0),
    ("(1 div 0) - (1 div 0)", NAN),
]


@pytest.mark.parametrize(("text", "expected"), ARITHMETIC)
def test_arithmetic(text: str, expected: float) -> None:
    assert same(run(text), expected)


PRECEDENCE = [
    ("1 + 2 * 3", 7.0),
    ("(1 + 2) * 3", 9.0),
    ("10 - 4 - 3", 3.0),
    ("2 * 3 mod 4", 2.0),
    ("12 div 2 div 3", 2.0),
    ("-2 * 3", -6.0),
    ("-(2 + 3)", -5.0),
    ("1 + 2 > 2 + 0", True),
    ("1 < 2 = true()", True),
    ("3 > 2 > 1", False),
    ("1 = 1 and 2 = 3", False),
    ("true() or false() and false()", True),
    ("false() and false() or true()", True),
    ("(true() or false()) and false()", False),
    ("not(false()) and true()", True),
    ("not(true() and false())", True),
]


@pytest.mark.parametrize(("text", "expected"), PRECEDENCE)
def test_precedence(text: str, expected: object) -> None:
    assert same(run(text), expected)


@pytest.mark.parametrize(("a", "b"), list(itertools.product(["", "x"], repeat=2)))
def test_not_binds_only_its_argument(a: str, b: str) -> None:
    assert run("not(${a}) and ${b}", {"a": a, "b": b}) is (a == "" and b != "")


@pytest.mark.parametrize(("a", "b", "c"), list(itertools.product(["", "x"], repeat=3)))
def test_and_binds_tighter_than_or(a: str, b: str, c: str) -> None:
    expected = bool(a) or (bool(b) and bool(c))
    assert run("${a} or ${b} and ${c}", {"a": a, "b": b, "c": c}) is expected


COMPARISONS = [
    ("${age} > 5", True),
    ("${age} > 50", False),
    ("${age} >= 12", True),
    ("${age} <= 11", False),
    ("1 < 1", False),
    ("1 <= 1", True),
    ("2 >= 1", True),
    # empty values are NaN in numeric comparisons: every comparison is false
    ("${empty} > 5", False),
    ("${empty} < 5", False),
    ("${empty} = 0", False),
    ("${empty} != 0", True),
    ("${missing} > 0", False),
    ("${empty} = ''", True),
    ("${missing} = ''", True),
    # number against text: the text becomes a number
    ("${age} = 12", True),
    ("${age} = 12.0", True),
    ("' 12 ' = 12", True),
    ("${comma} = 2.5", True),
    ("'1e3' = 1000", False),
    ("'+5' = 5", False),
    # two texts compare as texts for = and as numbers for <
    ("${age} = '12'", True),
    ("${age} = '12.0'", False),
    ("'abc' = 'abc'", True),
    ("'abc' != 'abd'", True),
    ("'abc' < 'abd'", False),
    ("'10' < '9'", False),
    ("'9' < '10'", True),
    # booleans win: the other side is converted to a boolean
    ("true() = 'x'", True),
    ("false() = ''", True),
    ("true() = 1", True),
    ("2 = true()", True),
    ("false() = 0", True),
    ("${flag_text} = true()", True),
    # floating point equality within 1e-12, NaN equal to nothing
    ("0.1 + 0.2 = 0.3", True),
    ("1 div 0 = 1 div 0", True),
    ("0 div 0 = 0 div 0", False),
    ("0 div 0 != 0 div 0", True),
]


@pytest.mark.parametrize(("text", "expected"), COMPARISONS)
def test_comparisons_and_coercion(text: str, expected: bool) -> None:
    assert run(text) is expected


def test_a_typed_number_makes_equality_numeric() -> None:
    assert run("${n} = '5.0'", {"n": 5}) is True
    assert run("${n} = '5.0'", {"n": "5"}) is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("false() and date('not a date')", False),
        ("true() or date('not a date')", True),
        ("if(true(), 1, date('not a date'))", 1.0),
        ("if(false(), date('not a date'), 2)", 2.0),
        ("coalesce(${name}, date('not a date'))", "Amina"),
    ],
)
def test_short_circuit_skips_the_unneeded_operand(text: str, expected: object) -> None:
    assert same(run(text), expected)


def test_the_skipped_operand_would_have_raised() -> None:
    with pytest.raises(ExpressionError, match="cannot convert 'not a date' to a date"):
        run("true() and date('not a date')")


# --------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------

DATES = [
    ("today()", TODAY),
    ("${dob} < today()", True),
    ("${later} > today()", True),
    ("${dob} < '2012-03-02'", True),
    ("${dob} > '2012-02-29'", True),
    ("today() = '2024-06-15'", True),
    ("'2024-06-15' = today()", True),
    ("today() != '2024-06-16'", True),
    ("${dob} = date('2012-03-01')", True),
    ("date(${dob}) < today()", True),
    ("today() - ${dob}", float((TODAY - DOB).days)),
    ("int((today() - ${dob}) div 365.25)", 12.0),
    ("number(${dob})", days(DOB)),
    ("date('2024-01-31') + 1", days(dt.date(2024, 2, 1))),
    ("date(date('2024-01-31') + 1)", dt.date(2024, 2, 1)),
    ("date(today() - 1)", dt.date(2024, 6, 14)),
    ("date(0)", dt.date(1970, 1, 1)),
    ("date(-1)", dt.date(1969, 12, 31)),
    ("date(1.9)", dt.date(1970, 1, 2)),
    ("date('19000')", dt.date(1970, 1, 1) + dt.timedelta(days=19000)),
    ("date('2024-06-15T10:20:30.400+02:00')", dt.date(2024, 6, 15)),
    ("date('2024-06-15T10:20')", dt.date(2024, 6, 15)),
    ("date('')", ""),
    ("date(0 div 0)", NAN),
    ("string(today())", "2024-06-15"),
    ("concat('on ', today())", "on 2024-06-15"),
    ("${empty} < today()", False),
    ("'2024-02-30' < today()", False),
    ("'20240101' < today()", False),
    ("boolean(today())", True),
]


@pytest.mark.parametrize(("text", "expected"), DATES)
def test_dates(text: str, expected: object) -> None:
    assert same(run(text), expected)


@pytest.mark.parametrize(
    "text", ["date('not a date')", "date(true())", "date(1 div 0)", "date(99999999)"]
)
def test_impossible_dates_raise(text: str) -> None:
    with pytest.raises(ExpressionError, match="date"):
        run(text)


def test_today_accepts_a_datetime() -> None:
    moment = dt.datetime(2024, 6, 15, 23, 59, tzinfo=dt.UTC)
    assert evaluate(parse("today()"), {}, today=moment) == TODAY


# --------------------------------------------------------------------------
# Functions
# --------------------------------------------------------------------------

FUNCTIONS = [
    ("selected(${choices}, 'health')", True),
    ("selected(${choices}, 'family')", True),
    ("selected(${choices}, ' family ')", True),
    ("selected(${choices}, 'heal')", False),
    ("selected(${choices}, 'school health')", False),
    ("selected(${empty}, 'x')", False),
    ("selected(${missing}, 'x')", False),
    ("selected(${choices}, '')", False),
    ("selected('a', 'a')", True),
    ("count-selected(${choices})", 3.0),
    ("count-selected(${empty})", 0.0),
    ("count-selected('  a  ')", 1.0),
    ("string-length(${name})", 5.0),
    ("string-length(${empty})", 0.0),
    ("string-length('é')", 1.0),
    ("string-length('\U0001f600')", 2.0),
    ("string-length(12.50)", 4.0),
    ("if(${age} > 5, 'older', 'younger')", "older"),
    ("if(${empty}, 1, 2)", 2.0),
    ("if('x', 1, 2)", 1.0),
    ("not(${empty})", True),
    ("not('false')", False),
    ("not(0)", True),
    ("not(0 div 0)", True),
    ("concat()", ""),
    ("concat('a')", "a"),
    ("concat('a', ${empty}, 5.0, 2.5, true(), today())", "a52.5true2024-06-15"),
    ('concat("it\'s", \' "quoted"\')', 'it\'s "quoted"'),
    ("coalesce(${empty}, 'x')", "x"),
    ("coalesce(${name}, 'x')", "Amina"),
    ("coalesce(0 div 0, 3)", 3.0),
    ("coalesce(0, 3)", 0.0),
    ("int(3.7)", 3.0),
    ("int(-3.7)", -3.0),
    ("int('12.9')", 12.0),
    ("int(${empty})", NAN),
    ("int(1 div 0)", INF),
    ("number('12')", 12.0),
    ("number(' -4.5 ')", -4.5),
    ("number('')", NAN),
    ("number('abc')", NAN),
    ("number('1-2')", NAN),
    ("number('-')", NAN),
    ("number(true())", 1.0),
    ("number(false())", 0.0),
    ("string(5)", "5"),
    ("string(5.0)", "5"),
    ("string(2.50)", "2.5"),
    ("string(-0)", "0"),
    ("string(0.0000001)", "0.0000001"),
    ("string(1000000 * 1000000 * 1000000)", "1000000000000000000"),
    ("string(1 div 0)", "Infinity"),
    ("string(-1 div 0)", "-Infinity"),
    ("string(0 div 0)", "NaN"),
    ("string(true())", "true"),
    ("string(false())", "false"),
    ("string(${empty})", ""),
    ("round(2.5)", 3.0),
    ("round(2.4)", 2.0),
    ("round(-2.5)", -2.0),
    ("round(-2.6)", -3.0),
    ("round(1.005, 2)", 1.01),
    ("round(1234.5678, 2)", 1234.57),
    ("round(1250, -2)", 1300.0),
    ("round(33.33, -1)", 30.0),
    ("round(2.5, ${empty})", 3.0),
    ("round(1, 31)", NAN),
    ("round(0 div 0)", NAN),
    ("round(${empty})", NAN),
    ("true()", True),
    ("false()", False),
    ("boolean('')", False),
    ("boolean('false')", True),
    ("boolean(0)", False),
    ("boolean(-0.5)", True),
    ("boolean(0 div 0)", False),
    ("regex('abc', 'a.c')", True),
    ("regex('abcd', 'a.c')", False),
    ("regex('xabc', 'abc')", False),
    ("regex(${empty}, '[0-9]*')", True),
    ("regex('0712345678', '0[0-9]{9}')", True),
    ("regex(12, '[0-9]+')", True),
]


@pytest.mark.parametrize(("text", "expected"), FUNCTIONS)
def test_functions(text: str, expected: object) -> None:
    assert same(run(text), expected)


def test_every_supported_function_is_exercised() -> None:
    called = {
        node.name
        for text, _ in FUNCTIONS + DATES
        for node in xpath._walk(parse(text))
        if isinstance(node, xpath.Call)
    }
    assert called == SUPPORTED_FUNCTIONS


def test_an_invalid_pattern_from_a_field_raises() -> None:
    with pytest.raises(ExpressionError, match="invalid regular expression"):
        run("regex('a', ${p})", {"p": "("})


CURRENT = [
    (". > 3", 5, True),
    (". > 3", "5", True),
    (". > 3", "", False),
    (". > 3", None, False),
    (".", None, ""),
    (". = 'yes'", "yes", True),
    ("string-length(.) <= 3", "abcd", False),
    ("string-length() <= 3", "abc", True),
    ("selected(., 'b')", "a b", True),
    (". < today()", "2024-06-14", True),
    ("regex(., '[A-Z]{2}[0-9]{4}')", "AB1234", True),
]


@pytest.mark.parametrize(("text", "current", "expected"), CURRENT)
def test_current_value(text: str, current: object, expected: object) -> None:
    assert same(run(text, current=current), expected)


# --------------------------------------------------------------------------
# Submitted values and conversions
# --------------------------------------------------------------------------

RAW_VALUES = [
    (Decimal("1.5"), "${v} + 1", 2.5),
    (3, "${v} * 2", 6.0),
    (None, "${v} = ''", True),
    (True, "${v} = 1", True),
    (dt.date(2020, 1, 1), "${v} < today()", True),
    (dt.datetime(2020, 1, 1, 12, 0, tzinfo=dt.UTC), "string(${v})", "2020-01-01"),
    (["a", "b"], "count-selected(${v})", 2.0),
    (("a", "b"), "selected(${v}, 'b')", True),
]


@pytest.mark.parametrize(("raw", "text", "expected"), RAW_VALUES)
def test_python_values_are_accepted(raw: object, text: str, expected: object) -> None:
    assert same(run(text, {"v": raw}), expected)


def test_a_value_of_unknown_type_raises_expression_error() -> None:
    with pytest.raises(ExpressionError, match=r"\$\{v\} has a value of unsupported type object"):
        run("${v}", {"v": object()})


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", False),
        ("0", True),
        ("false", True),
        (" ", True),
        (0, False),
        (0.0, False),
        (1e-13, False),
        (-1, True),
        (NAN, False),
        (None, False),
        (True, True),
        (False, False),
        (TODAY, True),
    ],
)
def test_truthy(raw: object, expected: bool) -> None:
    assert truthy(raw) is expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", NAN),
        ("12", 12.0),
        ("-.5", -0.5),
        ("1,5", 1.5),
        ("1.2.3", NAN),
        ("Infinity", NAN),
        ("2024-06-15", days(TODAY)),
        ("2024-13-01", NAN),
        (True, 1.0),
        (TODAY, days(TODAY)),
        (Decimal("2.25"), 2.25),
    ],
)
def test_to_number(raw: object, expected: float) -> None:
    assert same(to_number(raw), expected)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (5.0, "5"),
        (5, "5"),
        (-2.5, "-2.5"),
        (1e-13, "0"),
        (1e20, "100000000000000000000"),
        (NAN, "NaN"),
        (None, ""),
        (True, "true"),
        (TODAY, "2024-06-15"),
        (["a", "b"], "a b"),
    ],
)
def test_to_string(raw: object, expected: str) -> None:
    assert to_string(raw) == expected


# --------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------

SYNTAX_ERRORS = [
    ("", 0, "empty expression"),
    ("   ", 0, "empty expression"),
    ("(1 + 2", 0, "'(' is never closed"),
    ("((1)", 0, "'(' is never closed"),
    ("1 + 2)", 5, "')' has no matching '('"),
    ("1 +", 2, "expression ends unexpectedly after '+'"),
    ("${a} and", 5, "expression ends unexpectedly after 'and'"),
    ("1 + 2 *", 6, "expression ends unexpectedly after '*'"),
    ("'abc", 0, "unterminated string"),
    ('1 = "abc', 4, "unterminated string"),
    ("${a", 0, "unterminated field reference"),
    ("1 2", 2, "missing operator between number 1 and number 2"),
    ("${a} 'x'", 5, "missing operator between field reference ${a} and text 'x'"),
    ("1 = = 2", 4, "unexpected '='"),
    ("* 2", 0, "unexpected '*'"),
    ("concat(1,)", 9, "unexpected ')'"),
    ("(,)", 1, "unexpected ','"),
    ("1 # 2", 2, "unexpected character '#'"),
    ("${1a} > 0", 0, "'${1a}' is not a valid field reference"),
    ("${ a }", 0, "is not a valid field reference"),
    ("today(1)", 0, "function 'today' takes 0 arguments, not 1"),
    ("if(1, 2)", 0, "function 'if' takes 3 arguments, not 2"),
    ("count-selected()", 0, "function 'count-selected' takes 1 argument, not 0"),
    ("round()", 0, "function 'round' takes 1 or 2 arguments, not 0"),
    ("1 + selected(${a})", 4, "function 'selected' takes 2 arguments, not 1"),
    ("selected(${a}, 1)", 15, "must be in quotes"),
    ("regex(., '[')", 9, "invalid regular expression '['"),
]


@pytest.mark.parametrize(("text", "position", "message"), SYNTAX_ERRORS)
def test_syntax_errors_say_where(text: str, position: int, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    error = caught.value
    assert message in str(error)
    assert error.position == position
    assert f"(at character {position + 1})" in str(error)
    assert error.construct is None


UNSUPPORTED = [
    ("pulldata('fruits', 'name', 'key', ${k})", "pulldata", 0, "function 'pulldata' is not"),
    ("${a} + instance('list')/root/item", "instance", 7, "function 'instance' is not"),
    ("position(..)", "position", 0, "function 'position' is not"),
    ("now()", "now", 0, "function 'now' is not"),
    ("sum(${a})", "sum", 0, "function 'sum' is not"),
    ("current()/../x", "current", 0, "function 'current' is not"),
    ("1 + (2 * indexed-repeat(${x}, ${r}, 1))", "indexed-repeat", 9, "'indexed-repeat'"),
    ("${a} = jr:choice-name(${a}, '${a}')", "jr:choice-name", 7, "'jr:choice-name'"),
    ("/data/age > 3", "/", 0, "paths such as '/data/age' are not supported"),
    ("${a} // 2", "//", 5, "paths"),
    ("../age", "..", 0, "parent steps"),
    ("age > 3", "age", 0, "bare name 'age' is not supported"),
    ("${consent} = yes", "yes", 13, "write ${yes} for a field or 'yes' for a text"),
    ("${a}[1]", "[", 4, "predicates"),
    ("${a} | ${b}", "|", 5, "union operator"),
    ("@id = 1", "@", 0, "attributes"),
    ("$x + 1", "$x", 0, "XPath variables"),
    ("${last-saved#age} + 1", "${last-saved#age}", 0, "last-saved references"),
    # the unsupported construct is named even when a syntax error follows it
    ("(1 + pulldata('a'", "pulldata", 5, "function 'pulldata' is not"),
    ("1 @ 'unterminated", "@", 2, "attributes"),
]


@pytest.mark.parametrize(("text", "construct", "position", "message"), UNSUPPORTED)
def test_unsupported_constructs_are_named(
    text: str, construct: str, position: int, message: str
) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    error = caught.value
    assert error.construct == construct
    assert error.position == position
    assert message in str(error)


def test_a_syntax_error_before_an_unsupported_construct_is_still_reported_first() -> None:
    with pytest.raises(ExpressionError) as caught:
        parse("1 # pulldata('a')")
    assert caught.value.construct is None
    assert caught.value.position == 2


def test_expression_error_is_a_value_error_with_a_bare_description() -> None:
    with pytest.raises(ValueError, match="function 'pulldata' is not supported") as caught:
        parse("pulldata('a')")
    assert isinstance(caught.value, ExpressionError)
    assert caught.value.description == "function 'pulldata' is not supported"


def test_parse_is_cached_and_the_tree_is_immutable() -> None:
    text = "${a} + 1 > ${b}"
    tree = parse(text)
    assert parse(text) is tree
    assert parse.__wrapped__(text) == tree
    assert isinstance(tree, Expr)
    with pytest.raises(dataclasses.FrozenInstanceError):
        tree.op = "<"  # type: ignore[attr-defined]


def test_whitespace_and_newlines_are_ignored() -> None:
    assert run("\n  ${age}\t>\n5  ") is True


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("${a} + ${b} * ${a}", {"a", "b"}),
        ("1", set()),
        ("if(${c}, ${d}, concat(${e}, .))", {"c", "d", "e"}),
        ("'${not_a_reference}'", set()),
        ("${name.with-dots_and-hyphens} = 1", {"name.with-dots_and-hyphens"}),
    ],
)
def test_references(text: str, names: set[str]) -> None:
    assert references(parse(text)) == frozenset(names)


def test_a_long_or_chain_is_not_too_deep() -> None:
    text = " or ".join(f"${{a}} = '{index}'" for index in range(500))
    assert run(text, {"a": "499"}) is True
    assert run(text, {"a": "500"}) is False


def test_deep_nesting_is_refused() -> None:
    depth = xpath.MAX_DEPTH + 1
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse("not(" * depth + "1" + ")" * depth)
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse("- " * depth + "1")
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse("1" + " + 1" * depth)


def test_very_long_expressions_are_refused() -> None:
    with pytest.raises(ExpressionError, match="longer than"):
        parse("1" + " + 1" * 3000)


# --------------------------------------------------------------------------
# Calculation order
# --------------------------------------------------------------------------


def test_calculation_order_puts_dependencies_first() -> None:
    calculations = {
        "total": "${part_a} + ${part_b}",
        "part_a": "${input_a} * 2",
        "label": "concat('total: ', ${total})",
        "part_b": "${part_a} + ${input_b}",
        "standalone": "today()",
    }
    order = calculation_order(calculations)
    assert sorted(order) == sorted(calculations)
    position = {name: index for index, name in enumerate(order)}
    for name, text in calculations.items():
        for used in references(parse(text)) & calculations.keys():
            assert position[used] < position[name], (used, name)


@pytest.mark.parametrize(
    ("calculations", "cycle"),
    [
        ({"a": "${a} + 1"}, ["a"]),
        ({"a": ". + 1"}, ["a"]),
        ({"a": "${b}", "b": "${a}"}, ["a", "b"]),
        ({"x": "1", "a": "${b}", "b": "${c}", "c": "${a} + ${x}"}, ["a", "b", "c"]),
        ({"a": "${c}", "b": "${a}", "c": "${b}"}, ["a", "c", "b"]),
    ],
)
def test_cycles_are_refused_and_named(calculations: dict[str, str], cycle: list[str]) -> None:
    with pytest.raises(CycleError) as caught:
        calculation_order(calculations)
    assert caught.value.cycle == cycle
    path = " -> ".join([*cycle, cycle[0]])
    assert str(caught.value) == f"calculations form a cycle: {path}"
    assert isinstance(caught.value, ExpressionError)


def test_a_calculation_that_does_not_parse_is_named() -> None:
    with pytest.raises(ExpressionError) as caught:
        calculation_order({"ok": "1", "score": "pulldata('x')"})
    assert "calculation of 'score'" in str(caught.value)
    assert caught.value.construct == "pulldata"
    assert not isinstance(caught.value, CycleError)


def test_references_to_inputs_do_not_order_anything() -> None:
    assert calculation_order({"a": "${input} + 1", "b": "${other}"}) == ["a", "b"]


# --------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _Op:
    symbol: str
    left: object
    right: object


@dataclasses.dataclass(frozen=True)
class _Neg:
    operand: object


_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "mod": 2}
_arith_trees = st.recursive(
    st.integers(min_value=0, max_value=30),
    lambda children: st.one_of(
        st.builds(_Op, st.sampled_from(sorted(_PRECEDENCE)), children, children),
        st.builds(_Neg, children),
    ),
    max_leaves=8,
)


def _level(tree: object) -> int:
    if isinstance(tree, _Op):
        return _PRECEDENCE[tree.symbol]
    return 3 if isinstance(tree, _Neg) else 4


def _render(tree: object) -> str:
    """Text with only the parentheses precedence and left associativity need."""
    if isinstance(tree, int):
        return str(tree)
    if isinstance(tree, _Neg):
        inner = _render(tree.operand)
        return f"-({inner})" if _level(tree.operand) < 3 else f"- {inner}"
    assert isinstance(tree, _Op)
    level = _PRECEDENCE[tree.symbol]
    left, right = _render(tree.left), _render(tree.right)
    if _level(tree.left) < level:
        left = f"({left})"
    if _level(tree.right) <= level:
        right = f"({right})"
    return f"{left} {tree.symbol} {right}"


def _integer_value(tree: object) -> int | None:
    """The value in Python integers; None stands for NaN (mod by zero)."""
    if isinstance(tree, int):
        return tree
    if isinstance(tree, _Neg):
        value = _integer_value(tree.operand)
        return None if value is None else -value
    assert isinstance(tree, _Op)
    a, b = _integer_value(tree.left), _integer_value(tree.right)
    if a is None or b is None:
        return None
    if tree.symbol == "+":
        return a + b
    if tree.symbol == "-":
        return a - b
    if tree.symbol == "*":
        return a * b
    if b == 0:
        return None
    remainder = abs(a) % abs(b)  # XPath mod: truncating, sign of the dividend
    return -remainder if a < 0 else remainder


@given(_arith_trees)
def test_integer_arithmetic_agrees_with_python(tree: object) -> None:
    result = run(_render(tree), {})
    expected = _integer_value(tree)
    assert isinstance(result, float)
    if expected is None:
        assert math.isnan(result)
    else:
        assert result == expected


_SOUP = [
    *("1", "2.5", ".5", "'a'", '"b"', "${a}", "${b}", "${dob}", ".", "..", "/", "[", "]"),
    *("(", ")", ",", "+", "-", "*", "div", "mod", "=", "!=", "<", "<=", ">", ">="),
    *("and", "or", "|", "@", "$x", "${", "'", "#", "age"),
    *(f"{name}(" for name in sorted(SUPPORTED_FUNCTIONS)),
    *("pulldata(", "instance(", "position()"),
]


@given(st.lists(st.sampled_from(_SOUP), max_size=14).map(" ".join))
def test_token_soup_only_ever_raises_expression_error(text: str) -> None:
    try:
        tree = parse(text)
    except ExpressionError:
        return
    values = {"a": "x y", "b": "", "dob": "2012-03-01"}
    for current in (None, "3", 4.5):
        try:
            result = evaluate(tree, values, today=TODAY, current=current)
        except ExpressionError:
            continue
        assert isinstance(result, str | float | bool | dt.date)


@given(st.text(max_size=40))
def test_arbitrary_text_parses_or_raises_expression_error(text: str) -> None:
    try:
        parse(text)
    except ExpressionError as error:
        assert error.position is None or 0 <= error.position <= len(text)


@given(st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: abs(x) >= 1e-12))
def test_numbers_survive_a_round_trip_through_text(number: float) -> None:
    assert to_number(to_string(number)) == number


# --------------------------------------------------------------------------
# No dynamic code execution
# --------------------------------------------------------------------------


def test_the_module_never_calls_eval_or_exec() -> None:
    source = Path(xpath.__file__).read_text(encoding="utf-8")
    forbidden = {"eval", "exec", "compile", "__import__", "globals", "locals"}
    calls = {
        node.func.id
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert not calls & forbidden
    assert "builtins" not in source
