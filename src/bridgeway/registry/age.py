"""Age for all purposes: the lowest plausible age (benefit of the doubt).

Every source of age — the recorded date of birth, each claimed age or date of birth, each
assessed range — yields a latest plausible date of birth. The latest of them all is the one
that makes the child youngest; the age on any day is counted from it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

CHILD_AGE_LIMIT = 18


def add_years(d: date, years: int) -> date:
    """29 February moves to 1 March in a non-leap year: the later date, so a child born on
    29 February stays a child until 1 March (benefit of the doubt), consistently with
    ``years_between``."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return date(d.year + years, 3, 1)


def latest_birth_date_for_age(years: int, on: date) -> date:
    """The latest birth date of someone aged at least ``years`` on ``on``, by the rule of
    ``years_between`` (29 February included)."""
    born = add_years(on, -years)
    while years_between(born, on) < years:
        born -= timedelta(days=1)
    return born


def years_between(born: date, on: date) -> int:
    years = on.year - born.year
    if (on.month, on.day) < (born.month, born.day):
        years -= 1
    return years


@dataclass(frozen=True)
class AgeEvidence:
    date_of_birth: date | None = None
    claimed_age_years: int | None = None
    claimed_date_of_birth: date | None = None
    assessed_min_years: Decimal | float | None = None
    assessed_on: date | None = None


def latest_plausible_birth_date(evidence: Iterable[AgeEvidence]) -> date | None:
    """The latest date of birth any piece of evidence allows (=> the youngest age)."""
    candidates: list[date] = []
    for ev in evidence:
        if ev.date_of_birth:
            candidates.append(ev.date_of_birth)
        if ev.claimed_date_of_birth:
            candidates.append(ev.claimed_date_of_birth)
        if ev.claimed_age_years is not None and ev.assessed_on:
            # Claimed "15" on a day: the youngest such child turned 15 that very day.
            candidates.append(add_years(ev.assessed_on, -int(ev.claimed_age_years)))
        if ev.assessed_min_years is not None and ev.assessed_on:
            whole = int(Decimal(str(ev.assessed_min_years)))
            frac = Decimal(str(ev.assessed_min_years)) - whole
            born = add_years(ev.assessed_on, -whole) - timedelta(days=int(frac * 365))
            candidates.append(born)
    return max(candidates) if candidates else None


def age_on(youngest_birth_date: date | None, on: date) -> int | None:
    if youngest_birth_date is None:
        return None
    return years_between(youngest_birth_date, on)


def eighteenth_birthday(youngest_birth_date: date | None) -> date | None:
    if youngest_birth_date is None:
        return None
    return add_years(youngest_birth_date, CHILD_AGE_LIMIT)
