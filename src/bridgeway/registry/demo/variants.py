"""Spelling variants and typing errors of names, with known distance to the original.

The generator uses them for aliases; the name-search benchmark uses them to build queries
whose ground truth is known: ``spelling_variant`` gives another real transliteration of a
Latin name (what a second agency would have written), ``typo`` gives a string at an exact
Damerau-Levenshtein distance (what a hurried caseworker would type), ``native_variant``
gives the same name as often written in its own script (Arabic without hamza, Kazakh on a
Russian keyboard).

Hand-written on purpose: the edits must follow transliteration habits and keyboard
layouts, and be exact in number; ``jellyfish`` checks the distance.
"""

# Names in Arabic, Bengali, Thaana and Cyrillic script are the point of this module; the
# tests check every character's script, which is the real guard against look-alikes.

from __future__ import annotations

import random
import unicodedata

import jellyfish

from bridgeway.registry.demo.names import POOLS, all_names


def _known_spellings() -> dict[str, tuple[str, ...]]:
    table: dict[str, dict[str, None]] = {}
    for pool in POOLS:
        for _native, spellings in all_names(pool):
            if len(spellings) < 2:
                continue
            for s in spellings:
                if " " in s:
                    continue
                table.setdefault(s.lower(), {}).update(dict.fromkeys(spellings))
    return {k: tuple(v) for k, v in table.items()}


_KNOWN_SPELLINGS = _known_spellings()


def _native_forms() -> dict[tuple[str, str], tuple[str, ...]]:
    table: dict[tuple[str, str], dict[str, None]] = {}
    for pool in POOLS:
        if pool.script == "Latn":
            continue
        for native, spellings in all_names(pool):
            for s in spellings:
                table.setdefault((s.lower(), pool.script), {})[native] = None
    return {k: tuple(v) for k, v in table.items()}


_NATIVE_FORMS = _native_forms()


def native_spellings(latin: str, script: str) -> tuple[str, ...]:
    """The names written in ``script`` that ``latin`` is a known spelling of: ``Fatimah``
    in Arabic script is ``فاطمة``. Lets a benchmark query a Latin-registered name in
    another script, with the name data as ground truth; empty when the data has none."""
    return _NATIVE_FORMS.get((latin.lower(), script), ())

# Alternations seen between transliterations of the same name (Youssef/Yusuf,
# Waleed/Walid, Mahmood/Mahmud, Rakhimov/Rahimov, Qasim/Kasim, Ridha/Rida, Zhanar/Janar,
# Djamel/Jamel, Chaima/Shaima, Zaid/Zayd, Zeinab/Zainab, Mustapha/Mustafa, Daniyar/Daniar,
# Aliyev/Aliev, Hassan/Hasan).
_RULES: tuple[tuple[str, str], ...] = (
    ("ou", "u"), ("ee", "i"), ("i", "ee"), ("oo", "u"), ("u", "oo"), ("kh", "h"),
    ("kh", "k"), ("q", "k"), ("dh", "d"), ("zh", "j"), ("dj", "j"), ("sh", "ch"),
    ("ch", "sh"), ("ai", "ay"), ("ay", "ai"), ("ei", "ai"), ("ph", "f"), ("ya", "ia"),
    ("ia", "ya"), ("iy", "i"), ("mm", "m"), ("ss", "s"), ("dd", "d"), ("ll", "l"),
    ("nn", "n"), ("rr", "r"), ("bb", "b"), ("tt", "t"),
)
_VOWELS = frozenset("aeiouy")
_END_RULES: tuple[tuple[str, str], ...] = (
    ("ah", "a"), ("a", "ah"), ("ed", "ad"), ("ad", "ed"), ("ov", "ow"),
)
# Whole words written in several ways: the Malay patronymic connectors.
_WORD_FORMS: dict[str, tuple[str, ...]] = {
    "binti": ("bt", "bte", "binte"), "bin": ("b.", "b"),
}
# The Arabic article as transliterations write it: al-Jubouri, Al Jubouri, Aljubouri …
_ARTICLES = ("al-", "el-")
_ARTICLE_FORMS = ("al-", "Al-", "Al ", "Al", "el-", "")


def _with_article(form: str, rest: str) -> str:
    if form == "Al":  # written as one word: "Aljubouri"
        return form + rest[:1].lower() + rest[1:]
    return form + rest[:1].upper() + rest[1:]


def _token_variant(token: str, rng: random.Random) -> str | None:
    lower = token.lower()
    forms = _WORD_FORMS.get(lower)
    if forms:
        return forms[int(rng.random() * len(forms))]
    others = [s for s in _KNOWN_SPELLINGS.get(lower, ()) if s.lower() != lower]
    if others and rng.random() < 0.7:
        return others[int(rng.random() * len(others))]
    for article in _ARTICLES:
        if lower.startswith(article) and len(token) > len(article) + 1:
            choices = [f for f in _ARTICLE_FORMS if f.lower() != article]
            return _with_article(choices[int(rng.random() * len(choices))],
                                 token[len(article):])
    candidates: list[tuple[int, int, str]] = []  # (start, end, replacement)
    for old, new in _RULES:
        start = lower.find(old)
        while start != -1:
            end = start + len(old)
            # A single vowel is lengthened (Karim/Kareem) only between two consonants.
            if len(old) > 1 or (start > 0 and end < len(lower)
                                and lower[start - 1] not in _VOWELS
                                and lower[end] not in _VOWELS):
                candidates.append((start, end, new))
            start = lower.find(old, start + 1)
    for old, new in _END_RULES:
        if lower.endswith(old) and len(lower) > len(old):
            candidates.append((len(lower) - len(old), len(lower), new))
    if not candidates:
        return others[int(rng.random() * len(others))] if others else None
    start, end, new = candidates[int(rng.random() * len(candidates))]
    if start == 0 and token[:1].isupper():
        new = new[:1].upper() + new[1:]
    return token[:start] + new + token[end:]


def spelling_variant(latin_name: str, rng: random.Random) -> str:
    """Another plausible Latin spelling of ``latin_name`` (always different from it).

    Known names get one of their real spellings from the name data (``Mohammed`` ->
    ``Muhammad``); other tokens get a transliteration alternation (``ou``/``u``,
    ``ee``/``i``, ``kh``/``h``, doubled letters, the Arabic article ``al-``/``Al ``/none …).
    Multi-word names change in one word.
    """
    tokens = latin_name.split(" ")
    order = [i for i, t in enumerate(tokens) if t]
    rng.shuffle(order)
    for i in order:
        alt = _token_variant(tokens[i], rng)
        if alt is not None and alt != tokens[i]:
            tokens[i] = alt
            out = " ".join(t for t in tokens if t)
            if out != latin_name:
                return out
    # Nothing applied (short or unusual name): a final "h" after a vowel, the commonest
    # silent letter in transliterations, or a doubled final consonant (Tom/Tomm).
    if latin_name[-1:].lower() in _VOWELS:
        return latin_name + "h"
    if latin_name[-1:].isalpha():
        return latin_name + latin_name[-1]
    return latin_name + "h"


_QWERTY = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _keyboard_neighbours() -> dict[str, str]:
    where = {ch: (row, col) for row, keys in enumerate(_QWERTY) for col, ch in enumerate(keys)}
    out: dict[str, str] = {}
    for ch, (row, col) in where.items():
        near = []
        for r2 in (row - 1, row, row + 1):
            if 0 <= r2 < len(_QWERTY):
                for c2 in (col - 1, col, col + 1):
                    if 0 <= c2 < len(_QWERTY[r2]) and (r2, c2) != (row, col):
                        near.append(_QWERTY[r2][c2])
        out[ch] = "".join(near)
    return out


_NEIGHBOURS = _keyboard_neighbours()
_SCRIPT_PREFIX = {"Latn": "LATIN", "Arab": "ARABIC", "Beng": "BENGALI", "Thaa": "THAANA",
                  "Cyrl": "CYRILLIC"}


def _script_letters() -> dict[str, str]:
    letters: dict[str, set[str]] = {code: set() for code in _SCRIPT_PREFIX}
    for pool in POOLS:
        for native, _spellings in all_names(pool):
            for ch in native:
                if unicodedata.category(ch).startswith("L"):
                    letters[pool.script].add(ch)
    letters["Latn"] = set("abcdefghijklmnopqrstuvwxyz")
    return {code: "".join(sorted(chars)) for code, chars in letters.items()}


_LETTERS = _script_letters()


def _script_of(text: str) -> str:
    for ch in text:
        if ch.isalpha():
            name = unicodedata.name(ch, "")
            for code, prefix in _SCRIPT_PREFIX.items():
                if name.startswith(prefix):
                    return code
    return "Latn"


def _replacement(ch: str, letters: str, rng: random.Random) -> str:
    lower = ch.lower()
    near = _NEIGHBOURS.get(lower)
    if near:
        new = near[int(rng.random() * len(near))]
        return new.upper() if ch.isupper() else new
    for _ in range(8):
        new = letters[int(rng.random() * len(letters))]
        if new != ch:
            return new
    return letters[0] if letters[0] != ch else letters[-1]


def _one_edit(chars: list[str], letters: str, rng: random.Random) -> None:
    positions = [i for i, ch in enumerate(chars) if not ch.isspace()]
    op = int(rng.random() * 4)
    if op == 0 and positions:  # substitution
        i = positions[int(rng.random() * len(positions))]
        chars[i] = _replacement(chars[i], letters, rng)
    elif op == 1 and len(positions) > 1:  # deletion
        del chars[positions[int(rng.random() * len(positions))]]
    elif op == 2 and len(chars) > 1:  # transposition of two neighbours
        i = int(rng.random() * (len(chars) - 1))
        chars[i], chars[i + 1] = chars[i + 1], chars[i]
    else:  # insertion: a key next to a neighbour, or a doubled letter
        i = int(rng.random() * (len(chars) + 1))
        beside = chars[i - 1] if i > 0 else (chars[0] if chars else "a")
        new = beside if rng.random() < 0.3 and not beside.isspace() else \
            _replacement(beside, letters, rng)
        chars.insert(i, new.lower() if i > 0 else new)


def typo(name: str, rng: random.Random, n: int = 1) -> str:
    """``name`` with exactly ``n`` typing errors (Damerau-Levenshtein distance ``n``):
    substitutions by a neighbouring key (Latin) or another letter of the same script,
    deletions, insertions and transpositions of adjacent letters."""
    if n < 1:
        raise ValueError("n must be at least 1")
    letters = _LETTERS[_script_of(name)]
    for _attempt in range(64):
        chars = list(name)
        for _edit in range(n):
            _one_edit(chars, letters, rng)
        out = "".join(chars)
        if jellyfish.damerau_levenshtein_distance(name, out) == n:
            return out
    # Edits kept cancelling out (very short names): n appended letters are n insertions.
    return name + "".join(letters[int(rng.random() * len(letters))] for _ in range(n))


_ARABIC_FOLDS = (("أ", "ا"), ("إ", "ا"), ("آ", "ا"), ("ة", "ه"), ("ى", "ي"), ("عبد ال", "عبدال"))
_CYRILLIC_FOLDS = str.maketrans({
    "ә": "а", "ғ": "г", "қ": "к", "ң": "н", "ө": "о", "ұ": "у", "ү": "у", "һ": "х", "і": "и",
    "ҳ": "х", "ҷ": "ч", "ӣ": "и", "ӯ": "у", "Ә": "А", "Ғ": "Г", "Қ": "К", "Ң": "Н", "Ө": "О",
    "Ұ": "У", "Ү": "У", "Һ": "Х", "І": "И", "Ҳ": "Х", "Ҷ": "Ч", "Ӯ": "У",
})
_BENGALI_FOLDS = (("ী", "ি"), ("ূ", "ু"), ("ি", "ী"))
_THAANA_FOLDS = (("ޙ", "ހ"), ("ޠ", "ތ"), ("ޢ", "އ"), ("ޝ", "ށ"))


def native_variant(script: str, text: str) -> str | None:
    """The same name as people often write it in the same script: Arabic without hamza
    and with ه for ة, Kazakh/Tajik on a Russian keyboard, Bengali long/short vowel signs,
    Thaana with the plain letter for an Arabic one."""
    if script == "Arab":
        out = text
        for old, new in _ARABIC_FOLDS:
            out = out.replace(old, new)
        return out if out != text else None
    if script == "Cyrl":
        out = text.translate(_CYRILLIC_FOLDS)
        return out if out != text else None
    folds = _BENGALI_FOLDS if script == "Beng" else _THAANA_FOLDS if script == "Thaa" else ()
    for old, new in folds:
        if old in text:
            return text.replace(old, new, 1)
    return None


