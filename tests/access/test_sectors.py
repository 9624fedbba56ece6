"""The sector policy: defaults, configuration, and that it caps every grant source."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q

from bridgeway.access import policy, sectors
from bridgeway.access.policy import ALL_CATEGORIES, Category, Perm
from bridgeway.accounts.models import Sector

C = Category

# Written out here, independently of the defaults in the code under test.
EXPECTED_STANDING = {
    "child_protection": set(ALL_CATEGORIES),
    "health": {C.IDENTITY, C.HEALTH},
    "education": {C.IDENTITY, C.EDUCATION},
    "police": {C.IDENTITY, C.JUSTICE},
    "prosecution": {C.IDENTITY, C.JUSTICE},
    "court": {C.IDENTITY, C.JUSTICE},
    "detention": {C.IDENTITY, C.JUSTICE},
    "legal_aid": {C.IDENTITY, C.JUSTICE, C.FAMILY},
    "community": {C.IDENTITY, C.FAMILY, C.CONTACT_LOCATION},
    "international": {C.IDENTITY, C.FAMILY, C.CONTACT_LOCATION},
}
EXPECTED_BY_CONSENT = {"health": {C.CONTACT_LOCATION, C.FAMILY, C.PSYCHOSOCIAL,
                                  C.PROTECTION_CONCERNS}}


@pytest.mark.parametrize("sector", sorted(Sector.values))
def test_default_rules(sector):
    rule = sectors.rule_for_sector(sector)
    assert set(rule.standing) == EXPECTED_STANDING[sector]
    assert set(rule.by_consent) == EXPECTED_BY_CONSENT.get(sector, set())
    if sector != "child_protection":
        assert C.ASSOCIATION_HISTORY not in rule.ceiling
    if sector in ("police", "prosecution", "court", "detention"):
        assert rule.ceiling == {C.IDENTITY, C.JUSTICE}


def test_unknown_sector_sees_nothing():
    assert sectors.rule_for_sector("").ceiling == frozenset()
    assert sectors.rule_for_sector("astrology").ceiling == frozenset()


def test_settings_override_one_sector_and_keep_the_others(settings):
    settings.BRIDGEWAY_SECTOR_CATEGORIES = {
        "education": ["identity", "education", "psychosocial"],
        "health": {"standing": ["identity"], "by_consent": ["health"]},
    }
    assert sectors.rule_for_sector("education").standing == {C.IDENTITY, C.EDUCATION,
                                                            C.PSYCHOSOCIAL}
    assert sectors.rule_for_sector("health").standing == {C.IDENTITY}
    assert sectors.rule_for_sector("health").ceiling == {C.IDENTITY, C.HEALTH}
    assert sectors.rule_for_sector("police").ceiling == {C.IDENTITY, C.JUSTICE}
    assert sectors.config_errors() == []


@pytest.mark.parametrize("bad,fragment", [
    ({"astrology": ["identity"]}, "unknown sector"),
    ({"police": ["identity", "horoscope"]}, "unknown category"),
    ({"police": "identity"}, "expected a list"),
    ({"health": {"standing": ["identity"], "extra": ["health"]}}, "unknown keys"),
    (["police"], "must be a dict"),
])
def test_bad_configuration_is_reported_not_ignored(settings, bad, fragment):
    from bridgeway.referrals.checks import sharing_settings

    settings.BRIDGEWAY_SECTOR_CATEGORIES = bad
    errors = sectors.config_errors()
    assert any(fragment in e for e in errors), errors
    with pytest.raises(ImproperlyConfigured):
        sectors.sector_rules()
    assert any(e.id == "bridgeway.E_SECTORS" for e in sharing_settings())


# --- the cap, at the policy layer ----------------------------------------------------------

@pytest.fixture
def generous_source():
    """A deliberately careless grant source: everything to everyone on every case."""
    made = []

    def install(*, consented: bool) -> policy.GrantSource:
        source = policy.GrantSource(
            f"test-generous-{consented}", lambda user: Q(pk__isnull=False),
            lambda user, case: policy.Grant(frozenset({Perm.VIEW}), ALL_CATEGORIES, "test",
                                            consented=consented))
        policy.register_grant_source(source)
        made.append(source)
        return source

    yield install
    for source in made:
        policy.GRANT_SOURCES.remove(source)


@pytest.mark.django_db
@pytest.mark.parametrize("consented", [False, True])
def test_every_grant_is_capped_by_the_sector(people, register, generous_source, consented):
    case = register(actor=people.outsider_supervisor)
    generous_source(consented=consented)
    for user in (people.health_worker, people.police_officer):
        expected = set(EXPECTED_STANDING[user.agency.sector])
        if consented:
            expected |= EXPECTED_BY_CONSENT.get(user.agency.sector, set())
        assert set(policy.categories_for(user, case)) == expected
        assert C.ASSOCIATION_HISTORY not in policy.categories_for(user, case)
    # no agency, no sector: nothing, whatever a source says
    for user in (people.auditor, people.sysadmin):
        assert policy.categories_for(user, case) == frozenset()
        assert not policy.cases_visible_to(user).exists()


@pytest.mark.django_db
def test_child_protection_owner_keeps_every_category(people, register):
    case = register(actor=people.caseworker)
    assert policy.categories_for(people.supervisor, case) == ALL_CATEGORIES
    assert policy.categories_for(people.caseworker, case) == ALL_CATEGORIES


@pytest.mark.django_db
def test_owner_outside_child_protection_is_capped_too(people, register):
    case = register(actor=people.health_worker)
    assert policy.categories_for(people.health_worker, case) == {C.IDENTITY, C.HEALTH}
    assert Perm.EDIT in policy.perms_for(people.health_worker, case)


@pytest.mark.django_db
def test_a_sector_configured_to_see_nothing_sees_no_case(people, register, settings,
                                                         generous_source):
    case = register(actor=people.caseworker)
    generous_source(consented=True)
    settings.BRIDGEWAY_SECTOR_CATEGORIES = {"health": []}
    assert not policy.cases_visible_to(people.health_worker).exists()
    assert policy.grants_for(people.health_worker, case) == []
    assert policy.cases_visible_to(people.police_officer).filter(pk=case.pk).exists()
