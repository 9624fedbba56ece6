"""Search queries with known answers, built from the generator.

Child ``i`` of the loaded population is regenerated from (seed, i, load day); the query is
made from its names, so the right answer is known: recall@10 counts a hit when child ``i``
is among the first ten results. Child ``i`` is row ``first_child_id + i`` (the loader
writes children in index order with ids reserved from the table's sequence); this is
checked against the stored display name for every sampled child.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from bridgeway.registry.demo import (
    SyntheticChild,
    generate_children,
    native_spellings,
    spelling_variant,
    typo,
)

# The loader's owners, by index: supervisor of the agency that holds child i's case.
OWNER_SUPERVISORS = ("supervisor1", "supervisor1", "supervisor1", "ngo_supervisor")

# Children registered with two names or more (a one-word name is shared by hundreds of
# children: no ranking can put the right one in the first ten).
NAME_SETS = {
    "exact": "the registered Latin spelling of the full name",
    "typo1": "the full name with one typing error (Damerau-Levenshtein 1)",
    "typo2": "the full name with two typing errors",
    "alias": "one of the child's aliases (nickname, name used in a group, previous name, "
             "other spelling), in its own script",
    "xscript_to_latin": "child registered in Arabic, Cyrillic, Bengali or Thaana script, "
                        "searched by ANOTHER Latin spelling than the one stored",
    "xscript_to_native": "child registered in Latin script, searched in Arabic script "
                         "(each word's Arabic form from the name data)",
}


@dataclass(frozen=True)
class NameQuery:
    kind: str
    text: str
    index: int  # the child that must be found
    username: str  # who searches (sees the child)


def child_at(index: int, *, seed: int, today: date) -> SyntheticChild:
    return next(iter(generate_children(count=1, seed=seed, start_index=index, today=today)))


def _arabic(child: SyntheticChild) -> str | None:
    words = []
    for part in child.name_parts:
        for token in part.value.split():
            forms = native_spellings(token, "Arab")
            if not forms:
                return None
            words.append(forms[0])
    return " ".join(words)


def name_queries(*, population: int, seed: int, today: date, per_set: int,
                 query_seed: int = 7) -> dict[str, list[NameQuery]]:
    """``per_set`` queries of each kind in ``NAME_SETS``, from children sampled at random."""
    rng = random.Random(query_seed)
    out: dict[str, list[NameQuery]] = {k: [] for k in NAME_SETS}
    tries = 0
    while any(len(v) < per_set for v in out.values()) and tries < per_set * 400:
        tries += 1
        i = rng.randrange(population)
        c = child_at(i, seed=seed, today=today)
        if len(c.name_parts) < 2:
            continue  # a caseworker searches by given and family name, not "Maryam" alone
        user = OWNER_SUPERVISORS[i % len(OWNER_SUPERVISORS)]

        def add(kind: str, text: str | None, i: int = i, user: str = user) -> None:
            if text and len(out[kind]) < per_set:
                out[kind].append(NameQuery(kind, text, i, user))

        add("exact", c.display_name)
        add("typo1", typo(c.display_name, rng, 1))
        add("typo2", typo(c.display_name, rng, 2))
        if c.aliases:
            add("alias", c.aliases[int(rng.random() * len(c.aliases))].value)
        if c.script != "Latn":
            add("xscript_to_latin", spelling_variant(c.display_name, rng))
        else:
            add("xscript_to_native", _arabic(c))
    return out
