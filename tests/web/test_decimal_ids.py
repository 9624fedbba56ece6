"""An id typed in a URL or form is read only when it is decimal digits: "²" or "①" are
digits to Python's ``isdigit`` but ``int()`` refuses them (a crash, not a clear error)."""

from __future__ import annotations

import pytest

from bridgeway.web.views.base import int_or_none


@pytest.mark.parametrize("raw", ["\u00b2", "\u2460", "1\u00b2", "", "-1", "1.5", "12a"])
def test_only_decimal_digits_make_an_id(raw):
    assert int_or_none(raw) is None


def test_decimal_digits_of_any_script_make_an_id():
    assert int_or_none("42") == 42
    assert int_or_none("\u0664\u0662") == 42  # Arabic-Indic digits, as int() reads them
