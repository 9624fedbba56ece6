"""Registry reads: name search, identifier and case-number lookups, duplicate check.

Every function here takes the acting user (or the access policy's queryset) and returns
only what the policy lets that user see; the caller (a cases selector or service) writes the
audit entry.

How name search stays fast at a million children
-------------------------------------------------
A query is turned into search keys (``names.search_keys``: Latin form, consonant skeleton,
native script, joined pairs) plus, for each word the registry does not know, the known
Latin keys one or two typing errors away (``fuzzy_neighbours``). Each key is weighed by its
kind and by how rare it is (``NameTerm.df``): ``al`` or ``muhammad`` say little,
``jubouri`` says a lot. A child's score is, for each query word, the weight of the best key
of that word it holds, summed over the words (``score_holdings``).

Summing over every child that holds any key would read hundreds of thousands of index
entries for a query containing ``al`` or ``Muhammad``. So keys are split (``split_keys``):
the rarest keys, up to ``POSTINGS_BUDGET`` index entries in all, give the candidates. Each
candidate's bound is its rare keys' score plus what the common keys can still add to the
words it lacks (``slot_ceilings``); the ``COMPLETE_TOP`` candidates with the highest bounds
are completed with the common keys. The answer is checked (``ranking_is_settled``): the
scores of the first ``EXACT_TOP`` places must be final, that is no candidate left out may
be bounded above the tenth score. Otherwise a second look reads, for the candidates only,
the less common of the common keys too (up to ``MIDDLE_BUDGET`` index entries), bounds
each candidate again by what only the commonest keys could add, and completes those who
could beat the tenth (``HAVING``), in one query, up to ``THRESHOLD_CAP``; beyond that every
candidate is scored in one more query. Children who could only tie with the tenth are not
looked for: among equal scores (namesakes, a one-word query held by thousands) the page
shows, shorter names first, those of them the search has read. The places after
``EXACT_TOP`` on a page are the best of the candidates completed: a child outside them
could rank between them, never above the tenth. A child who holds only common keys of a
query that also has rarer ones is not a candidate: it matches only the commonest parts of
the name. The whole search is a fixed number of queries whatever the registry's size.

Hand-written on purpose: PostgreSQL full-text search ranks with ``ts_rank`` over every
matching row (the same cost as the naive sum), and search engines (Elasticsearch, Meilisearch)
would add a second store of child data with its own access control to keep in step.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import jellyfish
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, Q, QuerySet

from bridgeway.access import policy
from bridgeway.registry import names
from bridgeway.registry.models import Child, Identifier, NameKey, NameTerm
from bridgeway.registry.validation import normalize_identifier

CASE_NUMBER_RE = re.compile(r"^[A-Za-z]{1,10}-\d{4}-\d{1,9}$")
MAX_CANDIDATES = 500

# Weight of one matching key = base weight of its kind x rarity (inverse document frequency
# against a reference population; only the ratios between keys matter). Integers, so that
# sums are exact and ties are decided by child id everywhere.
KIND_WEIGHTS = {"latin": 3, "native": 3, "skel": 1}
FUZZY_WEIGHTS = {1: 2, 2: 1}  # a known word one / two typing errors from a query word
REFERENCE_POPULATION = 1_000_000
SCALE = 100
# Strength = the plain (unweighted) sum of base weights: the duplicate check's "is this more
# than noise" threshold, independent of the registry's size.
DUPLICATE_MIN_STRENGTH = 3
IDENTIFIER_SCORE = 10**9  # the same document number outranks any name

POSTINGS_BUDGET = 20_000  # index entries read to find candidates
COMPLETE_TOP = 300  # candidates completed with the common keys first
# The first EXACT_TOP places of a page are exactly the best; the rest of the page are the
# best of the candidates completed. Up to THRESHOLD_CAP more candidates are completed (in
# one query) to make the first places exact before every candidate is scored at once.
EXACT_TOP = 10
THRESHOLD_CAP = 6000  # candidates completed (in one query) before scoring every candidate
MIDDLE_BUDGET = 60_000  # index entries of common keys read for the candidates to bound them
FUZZY_MIN_LENGTH = 4  # shorter words: one typing error makes another name
FUZZY_TWO_EDITS_LENGTH = 8
FUZZY_NEIGHBOURS = 40  # nearest vocabulary words looked at per query word
TRIGRAM_MIN_LENGTH = 7  # shorter words share too few trigrams with their typing errors
FUZZY_KEEP = 8  # of which at most this many, closest first, become query keys
VISIBILITY_BATCH = 500
TIE_WINDOW = 500  # children tied at the page's last score among whom shorter names win


@dataclass(frozen=True, slots=True)
class QueryKey:
    slot: int  # the query word it stands for: a child scores each word once, at its best
    kind: str
    key: str
    df: int  # children holding the key
    weight: int
    strength: int


@dataclass(frozen=True, slots=True)
class NameMatch:
    child_id: int
    score: int
    strength: int


def key_weight(base: int, df: int) -> int:
    return max(1, round(SCALE * base * math.log(1 + REFERENCE_POPULATION / max(df, 1))))


def edit_budget(word: str) -> int:
    """Typing errors tolerated in a query word of this length."""
    if len(word) < FUZZY_MIN_LENGTH:
        return 0
    return 2 if len(word) >= FUZZY_TWO_EDITS_LENGTH else 1


def close_words(word: str, vocabulary: Iterable[tuple[str, int]]) -> list[tuple[str, int, int]]:
    """(key, df, distance) of the vocabulary words within ``word``'s edit budget (never
    ``word`` itself), closest first, at most ``FUZZY_KEEP``."""
    budget = edit_budget(word)
    found = []
    for key, df in vocabulary:
        if key == word or abs(len(key) - len(word)) > budget:
            continue
        distance = jellyfish.damerau_levenshtein_distance(word, key)
        if distance <= budget:
            found.append((distance, -df, key))
    found.sort()
    return [(key, -neg_df, d) for d, neg_df, key in found[:FUZZY_KEEP]]


def single_edits(word: str) -> set[str]:
    """Every Latin key one typing error from ``word`` (a letter deleted, inserted, replaced,
    or two neighbours swapped): some 50 per letter, looked up by the vocabulary's own
    index. Exhaustive, so a single typing error is always recovered, short words included
    (where trigrams share too little)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = {a + b[1:] for a, b in splits if b}
    out |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    out |= {a + c + b[1:] for a, b in splits if b for c in letters}
    out |= {a + c + b for a, b in splits for c in letters}
    out.discard(word)
    return out


def fuzzy_neighbours(words: Sequence[str]) -> dict[str, list[tuple[str, int, int]]]:
    """For each word, the known Latin keys within its edit budget, closest first.

    Short words (fewer than ``TRIGRAM_MIN_LENGTH`` letters) and every word on SQLite: all
    single edits of the word, looked up exactly in the vocabulary (a swap of two letters in
    ``saidi`` leaves too few shared trigrams to be found otherwise). Longer words on
    PostgreSQL: the vocabulary words sharing enough trigrams (``%``, a GIN trigram index),
    which also finds two typing errors; then the exact distance check for all."""
    words = [w for w in words if edit_budget(w)]
    if not words:
        return {}
    postgres = connection.vendor == "postgresql"
    by_trigram = [w for w in words if postgres and len(w) >= TRIGRAM_MIN_LENGTH]
    by_edits = [w for w in words if w not in by_trigram]
    vocabulary: dict[str, int] = {}
    table = NameTerm._meta.db_table
    if by_edits:
        vocabulary.update(_known_latin(set().union(*(single_edits(w) for w in by_edits))))
    if by_trigram:
        sql = (f"SELECT t.key, t.df FROM unnest(%s::text[]) AS q(word) "  # noqa: S608
               f"CROSS JOIN LATERAL (SELECT key, df FROM {table} WHERE kind = 'latin' "
               f"AND df > 0 AND key %% q.word ORDER BY key <-> q.word LIMIT %s) AS t")
        with connection.cursor() as cursor:
            cursor.execute(sql, [by_trigram, FUZZY_NEIGHBOURS])
            vocabulary.update(dict(cursor.fetchall()))
    known = list(vocabulary.items())
    return {w: close_words(w, known) for w in words}


def _known_latin(keys: set[str]) -> dict[str, int]:
    """df of those ``keys`` the vocabulary holds as Latin keys: one probe of the unique
    ``(kind, key)`` index per key on PostgreSQL, whatever the statistics say (``key =
    ANY(...)`` over a thousand strings may be planned as a scan)."""
    if not keys:
        return {}
    if connection.vendor != "postgresql":
        return dict(NameTerm.objects.filter(kind="latin", df__gt=0, key__in=list(keys))
                    .values_list("key", "df"))
    return {key: df for (_kind, key), df in _known_terms({("latin", k) for k in keys}).items()}


def _known_terms(pairs: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """df of those (kind, key) ``pairs`` the vocabulary holds. On PostgreSQL the pairs
    travel as two arrays, each probing the unique ``(kind, key)`` index (``LATERAL``):
    building the condition as ORed ``Q`` objects cost more Python than the look-up costs
    the database."""
    if not pairs:
        return {}
    if connection.vendor != "postgresql":
        cond = Q()
        for kind, key in pairs:
            cond |= Q(kind=kind, key=key)
        return {(kind, key): df for kind, key, df in
                NameTerm.objects.filter(cond, df__gt=0).values_list("kind", "key", "df")}
    ordered = sorted(pairs)
    table = NameTerm._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT t.kind, t.key, t.df FROM unnest(%s::text[], %s::text[]) "  # noqa: S608
                       f"AS q(kind, key) CROSS JOIN LATERAL (SELECT kind, key, df FROM {table} "
                       f"WHERE kind = q.kind AND key = q.key AND df > 0) AS t",
                       [[k for k, _ in ordered], [v for _, v in ordered]])
        return {(kind, key): df for kind, key, df in cursor.fetchall()}


def pair_neighbours(pairs: Sequence[tuple[str, str, str]],
                    close: dict[str, list[tuple[str, int, int]]]
                    ) -> dict[str, list[tuple[str, int, int]]]:
    """For each joined pair ``(pair, first, second)`` the vocabulary does not know, the
    known pairs made of each word or its neighbours in ``close`` (``fuzzy_neighbours``),
    within the pair's edit budget, closest first, at most ``FUZZY_KEEP`` (one query)."""
    options: dict[str, dict[str, int]] = {}
    for pair, first, second in pairs:
        budget = edit_budget(pair)
        if not budget:
            continue
        lefts = [(first, 0)] + [(k, d) for k, _df, d in close.get(first, [])]
        rights = [(second, 0)] + [(k, d) for k, _df, d in close.get(second, [])]
        options[pair] = {a + b: da + db for a, da in lefts for b, db in rights
                         if 0 < da + db <= budget and a + b != pair}
    held = _known_latin({k for made in options.values() for k in made})
    out: dict[str, list[tuple[str, int, int]]] = {}
    for pair, made in options.items():
        found = sorted((d, -held[k], k) for k, d in made.items() if k in held)
        if found:
            out[pair] = [(k, -neg_df, d) for d, neg_df, k in found[:FUZZY_KEEP]]
    return out


def query_keys(query: str) -> list[QueryKey]:
    """The weighted keys of a query that exist in the registry, rarest first: one query,
    and for words it does not know up to five more (their single edits and trigram
    neighbours, the pairs made of those, then edits and trigrams of the pairs left)).

    Each query word (and each pair of neighbours joined) is a slot: its Latin key,
    skeleton, native form and the known words a typing error or two away. A child holding
    several keys of one slot (``hamwi`` and, through an alias, ``hamawi``) scores the slot
    once, at its best key."""
    words = names.search_words(query)
    slot_keys = [set().union(*(names.token_keys(f) for f in names.query_forms(w)))
                 for w in words]
    slot_words = [names.latin_key(w) for w in words]
    consonantal = [not names.writes_vowels(w) for w in words]
    wanted = set().union(*slot_keys) if slot_keys else set()
    dfs = _known_terms(wanted)
    # A word the registry knows is taken as typed; the others may hold a typing error.
    # (A typing error that makes another known name — Martin/Marin — is then matched by
    # the name's other words and its skeleton: this keeps exact searches to one lookup.)
    known = {key for (kind, key) in dfs if kind == "latin"}
    unknown = set(slot_words) - known - {""}
    # Each word's typing errors are looked for in the vocabulary; a joined pair's are first
    # the pairs of its words' neighbours (a typing error falls in one of the two words):
    # exact probes instead of a trigram search of the long pair keys. A pair none of whose
    # neighbours' pairs is known (two errors in one short word, or an error that made
    # another known name) is searched as a word of its own.
    singles = len(names.tokens(query))
    close = fuzzy_neighbours(sorted({w for w in slot_words[:singles] if w in unknown}))
    pairs = [(w, slot_words[i], slot_words[i + 1])
             for i, w in enumerate(slot_words[singles:]) if w in unknown]
    close.update(pair_neighbours(pairs, close))
    close.update(fuzzy_neighbours(sorted({p for p, _a, _b in pairs if p not in close})))
    best: dict[tuple[int, str, str], QueryKey] = {}

    def offer(slot: int, kind: str, key: str, df: int, base: int) -> None:
        candidate = QueryKey(slot, kind, key, df, key_weight(base, df), base)
        current = best.get((slot, kind, key))
        if current is None or candidate.weight > current.weight:
            best[(slot, kind, key)] = candidate

    for slot, (keys, word) in enumerate(zip(slot_keys, slot_words, strict=True)):
        # A word written without short vowels (Arabic, Thaana…) says no more than its
        # consonants: a child registered in that script (native key) and one registered in
        # Latin letters (the same consonant skeleton) match it equally well, so its native
        # and Latin keys weigh what its skeleton weighs, not more.
        skeleton_df = max((dfs.get((kind, key), 0) for kind, key in keys if kind == "skel"),
                          default=0) if consonantal[slot] else 0
        for kind, key in keys:
            if (kind, key) in dfs:
                base = KIND_WEIGHTS.get(kind, 1)
                df = dfs[(kind, key)]
                if consonantal[slot] and kind == "skel":
                    base = KIND_WEIGHTS["latin"]
                if consonantal[slot] and kind != "skel" and skeleton_df:
                    # (its Latin key, "ywsf", is the native form transliterated)
                    df = max(df, skeleton_df)
                offer(slot, kind, key, df, base)
        for key, df, distance in close.get(word, []):
            offer(slot, "latin", key, df, FUZZY_WEIGHTS[distance])
    return sorted(best.values(), key=lambda k: (k.df, k.slot, k.kind, k.key))


def split_keys(keys: Sequence[QueryKey], budget: int = POSTINGS_BUDGET
               ) -> tuple[list[QueryKey], list[QueryKey]]:
    """(essential, common): the rarest keys whose index entries add up to at most
    ``budget`` (always at least one key), and the rest. ``keys`` come rarest first."""
    essential: list[QueryKey] = []
    total = 0
    for k in keys:
        if essential and total + k.df > budget:
            break
        essential.append(k)
        total += k.df
    return essential, list(keys[len(essential):])


def score_holdings(held: Iterable[QueryKey]) -> tuple[int, int]:
    """(score, strength) of a child holding these keys: each slot once, at its best."""
    weight: dict[int, int] = {}
    strength: dict[int, int] = {}
    for k in held:
        weight[k.slot] = max(weight.get(k.slot, 0), k.weight)
        strength[k.slot] = max(strength.get(k.slot, 0), k.strength)
    return sum(weight.values()), sum(strength.values())


def ranking_is_settled(ranked: Sequence[NameMatch], limit: int,
                       unscored_best: int | None) -> bool:
    """Whether the scores of the first ``limit`` of ``ranked`` are final: no candidate left
    unscored (its best possible score is ``unscored_best``) could score more than the one
    at place ``limit``. One that could only tie with it is not looked for: among equal
    scores the page shows those it has read (see the module docstring)."""
    if unscored_best is None:
        return True
    return len(ranked) >= limit and ranked[limit - 1].score >= unscored_best


def slot_ceilings(common: Sequence[QueryKey]) -> dict[int, int]:
    """For each query word, the most its common keys can give a child."""
    per_slot: dict[int, int] = {}
    for k in common:
        per_slot[k.slot] = max(per_slot.get(k.slot, 0), k.weight)
    return per_slot


def _postings_sql(keys: Sequence[QueryKey]) -> tuple[str, list[str]]:
    """Index-only reads of each key's children, with the key's slot, weight, strength."""
    table = NameKey._meta.db_table
    parts, params = [], []
    for k in keys:
        parts.append(f"SELECT child_id, {int(k.slot)} AS slot, {int(k.weight)} AS w, "  # noqa: S608
                     f"{int(k.strength)} AS s FROM {table} WHERE kind = %s AND key = %s")
        params += [k.kind, k.key]
    return " UNION ALL ".join(parts), params


def _scores(keys: Sequence[QueryKey], *, limit: int,
            candidates_of: Sequence[QueryKey] | None = None,
            ceilings: dict[int, int] | None = None,
            beating: int | None = None) -> list[NameMatch]:
    """Children by their score over ``keys``, best first (one query). With
    ``candidates_of``, only children holding one of those keys are scored.

    With ``ceilings`` (``slot_ceilings`` of the keys not read), each child's ``score`` is
    instead the most it could score once those keys are added: its score here plus, for
    each query word, what the word's ceiling adds above what the child already holds for
    it; children come by that bound, highest first. With ``beating`` too, only those
    whose bound is more than ``beating``."""
    postings, params = _postings_sql(keys)
    where = ""
    if candidates_of is not None:
        inner, inner_params = _postings_sql(candidates_of)
        where = f" WHERE p.child_id IN (SELECT child_id FROM ({inner}) AS c)"  # noqa: S608
        params += inner_params
    covered, score, having = "0", "SUM(b.w)", ""
    if ceilings:
        # The part of each word's ceiling the child already holds: integers of our own.
        cases = " ".join(f"WHEN {int(slot)} THEN {int(c)}" for slot, c in ceilings.items())
        least = "LEAST" if connection.vendor == "postgresql" else "MIN"  # SQLite's scalar
        covered = f"{least}(MAX(p.w), CASE p.slot {cases} ELSE 0 END)"
        score = f"SUM(b.w) + {int(sum(ceilings.values()))} - SUM(b.c)"
    if beating is not None:
        having = f" HAVING {score} > %s"
        params.append(beating)
    sql = (f"SELECT b.child_id, {score} AS score, SUM(b.s) AS strength FROM ("  # noqa: S608
           f"SELECT p.child_id, p.slot, MAX(p.w) AS w, MAX(p.s) AS s, {covered} AS c "
           f"FROM ({postings}) AS p{where} GROUP BY p.child_id, p.slot) AS b "
           f"GROUP BY b.child_id{having} "
           f"ORDER BY score DESC, b.child_id LIMIT %s")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        return [NameMatch(int(c), int(s), int(st)) for c, s, st in cursor.fetchall()]


def _complete(candidates: Sequence[int], keys: Sequence[QueryKey]) -> list[NameMatch]:
    """Full scores of the given children over all ``keys`` (one query), best first."""
    if not candidates:
        return []
    by_key: dict[tuple[str, str], list[QueryKey]] = {}
    for k in keys:
        by_key.setdefault((k.kind, k.key), []).append(k)
    held: dict[int, list[QueryKey]] = {cid: [] for cid in candidates}
    postings = sum(ks[0].df for ks in by_key.values())
    for child_id, kind, key in _holdings(list(held), list(by_key), postings):
        held[child_id] += by_key[(kind, key)]
    ranked = [NameMatch(cid, *score_holdings(ks)) for cid, ks in held.items()]
    ranked.sort(key=lambda m: (-m.score, m.child_id))
    return ranked


KEYS_PER_CHILD = 17  # index entries of one child (names, aliases, pairs), on the demo data


def _holdings(child_ids: list[int], pairs: list[tuple[str, str]], postings: int
              ) -> Iterable[tuple[int, str, str]]:
    """(child, kind, key) rows of these children for these keys (``postings``: how many
    index entries the keys have in all).

    On PostgreSQL the lists travel as arrays (thousands of ``IN`` parameters cost more to
    build and plan than to run), and the cheaper of two reads is chosen explicitly: the
    keys' own index entries filtered by child when the keys are rare, or each child's
    entries filtered by key when a key is common (``al``, ``mhmd``) — the planner,
    blind to which children are asked about, picks the first even for a key held by
    200,000 children (measured on a million: 26 ms against 5 ms for 300 children and
    an Arabic-script query; 9 ms against 24 ms for 4,000 children and rare keys)."""
    if connection.vendor != "postgresql":
        cond = Q()
        for kind, key in pairs:
            cond |= Q(kind=kind, key=key)
        return (NameKey.objects.filter(child_id__in=child_ids).filter(cond)
                .values_list("child_id", "kind", "key"))
    table = NameKey._meta.db_table
    if postings <= KEYS_PER_CHILD * len(child_ids):
        sql = (f"SELECT n.child_id, n.kind, n.key FROM {table} n "  # noqa: S608
               "JOIN unnest(%s::text[], %s::text[]) AS q(kind, key) "
               "ON n.kind = q.kind AND n.key = q.key WHERE n.child_id = ANY(%s::bigint[])")
        params: list[Any] = [[k for k, _ in pairs], [v for _, v in pairs], child_ids]
    else:
        # The key compared as one expression no index holds: read child by child.
        sql = (f"SELECT n.child_id, n.kind, n.key FROM {table} n "  # noqa: S608
               "WHERE n.child_id = ANY(%s::bigint[]) "
               "AND (n.kind || chr(31) || n.key) = ANY(%s::text[])")
        params = [child_ids, [f"{k}\x1f{v}" for k, v in pairs]]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


class Within:
    """The access policy's queryset of child ids, compiled to SQL once for the several
    visibility questions of one search (compiling the policy's conditions through the ORM
    cost about as much as asking them, measured on the benchmark, docs/performance.md),
    with the answers it has given: a child is asked about once per search."""

    __slots__ = ("_compiled", "answers", "queryset")

    def __init__(self, queryset: QuerySet[Any]) -> None:
        self.queryset = queryset
        self._compiled: tuple[str, tuple[Any, ...]] | None = None
        self.answers: dict[int, bool] = {}

    def compiled(self) -> tuple[str, tuple[Any, ...]]:
        """(sql, params) of the queryset; raises ``EmptyResultSet`` for ``none()``."""
        if self._compiled is None:
            self._compiled = self.queryset.query.sql_with_params()
        return self._compiled


def visible_ids(ids: Sequence[int], within: QuerySet[Any] | Within | None) -> set[int]:
    """Those of ``ids`` in ``within`` (a queryset of child ids), asked about these ids only
    rather than by reading every child the user may see."""
    if within is None:
        return set(ids)
    if not ids:
        return set()
    if not isinstance(within, Within):
        within = Within(within)
    ask = [i for i in dict.fromkeys(ids) if i not in within.answers]
    if ask:
        seen = _ask_policy(ask, within)
        within.answers.update((i, i in seen) for i in ask)
    return {i for i in ids if within.answers[i]}


def _ask_policy(ids: list[int], within: Within) -> set[int]:
    if connection.vendor != "postgresql":
        return set(Child.objects.filter(pk__in=ids).filter(pk__in=within.queryset)
                   .values_list("pk", flat=True))
    try:
        inner, params = within.compiled()
    except EmptyResultSet:  # the policy's ``none()``: nobody to see
        return set()
    table = Child._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {table} WHERE id = ANY(%s::bigint[]) "  # noqa: S608
                       f"AND id IN ({inner})", [ids, *params])
        return {row[0] for row in cursor.fetchall()}


def _first_visible(ranked: Sequence[NameMatch], within: Within | None,
                   limit: int) -> list[NameMatch]:
    """The first ``limit`` of ``ranked`` that ``within`` holds, asking about as few as
    possible (twice the page, then growing batches), followed by the visible children
    that tie with the last of them (up to ``TIE_WINDOW``): ``_shorter_names_first``
    chooses among those."""
    out: list[NameMatch] = []
    start, size = 0, max(2 * limit, 20)
    while start < len(ranked):
        batch = ranked[start:start + size]
        start += size
        size = min(size * 4, VISIBILITY_BATCH)
        seen = visible_ids([m.child_id for m in batch], within)
        out += [m for m in batch if m.child_id in seen]
        if len(out) >= limit and (start >= len(ranked) or len(out) >= limit + TIE_WINDOW
                                  or ranked[start].score < out[limit - 1].score):
            break
    return _with_ties(out, limit)


def _with_ties(ranked: Sequence[NameMatch], limit: int) -> list[NameMatch]:
    """The first ``limit`` of ``ranked`` and those after them with the same score."""
    if len(ranked) <= limit:
        return list(ranked)
    last = ranked[limit - 1].score
    end = limit
    while end < len(ranked) and end < limit + TIE_WINDOW and ranked[end].score == last:
        end += 1
    return list(ranked[:end])


def name_lengths(child_ids: Sequence[int]) -> dict[int, int]:
    """How many search keys each child's own names (not aliases) give, one query through
    the unique ``(child, kind, key)`` index: more words, more keys."""
    if not child_ids:
        return {}
    rows = (NameKey.objects.filter(child_id__in=list(child_ids), kind="latin",
                                   from_alias=False)
            .values("child_id").annotate(n=Count("id")).values_list("child_id", "n"))
    return dict(rows)


def _shorter_names_first(ranked: Sequence[NameMatch], limit: int) -> list[NameMatch]:
    """Among children with the same score, the one whose name has fewest words the query
    did not ask for comes first: ``Anas al-Kurdi`` before ``Anas Ahmed al-Kurdi`` for the
    query "Anas al-Kurdi" (both hold every word of it). Then by child id."""
    page = list(ranked)
    if not page:
        return []
    # Asked even without a tie, so that a search costs the same queries whatever it finds.
    ties = {m.score for m in page[:limit]}
    tied = [m.child_id for m in page if m.score in ties]
    lengths = name_lengths(tied)
    page.sort(key=lambda m: (-m.score, lengths.get(m.child_id, 0), m.child_id))
    return page[:limit]


def rank_children(query: str, *, within: QuerySet[Any] | None = None,
                  limit: int = 25) -> list[NameMatch]:
    """The ``limit`` best children for a name query, among ``within`` (a queryset of child
    ids: the access policy's), best first; equal scores as the module docstring says."""
    keys = query_keys(query)
    if not keys or limit <= 0:
        return []
    visible = Within(within) if within is not None else None
    essential, common = split_keys(keys, POSTINGS_BUDGET)
    exact = min(limit, EXACT_TOP)
    # The candidates that could score most once the common keys are added (their rare
    # keys' score plus what the common keys can add to the words each lacks), and one
    # more: its bound bounds every candidate not completed.
    fetched = _scores(essential, limit=COMPLETE_TOP + 1, ceilings=slot_ceilings(common))
    found = _complete_visible(fetched[:COMPLETE_TOP], keys, common, visible, limit)
    unscored_best = fetched[COMPLETE_TOP].score if len(fetched) > COMPLETE_TOP else None
    if ranking_is_settled(found, exact, unscored_best):
        return _shorter_names_first(found, limit)
    if len(found) >= exact:
        # Every other candidate that could still beat the score now at place ``exact``:
        # its partial score plus what the common keys can add to the words it lacks.
        # The less common of the common keys are read too, for the candidates only: their
        # scores then bound the rest far more tightly than the keys' ceilings would.
        done = {m.child_id for m in fetched[:COMPLETE_TOP]}
        middle, commonest = split_keys(common, MIDDLE_BUDGET)
        if sum(k.df for k in middle) > MIDDLE_BUDGET:
            middle, commonest = [], list(common)  # even the rarest common key is too common
        rest = [m for m in _scores([*essential, *middle],
                                   limit=THRESHOLD_CAP + COMPLETE_TOP + 1,
                                   candidates_of=essential if middle else None,
                                   ceilings=slot_ceilings(commonest),
                                   beating=found[exact - 1].score)
                if m.child_id not in done]
        if len(rest) <= THRESHOLD_CAP:
            # Completed all at once, then asked about visibility best first.
            more = _complete([m.child_id for m in rest], keys)
            merged = sorted([*found, *more], key=lambda m: (-m.score, m.child_id))
            return _shorter_names_first(_first_visible(merged, visible, limit), limit)
    # Rare: too many candidates could still reach the page (a long name made of common
    # words); score them all (as many as the essential keys have children: within the
    # postings budget unless even the rarest key of the query is common) and check
    # visibility in score order.
    everyone = _scores(keys, limit=max(limit, sum(k.df for k in essential)),
                       candidates_of=essential)
    return _shorter_names_first(_first_visible(everyone, visible, limit), limit)


def _complete_visible(batch: Sequence[NameMatch], keys: Sequence[QueryKey],
                      common: Sequence[QueryKey], within: Within | None,
                      limit: int) -> list[NameMatch]:
    """The best visible ``limit`` (and ties) of ``batch`` once completed with the common
    keys (their full score is recomputed), best first."""
    completed = _complete([m.child_id for m in batch], keys) if common else list(batch)
    if within is not None:
        return _first_visible(completed, within, limit)
    return _with_ties(completed, limit)


def name_match_scores(query: str, *, within: QuerySet[Any] | None = None,
                      limit: int = MAX_CANDIDATES) -> list[tuple[int, int]]:
    """(child_id, score) for children whose names or aliases match ``query``, best first.

    ``within`` restricts to a queryset of child ids (the access policy's)."""
    return [(m.child_id, m.score) for m in rank_children(query, within=within, limit=limit)]


def identifier_child_ids(query: str, *, within: QuerySet[Any] | None = None) -> list[int]:
    """Children holding an identifier equal to ``query`` once normalized (spaces, dashes
    and case ignored), by child id. Numbers are encrypted: the blind index is compared."""
    norm = normalize_identifier(query)
    if len(norm) < 3:
        return []
    ids = sorted(set(Identifier.objects.filter(value_index=Identifier.index_for(norm))
                     .values_list("child_id", flat=True)[:MAX_CANDIDATES]))
    seen = visible_ids(ids, within)
    return [cid for cid in ids if cid in seen]


def possible_duplicates(*, actor: Any, child: dict[str, Any], limit: int = 10) -> list[Child]:
    """Children the actor may see who could be the same child as the one being registered:
    same identifier, or names matching across spellings and scripts, ranked."""
    visible = policy.children_visible_to(actor).values("pk")
    scores: dict[int, tuple[int, int]] = {}  # child -> (strength, score)
    for ident in child.get("identifiers") or []:
        value = ident.get("value") if isinstance(ident, dict) else None
        if isinstance(value, str):
            for cid in identifier_child_ids(value, within=visible):
                strength, score = scores.get(cid, (0, 0))
                scores[cid] = (strength + 10, score + IDENTIFIER_SCORE)
    texts = []
    for part in (child.get("names") or []) + (child.get("aliases") or []):
        if isinstance(part, dict):
            texts += [t for t in (part.get("value"), part.get("latin")) if isinstance(t, str)]
    if texts:
        for m in rank_children(" ".join(texts), within=visible, limit=50):
            strength, score = scores.get(m.child_id, (0, 0))
            scores[m.child_id] = (strength + m.strength, score + m.score)
    # A match on a single weak key (a consonant skeleton, a distant spelling) is noise.
    ranked = [cid for cid, (strength, score) in
              sorted(scores.items(), key=lambda kv: (-kv[1][1], kv[0]))
              if strength >= DUPLICATE_MIN_STRENGTH][:limit]
    if not ranked:
        return []
    by_id = {c.pk: c for c in Child.objects.filter(pk__in=ranked).prefetch_related("names")}
    return [by_id[cid] for cid in ranked if cid in by_id]
