"""Name search at scale: the pieces of the ranking (pure) and the search through the
database — typing errors, other scripts, one score per query word, and the shortcut that
reads only the rarest keys giving exactly the answer of scoring everything."""

from __future__ import annotations

import itertools

import pytest

from bridgeway.registry import names, selectors
from bridgeway.registry.selectors import (
    NameMatch,
    QueryKey,
    close_words,
    edit_budget,
    key_weight,
    rank_children,
    ranking_is_settled,
    score_holdings,
    single_edits,
    slot_ceilings,
    split_keys,
)


def qk(slot: int, key: str, df: int, weight: int, kind: str = "latin") -> QueryKey:
    return QueryKey(slot, kind, key, df, weight, 3)


# --- pure pieces -----------------------------------------------------------------------------

def test_rarer_keys_weigh_more_and_every_key_weighs_something():
    assert key_weight(3, 1) > key_weight(3, 100) > key_weight(3, 100_000) > 0
    assert key_weight(3, 50) > key_weight(1, 50)
    assert key_weight(1, 10**9) >= 1


@pytest.mark.parametrize(("word", "budget"), [("ali", 0), ("omar", 1), ("hassan", 1),
                                              ("abdullah", 2), ("muhammadahmed", 2)])
def test_typing_errors_tolerated_grow_with_word_length(word, budget):
    assert edit_budget(word) == budget


def test_single_edits_cover_each_kind_of_typing_error():
    edits = single_edits("saidi")
    assert {"sadii", "said", "saidii", "saodi", "asidi"} <= edits  # swap, drop, add, replace
    assert "saidi" not in edits
    assert "sdii" not in edits  # two errors


def test_close_words_respect_the_budget_and_come_closest_first():
    vocabulary = [("martin", 50), ("marin", 900), ("mart", 5), ("martina", 20), ("matrin", 1)]
    found = close_words("martni", vocabulary)
    assert [k for k, _df, _d in found] == ["martin"]  # 1 swap; marin/martina are 2 away
    assert close_words("ali", vocabulary) == []  # too short to guess at


def test_split_keeps_the_rarest_keys_within_the_budget_and_at_least_one():
    keys = [qk(0, "jubouri", 10, 9), qk(1, "ahmed", 5_000, 4), qk(2, "al", 90_000, 1)]
    essential, common = split_keys(keys, budget=6_000)
    assert [k.key for k in essential] == ["jubouri", "ahmed"]
    assert [k.key for k in common] == ["al"]
    essential, common = split_keys(keys[2:], budget=10)
    assert [k.key for k in essential] == ["al"] and common == []


def test_a_query_word_scores_once_at_its_best_key():
    held = [qk(0, "hamwi", 10, 900), qk(0, "hamawi", 5, 400), qk(1, "sara", 10, 300)]
    assert score_holdings(held) == (1200, 6)
    assert sum(slot_ceilings(held).values()) == 1200


def test_ranking_is_settled_only_when_no_unscored_candidate_can_beat_the_page():
    ranked = [NameMatch(1, 50, 3), NameMatch(2, 40, 3), NameMatch(3, 30, 3)]
    assert ranking_is_settled(ranked, 2, None)
    assert ranking_is_settled(ranked, 2, 39)
    assert ranking_is_settled(ranked, 2, 40)  # could only tie: not looked for
    assert not ranking_is_settled(ranked, 2, 41)
    assert not ranking_is_settled(ranked, 5, 1)  # page not full


def test_slot_ceilings_are_each_words_best_common_key():
    common = [qk(0, "mhmd", 90_000, 250), qk(0, "muhammad", 40_000, 600), qk(3, "al", 2, 500)]
    assert slot_ceilings(common) == {0: 600, 3: 500}


def test_query_forms_drop_the_joined_arabic_article():
    assert names.query_forms("الخليفي") == ["الخليفي", "خليفي"]
    assert names.query_forms("Alkhalifi") == ["Alkhalifi"]
    assert names.query_forms("الم") == ["الم"]


def test_search_keys_are_the_keys_of_each_word_and_joined_pair():
    text = "Abd al-Rahman محمد"
    expected = set().union(*(names.token_keys(w) for w in names.search_words(text)))
    assert names.search_keys(text) == expected
    assert ("latin", "abdal") in expected and ("native", "محمد") in expected


# --- through the database ------------------------------------------------------------------------

pytestmark_db = pytest.mark.django_db


def _name(kind: str, value: str, latin: str = "") -> dict[str, str]:
    return {"kind": kind, "value": value, **({"latin": latin} if latin else {})}


@pytest.fixture
def registry(people, register):
    """A few children of the caseworker's agency, registered through the service."""
    made = {
        "fatimah": register(names=[_name("given", "Fatimah"), _name("family", "Ibrahim")],
                            aliases=[]),
        "khelifi": register(names=[_name("given", "Mehdi"), _name("family", "Khelifi")],
                            aliases=[]),
        "abdullah": register(names=[_name("given", "عبدالله", "Abdullah"),
                                    _name("family", "الحموي", "al-Hamwi")], aliases=[]),
        "sara": register(names=[_name("given", "Sara"), _name("family", "Hamwi")],
                         aliases=[{"alias_type": "spelling", "value": "Sara Hamawi"}]),
        "martin": register(names=[_name("given", "Emma"), _name("family", "Martin")],
                           aliases=[]),
        "marin": register(names=[_name("given", "Emma"), _name("family", "Marin")],
                          aliases=[]),
    }
    return {k: c.child_id for k, c in made.items()}


def _top(query: str, **kw) -> list[int]:
    return [m.child_id for m in rank_children(query, **kw)]


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "who"), [
    ("Fatimah Ibrahin", "fatimah"),  # one substitution
    ("Fatmiah Ibrahim", "fatimah"),  # one swap in a short word
    ("Mehdi Khelfii", "khelifi"),
    ("Emma Martni", "martin"),
])
def test_a_typing_error_still_finds_the_child_first(registry, query, who):
    assert _top(query)[0] == registry[who]


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "who"), [
    ("فاطمة إبراهيم", "fatimah"),  # registered in Latin, searched in Arabic
    ("مهدي الخليفي", "khelifi"),  # with the article written joined
    ("Abdallah al-Hamawi", "abdullah"),  # registered in Arabic, another Latin spelling
    ("عبدالله الحموي", "abdullah"),
])
def test_names_are_found_across_scripts(registry, query, who):
    assert _top(query)[0] == registry[who]


@pytest.mark.django_db
def test_a_child_scores_a_query_word_once_even_through_an_alias(registry):
    # Sara holds "hamwi" and (alias) "hamawi": one word, one score; Abdullah holds both words.
    assert _top("Abdullah Hamwi")[0] == registry["abdullah"]


@pytest.mark.django_db
def test_the_exact_spelling_ranks_above_a_one_error_neighbour(registry):
    assert _top("Emma Marin")[:2] == [registry["marin"], registry["martin"]]
    assert _top("Emma Martin")[:2] == [registry["martin"], registry["marin"]]


@pytest.mark.django_db
@pytest.mark.parametrize("middle_budget", [0, 3, 10**6])
def test_reading_only_the_rarest_keys_ranks_its_candidates_exactly(people, register,
                                                                   monkeypatch, middle_budget):
    """With a tiny budget the search reads the rarest keys' children, completes the best
    with the common keys and checks the page is settled: the answer is the full ranking
    restricted to those candidates, with the same scores, the same children above the last
    score and, at the last score, children that hold it. Whether the second look bounds
    the candidates by the common keys' ceilings alone (middle budget 0), reads one common
    key for them (3) or all (10**6)."""
    from bridgeway.registry.models import NameKey

    for i in range(12):
        register(names=[_name("given", ["Ahmed", "Omar", "Ali"][i % 3]),
                        _name("family", ["Hassan", "Hasan", "Jubouri"][i % 3]),
                        _name("grandfather", f"Zed{chr(97 + i)}x")], aliases=[])
    queries = ["Ahmed Hassan", "Omar Hasan Jubouri", "Ali Jubouri Zedcx", "Ahmad Hasan"]
    everything = {q: rank_children(q, limit=100) for q in queries}
    monkeypatch.setattr(selectors, "POSTINGS_BUDGET", 3)
    monkeypatch.setattr(selectors, "COMPLETE_TOP", 2)
    monkeypatch.setattr(selectors, "MIDDLE_BUDGET", middle_budget)
    for cap, q in itertools.product([0, 3, 100], queries):
        # no second look (everything scored at once), or the candidates that could still
        # beat the first places completed at once
        monkeypatch.setattr(selectors, "THRESHOLD_CAP", cap)
        essential, common = split_keys(selectors.query_keys(q), budget=3)
        assert common, q  # the shortcut is really taken
        cond = [(k.kind, k.key) for k in essential]
        candidates = {cid for cid, kind, key in
                      NameKey.objects.values_list("child_id", "kind", "key")
                      if (kind, key) in cond}
        expected = [m for m in everything[q] if m.child_id in candidates]
        got = rank_children(q, limit=5)
        assert [m.score for m in got] == [m.score for m in expected[:5]], (q, cap)
        last = got[-1].score
        assert ([m for m in got if m.score > last]
                == [m for m in expected if m.score > last]), (q, cap)
        assert {m for m in got if m.score == last} <= set(expected), (q, cap)


@pytest.mark.django_db
def test_the_second_look_reads_exactly_the_candidates_who_could_beat_a_score(people,
                                                                              register):
    """``_scores(..., ceilings=..., beating=score)`` ranks a child by its score over the
    keys read plus what each word's ceiling adds above what the child already holds for
    that word, and keeps it when that is more than ``score`` — computed here from the
    index rows themselves."""
    from bridgeway.registry.models import NameKey

    for i in range(10):
        register(names=[_name("given", ["Ahmed", "Omar", "Ali", "Amir", "Umar"][i % 5]),
                        _name("family", ["Hassan", "Hasan", "Jubouri"][i % 3])], aliases=[])
    keys = selectors.query_keys("Omar Hassan Jubouri")
    read, other = keys[: len(keys) // 2], keys[len(keys) // 2:]
    ceilings = slot_ceilings(other)
    assert ceilings
    rows: dict[int, list] = {}
    for cid, kind, key in NameKey.objects.values_list("child_id", "kind", "key"):
        # one key may stand for two words ("lm" of "l-Lami" and of "al-Lami"): each counts
        rows.setdefault(cid, []).extend(k for k in read if (k.kind, k.key) == (kind, key))
    rows = {cid: held for cid, held in rows.items() if held}
    assert read and rows

    def bound(held):
        best: dict[int, int] = {}
        for k in held:
            best[k.slot] = max(best.get(k.slot, 0), k.weight)
        return sum(best.values()) + sum(max(0, c - best.get(slot, 0))
                                        for slot, c in ceilings.items())

    ranked = selectors._scores(read, limit=1000, ceilings=ceilings)
    assert {m.child_id: m.score for m in ranked} == {cid: bound(h) for cid, h in rows.items()}
    assert [m.score for m in ranked] == sorted((m.score for m in ranked), reverse=True)
    bounds = sorted({bound(h) for h in rows.values()})
    for score in [0, *bounds]:
        got = {m.child_id for m in selectors._scores(read, limit=1000, ceilings=ceilings,
                                                      beating=score)}
        assert got == {cid for cid, h in rows.items() if bound(h) > score}, score


@pytest.mark.django_db
def test_search_sees_only_what_within_allows(people, register):
    from bridgeway.access import policy

    mine = register(names=[_name("given", "Zainab"), _name("family", "Haddad")])
    theirs = register(actor=people.outsider,
                      names=[_name("given", "Zainab"), _name("family", "Haddad")])
    visible = policy.children_visible_to(people.caseworker).values("pk")
    assert _top("Zainab Haddad", within=visible) == [mine.child_id]
    assert theirs.child_id in _top("Zainab Haddad")


@pytest.mark.django_db
def test_vocabulary_counts_follow_every_write(people, register):
    from django.db.models import Count

    from bridgeway.registry.models import NameKey, NameTerm
    from bridgeway.registry.services import child_update

    case = register(names=[_name("given", "Yusuf"), _name("family", "Rahman")])
    register(names=[_name("given", "Yusuf"), _name("family", "Ismail")])
    child_update(actor=people.caseworker, case_id=case.pk, expected_version=1,
                 child={"sex": "male", "date_of_birth": "2012-01-01",
                        "names": [_name("given", "Yousef"), _name("family", "Rahman")]})
    actual = {(r["kind"], r["key"]): r["n"] for r in
              NameKey.objects.values("kind", "key").annotate(n=Count("id"))}
    stored = {(t.kind, t.key): t.df for t in NameTerm.objects.filter(df__gt=0)}
    assert stored == actual
    assert stored[("latin", "yusuf")] == 1 and stored[("latin", "yousef")] == 1
    assert NameTerm.objects.get(kind="latin", key="rahman").df == 1


@pytest.mark.django_db
def test_case_number_search_ignores_letter_case_and_uses_the_index(people, register):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bridgeway.cases.selectors import CaseFilters, case_list

    case = register()
    register(names=[_name("given", "Budi")])
    for typed in (case.case_number, case.case_number.lower(),
                  case.case_number[:1].lower() + case.case_number[1:]):
        with CaptureQueriesContext(connection) as ctx:
            found = case_list(actor=people.caseworker, filters=CaseFilters(q=typed)).cases
        assert [c.pk for c in found] == [case.pk], typed
        assert not any("UPPER(" in q["sql"] for q in ctx.captured_queries)


@pytest.mark.django_db
def test_duplicate_check_puts_the_same_document_first_and_drops_weak_matches(people,
                                                                             register):
    from bridgeway.registry.selectors import possible_duplicates

    same_name = register(names=[_name("given", "Zainab"), _name("family", "Haddad")],
                         identifiers=[])
    same_document = register(names=[_name("given", "Layla"), _name("family", "Karimi")],
                             identifiers=[{"id_type": "passport", "value": "X 998877"}])
    register(names=[_name("given", "Zaid"), _name("family", "Nour")], identifiers=[])
    found = possible_duplicates(actor=people.caseworker, child={
        "names": [{"value": "Zainab"}, {"value": "Haddad"}],
        "identifiers": [{"value": "x-998877"}]})
    assert [c.pk for c in found] == [same_document.child_id, same_name.child_id]
    # "Zyd" shares only a consonant skeleton (sd) with "Zaid": a weak key alone is noise.
    weak = possible_duplicates(actor=people.caseworker, child={"names": [{"value": "Zyd"}]})
    assert weak == []


@pytest.mark.django_db
def test_among_equal_scores_the_name_without_extra_words_comes_first(people, register):
    longer = register(names=[_name("given", "Anas"), _name("patronymic", "Ahmed"),
                             _name("family", "al-Kurdi")], aliases=[])
    exact = register(names=[_name("given", "Anas"), _name("family", "al-Kurdi")], aliases=[])
    # Family name first, as many lists write it: neither holds the words joined in this
    # order, so both hold exactly the same keys of the query.
    query = "al-Kurdi Anas"
    ranked = rank_children(query, limit=5)
    assert ranked[0].score == ranked[1].score
    assert [m.child_id for m in ranked[:2]] == [exact.child_id, longer.child_id]
    # The tie-break survives the access policy's filter and the case search on top.
    from bridgeway.access import policy
    from bridgeway.cases.selectors import CaseFilters, case_list

    visible = policy.children_visible_to(people.caseworker).values("pk")
    assert _top(query, within=visible)[:2] == [exact.child_id, longer.child_id]
    page = case_list(actor=people.caseworker, filters=CaseFilters(q=query))
    assert [c.child_id for c in page.cases[:2]] == [exact.child_id, longer.child_id]


@pytest.mark.django_db
def test_an_arabic_script_query_weighs_latin_and_arabic_registrations_alike(people, register):
    """Arabic script writes no short vowels: "يوسف" says "y-s-f", which the child
    registered as "Yusuf" holds as surely as the child registered as "يوسف"."""
    latin = register(names=[_name("given", "Yusuf"), _name("family", "Haddad")], aliases=[])
    arabic = register(names=[_name("given", "يوسف", "Yusuf"), _name("family", "حداد", "Haddad")],
                      aliases=[])
    ranked = {m.child_id: m.score for m in rank_children("يوسف حداد", limit=5)}
    assert ranked[latin.child_id] == ranked[arabic.child_id]
    # A Latin query still prefers the exact Latin spelling over a skeleton-only match.
    other = register(names=[_name("given", "Yosef"), _name("family", "Haddad")], aliases=[])
    assert _top("Yusuf Haddad")[-1] == other.child_id


@pytest.mark.django_db
def test_the_latin_spelling_of_a_name_in_another_script_scores_as_a_latin_registration(
        people, register):
    """A child registered in Arabic script with its Latin spelling holds the joined pair of
    the Latin words across name parts ("karim" + "al-najjar"), as a child registered in
    Latin letters does: the exact Latin query scores both alike, and above a child who
    shares only the given name and the article."""
    latin = register(names=[_name("given", "Karim"), _name("family", "al-Najjar")],
                     aliases=[])
    arabic = register(names=[_name("given", "كريم", "Karim"),
                             _name("family", "النجار", "al-Najjar")], aliases=[])
    other = register(names=[_name("given", "Karim"), _name("family", "al-Hamwi")], aliases=[])
    ranked = {m.child_id: m.score for m in rank_children("Karim al-Najjar", limit=5)}
    assert ranked[arabic.child_id] == ranked[latin.child_id] > ranked[other.child_id]
    from bridgeway.registry.models import NameKey

    held = set(NameKey.objects.filter(child_id=arabic.child_id, kind="latin")
               .values_list("key", flat=True))
    assert {"karimal", "alnajjar"} <= held


@pytest.mark.django_db
@pytest.mark.parametrize("keys_per_child", [0, 10**6])
def test_both_ways_of_reading_holdings_rank_alike(people, register, monkeypatch,
                                                   keys_per_child):
    """Completion reads either the keys' index entries or each child's (PostgreSQL picks
    by the keys' counts): both give the same ranking, scores included."""
    for i in range(9):
        register(names=[_name("given", ["Omar", "Umar", "Amir"][i % 3]),
                        _name("family", ["Hassan", "Hasan", "Jubouri"][i // 3])], aliases=[])
    queries = ["Omar Hassan", "عمر حسن", "Umar Jubori", "Amir"]
    expected = {q: rank_children(q, limit=20) for q in queries}
    assert all(expected.values())
    monkeypatch.setattr(selectors, "KEYS_PER_CHILD", keys_per_child)
    monkeypatch.setattr(selectors, "POSTINGS_BUDGET", 2)
    monkeypatch.setattr(selectors, "COMPLETE_TOP", 3)
    for q in queries:
        full = selectors._complete([m.child_id for m in expected[q]], selectors.query_keys(q))
        assert full == expected[q], q


@pytest.mark.django_db
def test_the_migration_adds_the_missing_latin_pairs_once(people, register):
    """Migration 0006 gives children registered before the change the keys they lacked,
    keeps the vocabulary's counts exact, and adds nothing on a second run."""
    import importlib

    from django.apps import apps

    from bridgeway.registry.models import NameKey, NameTerm

    migration = importlib.import_module(
        "bridgeway.registry.migrations.0006_latin_pairs_for_names_in_other_scripts")
    arabic = register(names=[_name("given", "كريم", "Karim"),
                             _name("family", "النجار", "al-Najjar")], aliases=[])
    latin = register(names=[_name("given", "Karim"), _name("family", "al-Najjar")],
                     aliases=[])
    before = set(NameKey.objects.filter(child_id=arabic.child_id)
                 .values_list("kind", "key"))
    # As the index was before the change: no Latin pair across the name parts.
    NameKey.objects.filter(child_id=arabic.child_id, kind="latin", key="karimal").delete()
    assert NameTerm.objects.get(kind="latin", key="karimal").df == 1
    migration.add_latin_pairs(apps, None)
    after = set(NameKey.objects.filter(child_id=arabic.child_id).values_list("kind", "key"))
    assert after == before
    assert NameTerm.objects.get(kind="latin", key="karimal").df == 2
    migration.add_latin_pairs(apps, None)
    assert NameKey.objects.filter(child_id=arabic.child_id).count() == len(before)
    assert NameTerm.objects.get(kind="latin", key="karimal").df == 2
    assert NameKey.objects.filter(child_id=latin.child_id, key="karimal").exists()


@pytest.mark.django_db
def test_a_typing_error_in_a_pair_is_found_through_its_words(people, register):
    """The joined pair of a query with a typing error ("hamzahibrzhim") is matched by the
    known pair of the word's neighbour ("hamzahibrahim"), within the pair's budget; a pair
    of two words the registry knows as typed gets no neighbours."""
    from bridgeway.registry.selectors import pair_neighbours, query_keys

    child = register(names=[_name("given", "Hamzah"), _name("family", "Ibrahim")],
                     aliases=[])
    register(names=[_name("given", "Hamzah"), _name("family", "Ibrahimi")], aliases=[])
    keys = query_keys("Hamzah Ibrzhim")
    pair_slot = {k.key: k for k in keys if k.slot == 2}
    assert "hamzahibrahim" in pair_slot
    assert pair_slot["hamzahibrahim"].strength == 2  # one typing error away
    assert _top("Hamzah Ibrzhim")[0] == child.child_id
    close = {"ibrzhim": [("ibrahim", 1, 1), ("ibrahimi", 1, 2)]}
    found = pair_neighbours([("hamzahibrzhim", "hamzah", "ibrzhim")], close)
    assert [k for k, _df, _d in found["hamzahibrzhim"]] == ["hamzahibrahim", "hamzahibrahimi"]
    assert pair_neighbours([("hamzahibrahim", "hamzah", "ibrahim")], {}) == {}


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_connections_never_jit_compile_a_search():
    """PostgreSQL starts JIT compilation by a statement's estimated cost, which a search at a
    million children exceeds: compiling then costs more than running (settings.py)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip(f"needs PostgreSQL (this run uses {connection.vendor}; set DATABASE_URL)")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


@pytest.mark.django_db
def test_vocabulary_lookup_finds_exactly_the_known_keys(people, register):
    """``_known_terms`` (two arrays joined to the vocabulary on PostgreSQL, ORed conditions
    on SQLite) returns the df of each known key asked for and nothing for unknown keys or
    keys no child holds any more."""
    from bridgeway.registry.models import NameTerm
    from bridgeway.registry.selectors import _known_terms

    register(names=[_name("given", "Yusuf"), _name("family", "Rahman")])
    register(names=[_name("given", "Yusuf"), _name("family", "Ismail")])
    NameTerm.objects.update_or_create(kind="latin", key="nobodyholds", defaults={"df": 0})
    asked = {("latin", "yusuf"), ("latin", "rahman"), ("skel", "ysf"), ("latin", "unknownx"),
             ("native", "yusuf"), ("latin", "nobodyholds")}
    expected = {(t.kind, t.key): t.df for t in NameTerm.objects.filter(df__gt=0)
                if (t.kind, t.key) in asked}
    assert _known_terms(asked) == expected
    assert expected[("latin", "yusuf")] == 2 and ("latin", "unknownx") not in expected
    assert _known_terms(set()) == {}


@pytest.mark.django_db
def test_the_policy_is_asked_about_each_child_once_per_search(people, register):
    """``Within`` keeps the policy's answers: asking again about the same children costs
    no query and gives the same answer, a child out of sight included."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bridgeway.access import policy
    from bridgeway.registry.selectors import Within, visible_ids

    mine = register(names=[_name("given", "Zainab"), _name("family", "Haddad")])
    theirs = register(actor=people.outsider,
                      names=[_name("given", "Zainab"), _name("family", "Haddad")])
    within = Within(policy.children_visible_to(people.caseworker).values("pk"))
    ids = [mine.child_id, theirs.child_id]
    with CaptureQueriesContext(connection) as first:
        assert visible_ids(ids, within) == {mine.child_id}
    with CaptureQueriesContext(connection) as again:
        assert visible_ids(list(reversed(ids)), within) == {mine.child_id}
        assert visible_ids([theirs.child_id], within) == set()
    assert len(first.captured_queries) == 1 and len(again.captured_queries) == 0
