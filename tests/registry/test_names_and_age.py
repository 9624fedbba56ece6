from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bridgeway.registry import age, names


@pytest.mark.parametrize("text,script", [
    ("Muhammad", "Latn"), ("محمد", "Arab"), ("আয়েশা", "Beng"), ("ޢާއިޝާ", "Thaa"),
    ("Айгерим", "Cyrl"), ("Ali محمد", None), ("ꙮꙮ", "Cyrl"), ("Ǝ123", "Latn"), ("☃", None),
])
def test_detect_script(text, script):
    assert names.detect_script(text) == script


@pytest.mark.parametrize("a,b", [
    ("Mohammed", "محمد"), ("Muhammad", "محمد"), ("Mohamad", "Muhammad"),
    ("Abdullah", "عبد الله"), ("Aigerim", "Айгерим"), ("Zainab", "زينب"),
])
def test_spellings_and_scripts_share_a_key(a, b):
    assert names.search_keys(a) & names.search_keys(b)


def test_unrelated_names_share_no_strong_key():
    strong = {k for k in names.search_keys("Budi") if k[0] != "skel"}
    assert not strong & names.search_keys("Rina")


def test_lowest_plausible_age_wins():
    evidence = [
        age.AgeEvidence(date_of_birth=date(2008, 1, 1)),
        age.AgeEvidence(claimed_age_years=15, assessed_on=date(2026, 6, 1)),
        age.AgeEvidence(assessed_min_years=Decimal("16.5"), assessed_on=date(2026, 6, 1)),
    ]
    youngest = age.latest_plausible_birth_date(evidence)
    assert youngest == date(2011, 6, 1)  # the claim of 15 is the youngest
    assert age.age_on(youngest, date(2026, 6, 1)) == 15


@pytest.mark.parametrize("on,expected", [
    (date(2026, 2, 28), 17), (date(2026, 3, 1), 18), (date(2028, 2, 29), 20),
])
def test_leap_day_birthday_in_non_leap_year(on, expected):
    assert age.age_on(date(2008, 2, 29), on) == expected


def test_eighteenth_birthday():
    assert age.eighteenth_birthday(date(2010, 5, 3)) == date(2028, 5, 3)
    assert age.eighteenth_birthday(None) is None
    assert age.eighteenth_birthday(date(2008, 2, 29)) == date(2026, 3, 1)
