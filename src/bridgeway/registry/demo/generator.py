"""Deterministic generator of realistic synthetic children, for demos and benchmarks.

Every child is a pure function of ``(seed, index, today)``: child ``i`` is drawn from its
own ``random.Random`` seeded from the seed and ``i``. So any slice of the population can be
generated on its own — ``generate_children(start_index=500_000, count=1000, …)`` gives
exactly the children a one-shot run of a million would give at those indexes — and a
million children can be made in parallel chunks. Nothing depends on ``hash()`` of strings
or on set order, so the output is the same in every process and on every machine.

The children carry what the registry and the case workflow hold: names in their own
script with Latin spellings, aliases (nicknames, names used in a group, previous names,
other spellings in both scripts), exact or uncertain ages, nationality and place of birth
(including children born in Syria or Iraq to foreign parents), identifiers in the formats
of the issuing countries, family members with phone numbers, and a case at one of the
workflow steps. Vocabulary follows ``bridgeway.registry.models`` and
``bridgeway.cases.models`` so a loader can map them directly.

Ground truth for name search: ``name_parts`` hold the registered names (native value and
Latin spelling); ``aliases`` hold the other names the child is known by. ``typo()`` and
``spelling_variant()`` make queries whose distance to the truth is known.

Hand-written on purpose: fake-data libraries draw each field independently, while here the
fields must agree (a patronymic is the father's given name, siblings share the family name,
a Kazakh girl's family name is the feminine form of her father's, an Indonesian NIK and a
Malaysian MyKad encode the date of birth and sex, ages stay under 18 at ``today``), and a
million records must come out in well under two minutes on one core. Identifier formats
are described in ``identifiers``; names and their spellings in ``names``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from bisect import bisect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, NamedTuple, TypeVar

from bridgeway.registry.demo.identifiers import digits, national_id, passport, serial
from bridgeway.registry.demo.names import POOLS, Name, NamePool
from bridgeway.registry.demo.variants import native_variant, spelling_variant

STATUSES = ("registration", "assessment", "planning", "implementation", "follow_up",
            "closure_requested", "closed")
RISKS = ("high", "medium", "low", "none")
GROUP_TYPES = ("terrorist", "armed", "organized_criminal", "gang")
ASSOCIATION_MODES = ("recruited", "abducted", "born_into", "through_family", "online")
VICTIM_STATUSES = ("recognized", "pending", "not_recognized")
BIRTH_REGISTRATIONS = ("registered", "not_registered", "unknown")
NAME_KINDS = ("given", "middle", "family", "patronymic", "grandfather")
ALIAS_KINDS = ("nickname", "group_name", "previous", "spelling")
IDENTIFIER_TYPES = ("national_id", "passport", "birth_certificate", "camp_registration",
                    "facility_registration", "agency_id")
RELATIONSHIPS = ("mother", "father", "sibling", "grandparent", "aunt_uncle", "legal_guardian",
                 "foster")
SCRIPTS = ("Latn", "Arab", "Beng", "Thaa", "Cyrl")

CHILD_AGE_LIMIT = 18


# --------------------------------------------------------------------------------------
# Records. Small records are NamedTuples: immutable like the child, and three times cheaper
# to build than frozen dataclasses, which matters at a million children.
# --------------------------------------------------------------------------------------
class NamePart(NamedTuple):
    kind: str  # one of NAME_KINDS
    value: str  # as written in its own script
    script: str  # ISO 15924
    latin: str  # a Latin spelling (== value for Latin-script names)


class Alias(NamedTuple):
    kind: str  # one of ALIAS_KINDS
    value: str
    script: str
    latin: str


class Identifier(NamedTuple):
    type: str  # one of IDENTIFIER_TYPES
    value: str
    issuer: str  # ISO 3166-1 alpha-2 of the issuing country


class FamilyMember(NamedTuple):
    relationship: str  # one of RELATIONSHIPS
    name: str  # in its own script
    name_latin: str
    script: str
    phone: str  # E.164, or "" when none is known
    is_caregiver: bool
    is_legal_guardian: bool


@dataclass(frozen=True, slots=True)
class SyntheticChild:
    index: int
    country: str  # country whose agency registered the child (ISO 3166-1 alpha-2)
    sex: str  # "female" | "male"
    name_parts: tuple[NamePart, ...]
    aliases: tuple[Alias, ...]
    date_of_birth: dt.date | None
    date_of_birth_estimated: bool  # e.g. the 1 January placeholder of undocumented children
    # Assessed age range in completed years on ``age_assessed_on``; set when there is no
    # date of birth. The lowest value is the age for all purposes (benefit of the doubt).
    estimated_age: tuple[int, int] | None
    age_assessed_on: dt.date | None
    nationalities: tuple[str, ...]  # empty: undetermined
    country_of_birth: str
    place_of_birth: str
    born_abroad: bool
    languages: tuple[str, ...]  # ISO 639
    birth_registration: str  # one of BIRTH_REGISTRATIONS
    identifiers: tuple[Identifier, ...]
    family: tuple[FamilyMember, ...]
    status: str
    risk: str
    group_type: str
    association_mode: str
    association_country: str
    victim_status: str
    alleged_offence: str
    opened_at: dt.date

    @property
    def display_name(self) -> str:
        """The registered name in Latin letters."""
        return " ".join(part.latin for part in self.name_parts)

    @property
    def native_name(self) -> str:
        """The registered name as written in its own script."""
        return " ".join(part.value for part in self.name_parts)

    @property
    def script(self) -> str:
        return self.name_parts[0].script

    @property
    def nationality(self) -> str:
        return self.nationalities[0] if self.nationalities else ""

    @property
    def birth_registered(self) -> bool:
        return self.birth_registration == "registered"

    @property
    def victim_recognized(self) -> bool:
        return self.victim_status == "recognized"


# --------------------------------------------------------------------------------------
# Demographic parameters (shares are rough orders of magnitude, not statistics).
# --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Country:
    code: str
    weight: float
    phone_prefixes: tuple[str, ...]  # E.164 prefixes of mobile numbers
    phone_digits: int  # digits after the prefix
    places: tuple[str, ...]
    group_weights: tuple[float, float, float, float]  # in GROUP_TYPES order
    birth_registration_rate: float


_COUNTRIES: tuple[_Country, ...] = (
    _Country("IQ", 0.20, ("+96475", "+96477", "+96478", "+96479"), 8,
             ("Baghdad", "Mosul", "Basra", "Kirkuk", "Erbil", "Fallujah", "Ramadi", "Tikrit",
              "Tal Afar", "Najaf", "Samarra"), (0.55, 0.30, 0.10, 0.05), 0.85),
    _Country("SY", 0.16, ("+96393", "+96394", "+96395", "+96396", "+96398", "+96399"), 7,
             ("Aleppo", "Damascus", "Homs", "Hama", "Idlib", "Raqqa", "Deir ez-Zor",
              "Hasakah", "Qamishli", "Daraa"), (0.55, 0.35, 0.05, 0.05), 0.75),
    _Country("NG", 0.12, ("+234703", "+234803", "+234806", "+234813", "+234903", "+234706"),
             7, ("Maiduguri", "Kano", "Kaduna", "Bauchi", "Yola", "Damaturu", "Zaria",
                 "Sokoto", "Katsina", "Lagos", "Ibadan", "Abuja"),
             (0.50, 0.25, 0.10, 0.15), 0.55),
    _Country("ID", 0.10, ("+62811", "+62812", "+62813", "+62821", "+62852", "+62857",
                          "+62877", "+62896"), 8,
             ("Jakarta", "Surabaya", "Bandung", "Medan", "Makassar", "Semarang", "Surakarta",
              "Lamongan", "Poso", "Bima", "Bekasi"), (0.70, 0.05, 0.15, 0.10), 0.85),
    _Country("PH", 0.08, ("+63905", "+63917", "+63918", "+63926", "+63935", "+63956",
                          "+63977", "+63998"), 7,
             ("Marawi", "Cotabato City", "Jolo", "Zamboanga City", "Iligan", "Davao City",
              "Manila", "Quezon City", "Isabela City"), (0.45, 0.30, 0.10, 0.15), 0.80),
    _Country("BD", 0.06, ("+88013", "+88015", "+88016", "+88017", "+88018", "+88019"), 8,
             ("Dhaka", "Chattogram", "Rajshahi", "Khulna", "Sylhet", "Bogura", "Gazipur",
              "Cox's Bazar"), (0.45, 0.0, 0.30, 0.25), 0.60),
    _Country("MY", 0.05, ("+6012", "+6013", "+6017", "+6019", "+6011"), 7,
             ("Kuala Lumpur", "Johor Bahru", "Kota Bharu", "Alor Setar", "Kuala Terengganu",
              "Shah Alam", "Ipoh", "Kota Kinabalu"), (0.60, 0.0, 0.25, 0.15), 0.95),
    _Country("KZ", 0.05, ("+7701", "+7702", "+7705", "+7707", "+7747", "+7771", "+7775",
                          "+7777"), 7,
             ("Almaty", "Astana", "Shymkent", "Aktobe", "Atyrau", "Karaganda", "Taraz",
              "Zhezkazgan"), (0.80, 0.0, 0.15, 0.05), 0.95),
    _Country("TJ", 0.05, ("+99290", "+99291", "+99292", "+99293", "+99298", "+99288"), 7,
             ("Dushanbe", "Khujand", "Kulob", "Bokhtar", "Istaravshan", "Panjakent",
              "Vahdat"), (0.80, 0.0, 0.15, 0.05), 0.90),
    _Country("FR", 0.05, ("+336", "+337"), 8,
             ("Paris", "Marseille", "Lyon", "Toulouse", "Nice", "Strasbourg", "Lille",
              "Roubaix", "Toulon", "Nîmes", "Grenoble"), (0.45, 0.0, 0.25, 0.30), 0.99),
    _Country("TN", 0.04, ("+2162", "+2165", "+2169", "+2164"), 7,
             ("Tunis", "Sfax", "Sousse", "Kairouan", "Bizerte", "Ben Guerdane", "Kasserine",
              "Gafsa"), (0.75, 0.0, 0.15, 0.10), 0.95),
    _Country("MV", 0.04, ("+9607", "+9609"), 6,
             ("Malé", "Addu City", "Fuvahmulah", "Kulhudhuffushi", "Thinadhoo"),
             (0.60, 0.0, 0.20, 0.20), 0.95),
)
# Countries many of whose children associated with terrorist groups were taken to, or born
# in, Syria or Iraq: their children may be born abroad.
_ABROAD_ORIGINS = frozenset({"ID", "MY", "MV", "KZ", "TJ", "FR", "TN"})
_ABROAD_PLACES = {
    "SY": ("Raqqa", "Deir ez-Zor", "Hasakah", "Idlib", "Al-Bab", "Manbij"),
    "IQ": ("Mosul", "Tal Afar", "Fallujah", "Hawija", "Al-Qaim"),
}
_AGE_BANDS = {  # completed years at ``today``, by association mode
    "born_into": (0, 13), "recruited": (11, 17), "abducted": (7, 17),
    "through_family": (2, 17), "online": (12, 17),
}
_MODE_WEIGHTS = {  # in ASSOCIATION_MODES order, by group type
    "terrorist": (0.30, 0.15, 0.20, 0.25, 0.10),
    "armed": (0.45, 0.35, 0.05, 0.13, 0.02),
    "organized_criminal": (0.55, 0.10, 0.0, 0.15, 0.20),
    "gang": (0.60, 0.0, 0.0, 0.20, 0.20),
}
_STATUS_WEIGHTS = (0.12, 0.18, 0.14, 0.24, 0.16, 0.04, 0.12)
_STATUS_DAYS = {  # how long ago a case at this step was opened (min, max days)
    "registration": (0, 45), "assessment": (2, 120), "planning": (20, 240),
    "implementation": (45, 900), "follow_up": (150, 1500), "closure_requested": (300, 1800),
    "closed": (365, 2200),
}
_RISK_OPEN = (0.20, 0.35, 0.30, 0.15)
_RISK_LATE = (0.05, 0.20, 0.40, 0.35)
_VICTIM_WEIGHTS = (0.60, 0.25, 0.15)
_OFFENCES = {
    "terrorist": ("membership of a proscribed organization",
                  "support to a proscribed organization", "illegal border crossing",
                  "use of a forged document"),
    "armed": ("possession of a weapon", "illegal border crossing", "theft"),
    "organized_criminal": ("drug trafficking", "theft", "robbery", "extortion",
                           "possession of a weapon"),
    "gang": ("robbery", "theft", "assault", "drug dealing", "possession of a weapon"),
    "online": ("dissemination of prohibited content online",),
}


# --------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------
T = TypeVar("T")


class _Weighted(Generic[T]):
    """Weighted choice from one uniform draw: cheaper than ``random.choices`` per call."""

    __slots__ = ("cum", "items", "total")

    def __init__(self, items: Sequence[T], weights: Sequence[float]) -> None:
        self.items = tuple(items)
        cum: list[float] = []
        acc = 0.0
        for w in weights:
            acc += w
            cum.append(acc)
        self.cum = cum
        self.total = acc

    def pick(self, u: float) -> T:
        i = bisect(self.cum, u * self.total)
        return self.items[min(i, len(self.items) - 1)]


def _years_between(born: dt.date, on: dt.date) -> int:
    years = on.year - born.year
    if (on.month, on.day) < (born.month, born.day):
        years -= 1
    return years


def _earliest_child_birth(today: dt.date) -> dt.date:
    """The earliest date of birth of someone still under 18 on ``today``."""
    try:
        eighteen_ago = today.replace(year=today.year - CHILD_AGE_LIMIT)
    except ValueError:  # today is 29 February; 18 years earlier is not a leap year
        return dt.date(today.year - CHILD_AGE_LIMIT, 3, 1)
    return eighteen_ago + dt.timedelta(days=1)


# --------------------------------------------------------------------------------------
# Name pools prepared for fast drawing
# --------------------------------------------------------------------------------------
_KZ_MALE_SUFFIX, _KZ_FEMALE_SUFFIX = ("ұлы", "uly"), ("қызы", "kyzy")


def _feminine(name: Name) -> Name:
    native, spellings = name
    if native.endswith(("ов", "ев", "ин")):
        return (native + "а", tuple(s + "a" for s in spellings))
    return name


def _with_prefix(name: Name, native_prefix: str, latin_prefix: str) -> Name:
    native, spellings = name
    return (native_prefix + native, tuple(latin_prefix + s for s in spellings))


class _Pool:
    """A NamePool with its derived names (feminine family names, patronymics) cached."""

    __slots__ = ("_derived", "country", "family", "family_female", "family_male", "female",
                 "key", "languages", "latin", "male", "nick_female", "nick_male", "pattern",
                 "prefix_female", "prefix_male", "script")

    def __init__(self, pool: NamePool) -> None:
        self.key = pool.key
        self.country = pool.country
        self.script = pool.script
        self.latin = pool.script == "Latn"
        self.pattern = pool.pattern
        self.languages = pool.languages
        self.male = pool.male
        self.female = pool.female
        self.family = pool.family
        self.family_male = pool.family + pool.family_male
        self.family_female = pool.family + pool.family_female
        self.prefix_male = pool.prefix_male
        self.prefix_female = pool.prefix_female
        self.nick_male = pool.nicknames_male
        self.nick_female = pool.nicknames_female
        self._derived: dict[tuple[str, Name], Name] = {}

    def derived(self, how: str, name: Name) -> Name:
        key = (how, name)
        found = self._derived.get(key)
        if found is None:
            if how == "fem":
                found = _feminine(name)
            elif how == "uly":
                found = (name[0] + _KZ_MALE_SUFFIX[0],
                         tuple(s + _KZ_MALE_SUFFIX[1] for s in name[1]))
            elif how == "kyzy":
                found = (name[0] + _KZ_FEMALE_SUFFIX[0],
                         tuple(s + _KZ_FEMALE_SUFFIX[1] for s in name[1]))
            elif how == "bin":
                found = _with_prefix(name, "bin ", "bin ")
            elif how == "binti":
                found = _with_prefix(name, "binti ", "binti ")
            else:  # "ben"
                found = _with_prefix(name, "بن ", "Ben ")
            self._derived[key] = found
        return found


_POOLS = tuple(_Pool(p) for p in POOLS)
_POOLS_BY_COUNTRY: dict[str, _Weighted[_Pool]] = {
    c.code: _Weighted([p for p in _POOLS if p.country == c.code],
                      [p.weight for p in POOLS if p.country == c.code])
    for c in _COUNTRIES
}
_ARAB_MALE = tuple(dict.fromkeys(n for p in POOLS if p.key in ("IQ", "SY") for n in p.male))
_ARAB_FEMALE = tuple(dict.fromkeys(n for p in POOLS if p.key in ("IQ", "SY")
                                   for n in p.female))

_Part = tuple[str, Name]  # (kind, name) before spelling


def _pick(r: Callable[[], float], items: Sequence[Name]) -> Name:
    return items[int(r() * len(items))]


def _child_parts(pool: _Pool, hh: _Household, male: bool, given: Name,
                 r: Callable[[], float]) -> list[_Part]:
    """The registered name of a child (or of a sibling) of household ``hh``."""
    pattern = pool.pattern
    if pattern == "arab_chain":  # Iraq: given, father, grandfather, tribe
        parts = [("given", given), ("patronymic", hh.father), ("grandfather", hh.grandfather)]
        if r() < 0.75:
            parts.append(("family", hh.family))
        return parts
    if pattern == "arab":  # Syria
        parts = [("given", given)]
        if r() < 0.45:
            parts.append(("patronymic", hh.father))
        parts.append(("family", hh.family))
        return parts
    if pattern == "arab_ben":  # Tunisia: "Ahmed Ben Mohamed Jebali"
        parts = [("given", given)]
        if r() < 0.35:
            parts.append(("patronymic", pool.derived("ben", hh.father)))
        parts.append(("family", hh.family))
        return parts
    if pattern == "bengali":
        parts = []
        if male:
            if r() < 0.4:
                parts.append(("given", pool.prefix_male[0]))
            parts.append(("given", given))
            family = hh.family if r() < 0.6 else _pick(r, pool.family_male)
        else:
            parts.append(("given", given))
            family = _pick(r, pool.family_female) if r() < 0.55 else hh.family
        parts.append(("family", family))
        return parts
    if pattern == "maldivian":
        if r() < 0.6:
            return [("given", given), ("patronymic", hh.father)]
        return [("given", given), ("given", _pick(r, pool.family))]
    if pattern == "kazakh":
        parts = [("family", hh.family if male else pool.derived("fem", hh.family)),
                 ("given", given)]
        if r() < 0.6:
            parts.append(("patronymic", pool.derived("uly" if male else "kyzy", hh.father)))
        return parts
    if pattern == "tajik":
        return [("family", hh.family if male else pool.derived("fem", hh.family)),
                ("given", given)]
    if pattern == "malay":
        parts = []
        if r() < (0.55 if male else 0.6):
            parts.append(("given", _pick(r, pool.prefix_male if male else pool.prefix_female)))
        parts.append(("given", given))
        parts.append(("patronymic", pool.derived("bin" if male else "binti", hh.father)))
        return parts
    if pattern == "indonesian":
        parts = []
        if male and r() < 0.3:
            parts.append(("given", pool.prefix_male[0]))
        parts.append(("given", given))
        if r() < 0.8:
            parts.append(("given", _pick(r, pool.family_male if male else pool.family_female)))
        return parts
    if pattern == "filipino":
        return [("given", given), ("middle", hh.mother_family), ("family", hh.family)]
    if pattern == "hausa":
        return [("given", given), ("family", hh.family)]
    # "surname": France, Yoruba, Batak
    parts = [("given", given)]
    if r() < 0.2:
        second = _pick(r, pool.male if male else pool.female)
        if second != given:
            parts.append(("given", second))
    parts.append(("family", hh.family))
    return parts


def _male_adult_parts(pool: _Pool, given: Name, his_father: Name, family: Name,
                      r: Callable[[], float]) -> list[_Part]:
    pattern = pool.pattern
    if pattern == "arab_chain":
        return [("given", given), ("patronymic", his_father), ("family", family)]
    if pattern == "arab":
        if r() < 0.4:
            return [("given", given), ("patronymic", his_father), ("family", family)]
        return [("given", given), ("family", family)]
    if pattern == "arab_ben":
        if r() < 0.35:
            return [("given", given), ("patronymic", pool.derived("ben", his_father)),
                    ("family", family)]
        return [("given", given), ("family", family)]
    if pattern == "bengali":
        if r() < 0.4:
            return [("given", pool.prefix_male[0]), ("given", given), ("family", family)]
        return [("given", given), ("family", family)]
    if pattern == "maldivian":
        return [("given", given), ("patronymic", his_father)]
    if pattern == "kazakh":
        parts = [("family", family), ("given", given)]
        if r() < 0.6:
            parts.append(("patronymic", pool.derived("uly", his_father)))
        return parts
    if pattern == "tajik":
        return [("family", family), ("given", given)]
    if pattern == "malay":
        parts = [("given", given), ("patronymic", pool.derived("bin", his_father))]
        if r() < 0.4:
            parts.insert(0, ("given", _pick(r, pool.prefix_male)))
        return parts
    if pattern == "indonesian":
        if r() < 0.5:
            return [("given", given), ("given", _pick(r, pool.family_male))]
        return [("given", given)]
    if pattern == "filipino":
        return [("given", given), ("middle", _pick(r, pool.family)), ("family", family)]
    if pattern == "hausa":
        return [("given", given), ("family", his_father)]
    return [("given", given), ("family", family)]


def _female_adult_parts(pool: _Pool, given: Name, her_father: Name, her_family: Name,
                        married_family: Name, r: Callable[[], float]) -> list[_Part]:
    pattern = pool.pattern
    if pattern == "arab_chain":
        return [("given", given), ("patronymic", her_father), ("family", her_family)]
    if pattern in ("arab", "arab_ben"):
        return [("given", given), ("family", her_family)]
    if pattern == "bengali":
        family = _pick(r, pool.family_female) if r() < 0.6 else her_family
        return [("given", given), ("family", family)]
    if pattern == "maldivian":
        return [("given", given), ("patronymic", her_father)]
    if pattern in ("kazakh", "tajik"):
        family = married_family if r() < 0.7 else her_family
        parts = [("family", pool.derived("fem", family)), ("given", given)]
        if pattern == "kazakh" and r() < 0.6:
            parts.append(("patronymic", pool.derived("kyzy", her_father)))
        return parts
    if pattern == "malay":
        parts = [("given", given), ("patronymic", pool.derived("binti", her_father))]
        if r() < 0.5:
            parts.insert(0, ("given", _pick(r, pool.prefix_female)))
        return parts
    if pattern == "indonesian":
        if r() < 0.5:
            return [("given", given), ("given", _pick(r, pool.family_female))]
        return [("given", given)]
    if pattern == "filipino":
        return [("given", given), ("middle", her_family), ("family", married_family)]
    if pattern == "hausa":
        return [("given", given), ("family", her_father)]
    return [("given", given), ("family", married_family if r() < 0.6 else her_family)]


class _Household:
    __slots__ = ("family", "father", "grandfather", "mother", "mother_family", "mother_father")

    def __init__(self, pool: _Pool, r: Callable[[], float]) -> None:
        male, female = pool.male, pool.female
        self.father = _pick(r, male)
        self.grandfather = _pick(r, male)
        self.mother = _pick(r, female)
        self.mother_father = _pick(r, male)
        family = pool.family or pool.male  # pools without family names never use them
        if pool.pattern == "hausa" and r() < 0.6:
            self.family = self.father  # the father's given name as the children's surname
        else:
            self.family = _pick(r, family)
        self.mother_family = _pick(r, family)


def _spelled(pool: _Pool, parts: list[_Part],
             r: Callable[[], float]) -> tuple[list[str], list[str]]:
    """(values, Latin spellings) of the parts: the usual spelling most of the time, another
    real one otherwise — registrars do not all write a name the same way."""
    latins = []
    for _kind, (_native, spellings) in parts:
        if len(spellings) == 1 or r() < 0.7:
            latins.append(spellings[0])
        else:
            latins.append(spellings[1 + int(r() * (len(spellings) - 1))])
    return (latins if pool.latin else [native for _kind, (native, _s) in parts]), latins


# --------------------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------------------
_COUNTRY_PICK = _Weighted(_COUNTRIES, [c.weight for c in _COUNTRIES])
_GROUP_PICKS = {c.code: _Weighted(GROUP_TYPES, c.group_weights) for c in _COUNTRIES}
_MODE_PICKS = {g: _Weighted(ASSOCIATION_MODES, w) for g, w in _MODE_WEIGHTS.items()}
_STATUS_PICK = _Weighted(STATUSES, _STATUS_WEIGHTS)
_RISK_OPEN_PICK = _Weighted(RISKS, _RISK_OPEN)
_RISK_LATE_PICK = _Weighted(RISKS, _RISK_LATE)
_VICTIM_PICK = _Weighted(VICTIM_STATUSES, _VICTIM_WEIGHTS)
_LATE_STATUSES = frozenset({"follow_up", "closure_requested", "closed"})


def _places(code: str, group: str, mode: str,
            r: Callable[[], float]) -> tuple[str, str]:
    """(country of birth, country of association). Children of families who went to Syria
    or Iraq were often born there; Iraqi and Syrian children sometimes in the other one."""
    birth_country = code
    if group == "terrorist":
        if code in _ABROAD_ORIGINS:
            p_abroad = 0.9 if mode == "born_into" else 0.35 if mode == "through_family" \
                else 0.03
            if r() < p_abroad:
                birth_country = "SY" if r() < 0.65 else "IQ"
        elif mode == "born_into" and r() < 0.15:
            birth_country = "SY" if code == "IQ" else "IQ"
    association_country = code
    if birth_country != code:
        association_country = birth_country
    elif group == "terrorist" and code in _ABROAD_ORIGINS and r() < 0.3:
        association_country = "SY" if r() < 0.65 else "IQ"
    return birth_country, association_country


def _latent_birth(mode: str, today_ord: int, limit_ord: int, r: Callable[[], float]) -> int:
    """The child's real date of birth (ordinal), always under 18 at today; whether it is
    known is decided later."""
    lo, hi = _AGE_BANDS[mode]
    age = lo + int(r() * (hi - lo + 1))
    if age == 17 and r() < 0.12:
        born_ord = limit_ord + int(r() * 60)  # turns 18 within two months
    else:
        born_ord = today_ord - int((age + r()) * 365.2425)
        if born_ord < limit_ord:
            born_ord = limit_ord + int(r() * 30)
    return min(born_ord, today_ord)


def _age_record(born: dt.date, opened_at: dt.date, registration: str, born_abroad: bool,
                limit_ord: int, r: Callable[[], float],
                ) -> tuple[dt.date | None, bool, tuple[int, int] | None, dt.date | None]:
    """(date of birth, estimated?, assessed age range, assessed on). Children without
    documents more often have only an assessed range, made when the case was opened; its
    lower bound never exceeds the real age, so the benefit of the doubt keeps them minors.
    Others have a date of birth, sometimes the 1 January placeholder of undocumented
    children."""
    if r() < (0.55 if born_abroad or registration != "registered" else 0.2):
        years = _years_between(born, opened_at)
        low = max(0, years - (1 if r() < 0.5 else 0))
        high = max(low, min(CHILD_AGE_LIMIT - 1, low + 1 + int(r() * 3)))
        return None, False, (low, high), opened_at
    if registration != "registered" and r() < 0.3:
        placeholder = dt.date(born.year, 1, 1)
        if placeholder.toordinal() >= limit_ord:
            return placeholder, True, None, None
    return born, False, None, None


def _identifiers(index: int, code: str, nationalities: tuple[str, ...], registration: str,
                 dob: dt.date | None, birth_year: int, male: bool, birth_country: str,
                 association_country: str, mode: str, offence: str, opened_year: int,
                 r: Callable[[], float]) -> tuple[Identifier, ...]:
    ids = [Identifier("agency_id", f"BW-{index:08d}", code)]
    nat = nationalities[0] if nationalities else ""
    born_abroad = birth_country != code
    if registration == "registered" and dob is not None:
        if nat and r() < 0.6:
            number = national_id(nat, dob, male, born_abroad, r)
            if number:
                ids.append(Identifier("national_id", number, nat))
        if r() < 0.45:
            if code == "BD":  # 17-digit birth registration number
                number = f"{dob.year}{digits(r, 13)}"
            else:
                number = f"{dob.year}-{serial('birth_certificate', index):07d}"
            ids.append(Identifier("birth_certificate", number, birth_country))
    if nat and r() < (0.3 if code in ("FR", "KZ", "MY") else 0.1):
        ids.append(Identifier("passport", passport(nat, index, r), nat))
    in_camp = association_country in ("SY", "IQ") and (
        code not in ("SY", "IQ") or mode in ("born_into", "through_family"))
    if in_camp and r() < 0.7:
        year = max(birth_year, 2017 + int(r() * 6))
        site = 100 + int(r() * 900)
        ids.append(Identifier(
            "camp_registration",
            f"{site}-{year % 100:02d}C{serial('camp_registration', index):07d}",
            association_country))
    if (offence and r() < 0.6) or r() < 0.03:
        ids.append(Identifier(
            "facility_registration",
            f"F{1 + int(r() * 250):03d}-{opened_year}-"
            f"{serial('facility_registration', index):07d}",
            code))
    return tuple(ids)


def _seed_base(seed: int) -> int:
    digest = hashlib.blake2b(f"bridgeway-demo:{seed}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") << 64


class _Generator:
    def __init__(self, seed: int, today: dt.date) -> None:
        self.base = _seed_base(seed)
        self.rng = random.Random()
        self.today = today
        self.today_ord = today.toordinal()
        self.limit_ord = _earliest_child_birth(today).toordinal()

    def child(self, index: int) -> SyntheticChild:
        rng = self.rng
        rng.seed(self.base | index)
        r = rng.random
        today_ord = self.today_ord

        country = _COUNTRY_PICK.pick(r())
        code = country.code
        pool = _POOLS_BY_COUNTRY[code].pick(r())
        male = r() >= 0.42

        # The case, how the child became associated, and where.
        group = _GROUP_PICKS[code].pick(r())
        mode = _MODE_PICKS[group].pick(r())
        birth_country, association_country = _places(code, group, mode, r)
        born_abroad = birth_country != code

        born_ord = _latent_birth(mode, today_ord, self.limit_ord, r)
        status = _STATUS_PICK.pick(r())
        d_lo, d_hi = _STATUS_DAYS[status]
        opened_at = dt.date.fromordinal(
            today_ord - min(d_lo + int(r() * (d_hi - d_lo + 1)), today_ord - born_ord))
        risk = (_RISK_LATE_PICK if status in _LATE_STATUSES else _RISK_OPEN_PICK).pick(r())
        victim_status = _VICTIM_PICK.pick(r())

        u = r()
        if born_abroad:
            registration = "registered" if u < 0.25 else "not_registered" if u < 0.8 \
                else "unknown"
        else:
            rate = country.birth_registration_rate
            registration = "registered" if u < rate else "not_registered" \
                if u < rate + (1 - rate) * 0.7 else "unknown"
        born = dt.date.fromordinal(born_ord)
        dob, dob_estimated, estimated_age, assessed_on = _age_record(
            born, opened_at, registration, born_abroad, self.limit_ord, r)

        if born_abroad and r() < 0.15:
            nationalities: tuple[str, ...] = ()  # undetermined
        elif r() < 0.03:
            other = _COUNTRIES[int(r() * len(_COUNTRIES))].code
            nationalities = (code,) if other == code else (code, other)
        else:
            nationalities = (code,)
        places = _ABROAD_PLACES[birth_country] if born_abroad else country.places
        place = "" if r() < 0.2 else places[int(r() * len(places))]
        languages = [pool.languages[0]]
        languages.extend(extra for extra in pool.languages[1:] if r() < 0.5)
        if born_abroad and "ar" not in languages and r() < 0.7:
            languages.append("ar")

        hh = _Household(pool, r)
        given = _pick(r, pool.male if male else pool.female)
        parts = _child_parts(pool, hh, male, given, r)
        values, latins = _spelled(pool, parts, r)
        script = pool.script
        name_parts = tuple(NamePart(kind, value, script, latin) for (kind, _name), value, latin
                           in zip(parts, values, latins, strict=True))
        aliases = self._aliases(pool, parts, values, latins, male, group, mode, r)
        family = self._family(pool, hh, country, r)

        offence = ""
        years_now = (today_ord - born_ord) // 365
        p_offence = 0.25 if years_now >= 14 else 0.04 if years_now >= 10 else 0.0
        if p_offence and r() < p_offence:
            offences = _OFFENCES["online" if mode == "online" and r() < 0.5 else group]
            offence = offences[int(r() * len(offences))]

        ids = _identifiers(index, code, nationalities, registration, dob, born.year, male,
                           birth_country, association_country, mode, offence,
                           opened_at.year, r)

        return SyntheticChild(
            index=index, country=code, sex="male" if male else "female",
            name_parts=name_parts, aliases=aliases,
            date_of_birth=dob, date_of_birth_estimated=dob_estimated,
            estimated_age=estimated_age, age_assessed_on=assessed_on,
            nationalities=nationalities, country_of_birth=birth_country,
            place_of_birth=place, born_abroad=born_abroad, languages=tuple(languages),
            birth_registration=registration, identifiers=ids, family=family,
            status=status, risk=risk, group_type=group, association_mode=mode,
            association_country=association_country, victim_status=victim_status,
            alleged_offence=offence, opened_at=opened_at,
        )

    def _aliases(self, pool: _Pool, parts: list[_Part], values: list[str], latins: list[str],
                 male: bool, group: str, mode: str,
                 r: Callable[[], float]) -> tuple[Alias, ...]:
        out: list[Alias] = []
        script = pool.script
        latin_name = " ".join(latins)
        # Another Latin spelling, as on a foreign document or another agency's list.
        if r() < (0.35 if script != "Latn" else 0.25):
            words = []
            for (_kind, (_native, spellings)), latin in zip(parts, latins, strict=True):
                others = [s for s in spellings if s != latin]
                words.append(others[int(r() * len(others))] if others and r() < 0.6
                             else latin)
            variant = " ".join(words)
            if variant == latin_name:
                variant = spelling_variant(latin_name, self.rng)
            out.append(Alias("spelling", variant, "Latn", variant))
        # The same name written differently in its own script.
        if script != "Latn" and r() < 0.25:
            native = native_variant(script, " ".join(values))
            if native:
                out.append(Alias("spelling", native, script, latin_name))
        nicknames = pool.nick_male if male else pool.nick_female
        if nicknames and r() < 0.2:
            native, spellings = _pick(r, nicknames)
            latin = spellings[0]
            out.append(Alias("nickname", latin if pool.latin else native, script, latin))
        if group in ("terrorist", "armed") and mode != "online" and r() < 0.25:
            native, spellings = _pick(r, _ARAB_MALE if male else _ARAB_FEMALE)
            out.append(Alias("group_name", native, "Arab", spellings[0]))
        if r() < 0.04:
            new_given = _pick(r, pool.male if male else pool.female)
            first_given = next(i for i, (kind, _n) in enumerate(parts) if kind == "given")
            if new_given != parts[first_given][1]:
                old_values, old_latins = values[:], latins[:]
                old_latins[first_given] = new_given[1][0]
                old_values[first_given] = new_given[1][0] if pool.latin else new_given[0]
                out.append(Alias("previous", " ".join(old_values), script,
                                 " ".join(old_latins)))
        return tuple(out)

    def _family(self, pool: _Pool, hh: _Household, country: _Country,
                r: Callable[[], float]) -> tuple[FamilyMember, ...]:
        members: list[FamilyMember] = []
        has_mother = r() < 0.88
        has_father = r() < 0.7
        mother_cares = has_mother and r() < 0.8
        if has_mother:
            parts = _female_adult_parts(pool, hh.mother, hh.mother_father, hh.mother_family,
                                        hh.family, r)
            members.append(_member(pool, country, "mother", parts, 0.6, mother_cares, True, r))
        if has_father:
            parts = _male_adult_parts(pool, hh.father, hh.grandfather, hh.family, r)
            members.append(_member(pool, country, "father", parts, 0.45,
                                   not has_mother and r() < 0.7, r() < 0.8, r))
        for _ in range(int(r() * r() * 5)):
            sibling_male = r() < 0.5
            given = _pick(r, pool.male if sibling_male else pool.female)
            parts = _child_parts(pool, hh, sibling_male, given, r)
            members.append(_member(pool, country, "sibling", parts, 0.1, False, False, r))
        if not mother_cares or r() < 0.2:
            if r() < 0.5:  # a grandmother on the father's side
                parts = _female_adult_parts(pool, _pick(r, pool.female), _pick(r, pool.male),
                                            _pick(r, pool.family or pool.male), hh.family, r)
                relationship = "grandparent"
            else:  # an uncle on the father's side
                parts = _male_adult_parts(pool, _pick(r, pool.male), hh.grandfather,
                                          hh.family, r)
                relationship = "aunt_uncle"
            members.append(_member(pool, country, relationship, parts, 0.5, not mother_cares,
                                   False, r))
        if not has_mother and not has_father and r() < 0.4:
            relationship = "legal_guardian" if r() < 0.7 else "foster"
            if r() < 0.5:
                parts = _male_adult_parts(pool, _pick(r, pool.male), _pick(r, pool.male),
                                          _pick(r, pool.family or pool.male), r)
            else:
                parts = _female_adult_parts(pool, _pick(r, pool.female), _pick(r, pool.male),
                                            _pick(r, pool.family or pool.male),
                                            _pick(r, pool.family or pool.male), r)
            members.append(_member(pool, country, relationship, parts, 0.8, True,
                                   relationship == "legal_guardian", r))
        return tuple(members)


def _member(pool: _Pool, country: _Country, relationship: str, parts: list[_Part],
            p_phone: float, caregiver: bool, guardian: bool,
            r: Callable[[], float]) -> FamilyMember:
    values, latins = _spelled(pool, parts, r)
    phone = ""
    if r() < p_phone:
        prefixes = country.phone_prefixes
        phone = prefixes[int(r() * len(prefixes))] + digits(r, country.phone_digits)
    return FamilyMember(relationship, " ".join(values), " ".join(latins), pool.script, phone,
                        caregiver, guardian)


# Serial numbers are unique up to 10**7 children; seeds stay distinct far beyond.
_MAX_CHILDREN = 10**7


def _check_arguments(count: int, start_index: int, today: dt.date) -> None:
    if isinstance(today, dt.datetime) or not isinstance(today, dt.date):
        raise TypeError("today must be a datetime.date (not a datetime)")
    if count < 0:
        raise ValueError("count must not be negative")
    if start_index < 0:
        raise ValueError("start_index must not be negative")
    if start_index + count > _MAX_CHILDREN:
        raise ValueError(f"at most {_MAX_CHILDREN:,} children per seed")


def generate_children(*, count: int, seed: int, start_index: int = 0,
                      today: dt.date) -> Iterator[SyntheticChild]:
    """Children ``start_index`` … ``start_index + count - 1`` of the population ``seed``.

    Each child depends only on ``(seed, index, today)``, so chunks can be generated
    separately (in parallel, or resumed) and concatenate to the one-shot output.
    """
    _check_arguments(count, start_index, today)
    generator = _Generator(seed, today)
    for index in range(start_index, start_index + count):
        yield generator.child(index)


def generate_child(*, index: int, seed: int, today: dt.date) -> SyntheticChild:
    """Child ``index`` of the population ``seed`` (same as in ``generate_children``)."""
    _check_arguments(1, index, today)
    return _Generator(seed, today).child(index)
