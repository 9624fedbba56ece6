"""Identifiers in the formats of the issuing countries (structure only: lengths,
embedded date of birth and sex, check digits where the algorithm is public). The numbers
are random and not checked against any real allocation. Serial numbers built with
``serial()`` are unique per child and identifier type; other national numbers, like real
data, may collide.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

_SERIAL_FACTORS = {  # odd and not multiples of 5: coprime to the powers of ten used
    "passport": 3_967_121, "birth_certificate": 7_203_917, "camp_registration": 5_381_623,
    "facility_registration": 2_846_759,
}


def digits(r: Callable[[], float], n: int) -> str:
    """``n`` random decimal digits."""
    return str(int(r() * 10**n)).zfill(n)


def serial(kind: str, index: int, size: int = 10**7) -> int:
    """A bijection of [0, size) per identifier type: distinct children get distinct serial
    numbers (while ``index < size``), the numbers do not look sequential, and one child's
    numbers of different types are unrelated."""
    return (index * _SERIAL_FACTORS[kind] + 104_729) % size


_ID_PROVINCES = ("11", "12", "13", "31", "32", "33", "34", "35", "36", "52", "72", "73")
_MY_STATES = ("01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13",
              "14")
_FR_DEPARTMENTS = ("75", "93", "13", "69", "59", "31", "92", "94", "06", "67", "95", "78")


def _kz_iin(dob: dt.date, male: bool, r: Callable[[], float]) -> str:
    """Kazakh IIN: YYMMDD, century-and-sex digit, serial, check digit (weights 1..11, then
    3..11,1,2 when the first sum gives 10; serials giving 10 twice are not issued)."""
    century = (1 if male else 2) + 2 * ((dob.year - 1800) // 100)
    head = f"{dob.year % 100:02d}{dob.month:02d}{dob.day:02d}{century}"
    while True:
        body = head + digits(r, 4)
        total = sum(int(d) * w for d, w in zip(body, range(1, 12), strict=True)) % 11
        if total == 10:
            weights = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
            total = sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11
        if total != 10:
            return body + str(total)


def _fr_nir(dob: dt.date, male: bool, abroad: bool, r: Callable[[], float]) -> str:
    """French NIR: sex, YY, MM, department (99 when born abroad), commune, order, key."""
    dept = "99" if abroad else _FR_DEPARTMENTS[int(r() * len(_FR_DEPARTMENTS))]
    body = (f"{1 if male else 2}{dob.year % 100:02d}{dob.month:02d}{dept}"
            f"{1 + int(r() * 899):03d}{1 + int(r() * 998):03d}")
    return body + f"{97 - int(body) % 97:02d}"


def national_id(nat: str, dob: dt.date, male: bool, abroad: bool,
                 r: Callable[[], float]) -> str | None:
    yy, mm, dd = f"{dob.year % 100:02d}", f"{dob.month:02d}", f"{dob.day:02d}"
    if nat == "ID":  # NIK: region code, DDMMYY (day + 40 for women), serial
        region = (_ID_PROVINCES[int(r() * len(_ID_PROVINCES))]
                  + f"{1 + int(r() * 30):02d}{1 + int(r() * 30):02d}")
        day = dob.day + (0 if male else 40)
        return f"{region}{day:02d}{mm}{yy}{1 + int(r() * 9998):04d}"
    if nat == "MY":  # MyKad: YYMMDD-PB-###G, G odd for boys; PB 71 = born abroad
        place = "71" if abroad else _MY_STATES[int(r() * len(_MY_STATES))]
        last = int(r() * 5) * 2 + (1 if male else 0)
        return f"{yy}{mm}{dd}-{place}-{digits(r, 3)}{last}"
    if nat == "KZ":
        return _kz_iin(dob, male, r)
    if nat == "FR":
        return _fr_nir(dob, male, abroad, r)
    if nat == "PH":  # PhilSys card number
        d = digits(r, 16)
        return f"{d[:4]}-{d[4:8]}-{d[8:12]}-{d[12:]}"
    if nat == "IQ":  # unified national card
        return str(1 + int(r() * 2)) + digits(r, 11)
    if nat == "SY":  # national number: governorate code and serial
        return f"{1 + int(r() * 14):02d}" + digits(r, 9)
    if nat == "NG":  # NIN
        return str(1 + int(r() * 9)) + digits(r, 10)
    if nat == "MV":
        return "A" + digits(r, 6)
    return None  # children in BD, TJ, TN hold no national identity number


def passport(nat: str, index: int, r: Callable[[], float]) -> str:
    """A passport number in the issuing country's pattern, unique per child."""
    serial7 = f"{serial('passport', index):07d}"
    letter = _UPPER[int(r() * 26)]
    if nat == "FR":  # 2 digits, 2 letters, 5 digits
        return f"{serial7[:2]}{letter}{_UPPER[int(r() * 26)]}{serial7[2:]}"
    if nat == "PH":
        return f"P{serial7}{letter}"
    if nat == "BD":
        return f"{letter}{_UPPER[int(r() * 26)]}{serial7}"
    if nat in ("IQ", "MY", "NG"):
        return f"A{int(r() * 10)}{serial7}"
    if nat == "KZ":
        return f"N{int(r() * 10)}{serial7}"
    if nat == "TJ":
        return f"4{int(r() * 10)}{serial7}"
    if nat == "SY":
        return f"N{digits(r, 2)}{serial7}"
    if nat == "ID":
        return f"{'BCX'[int(r() * 3)]}{serial7}"
    return f"{letter}{serial7}"  # TN, MV


