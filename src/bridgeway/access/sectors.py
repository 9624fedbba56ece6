"""The sector policy: which data categories each sector may ever see.

Need to know is decided in two layers. A *grant* (owning the case, a justice involvement, an
accepted referral, a transfer, break-glass …) says which categories of one case a user is
entitled to; the *sector policy* here caps every grant, whatever its source, so no grant
source can hand a police officer a psychosocial report by mistake. ``policy.grants_for``
applies the cap; grant sources never have to remember it.

Each sector has two sets of categories:

``standing``
    what a user of the sector may see through any grant that is *not* backed by a consent
    record: owning a case, a justice involvement, break-glass.
``by_consent``
    what a referral or transfer *with the child's consent* may add on top. Only health has
    such extras by default: a clinic sees identity and health, and — when the consent and
    the referral say so — contact details, family, psychosocial and protection concerns
    (a mental-health service needs them). Police, courts and detention never get more
    than identity and justice, consent or not.

``ceiling`` = ``standing`` + ``by_consent``: the most a sector may EVER see. Association
history stays inside child protection unless an installation decides otherwise.

Configuration: ``settings.BRIDGEWAY_SECTOR_CATEGORIES`` maps a sector to either a list of
categories (its standing categories, nothing by consent) or to
``{"standing": [...], "by_consent": [...]}``. A sector named there *replaces* its default
entirely; sectors not named keep the defaults below. Unknown sectors or categories are a
configuration error (reported by the ``bridgeway.E_SECTORS`` system check and raised as
``ImproperlyConfigured`` when the policy is used), never silently ignored.

Hand-written rather than a library: it is a lookup table with validation; the policy
libraries we looked at (django-guardian, rules) answer "may this user do X to this object",
not "which slices of this object", which is the question here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from bridgeway.access.policy import ALL_CATEGORIES, Category
from bridgeway.accounts.models import Sector

C = Category
NOTHING: frozenset[Category] = frozenset()


@dataclass(frozen=True)
class SectorRule:
    standing: frozenset[Category]
    by_consent: frozenset[Category] = NOTHING

    @property
    def ceiling(self) -> frozenset[Category]:
        return self.standing | self.by_consent


_JUSTICE = SectorRule(frozenset({C.IDENTITY, C.JUSTICE}))

DEFAULT_SECTOR_RULES: dict[str, SectorRule] = {
    Sector.CHILD_PROTECTION: SectorRule(ALL_CATEGORIES),
    Sector.HEALTH: SectorRule(
        frozenset({C.IDENTITY, C.HEALTH}),
        by_consent=frozenset({C.CONTACT_LOCATION, C.FAMILY, C.PSYCHOSOCIAL,
                              C.PROTECTION_CONCERNS})),
    Sector.EDUCATION: SectorRule(frozenset({C.IDENTITY, C.EDUCATION})),
    Sector.POLICE: _JUSTICE,
    Sector.PROSECUTION: _JUSTICE,
    Sector.COURT: _JUSTICE,
    Sector.DETENTION: _JUSTICE,
    Sector.LEGAL_AID: SectorRule(frozenset({C.IDENTITY, C.JUSTICE, C.FAMILY})),
    Sector.COMMUNITY: SectorRule(frozenset({C.IDENTITY, C.FAMILY, C.CONTACT_LOCATION})),
    # Tracing and family reunification are what international organizations are asked
    # for most; anything else goes through a child-protection agency.
    Sector.INTERNATIONAL: SectorRule(frozenset({C.IDENTITY, C.FAMILY, C.CONTACT_LOCATION})),
}


def _categories(raw: Any, where: str, errors: list[str]) -> frozenset[Category]:
    if isinstance(raw, str) or not isinstance(raw, Iterable):
        errors.append(f"{where}: expected a list of categories, got {raw!r}.")
        return NOTHING
    found = set()
    for item in raw:
        try:
            found.add(Category(item))
        except ValueError:
            errors.append(f"{where}: unknown category {item!r} (known: "
                          f"{', '.join(sorted(ALL_CATEGORIES))}).")
    return frozenset(found)


def parse_rules(overrides: Mapping[str, Any] | None) -> tuple[dict[str, SectorRule], list[str]]:
    """Defaults merged with ``overrides``; returns the rules and every problem found."""
    rules = dict(DEFAULT_SECTOR_RULES)
    errors: list[str] = []
    if overrides is None:
        return rules, errors
    if not isinstance(overrides, Mapping):
        return rules, ["BRIDGEWAY_SECTOR_CATEGORIES must be a dict of sector -> categories."]
    known_sectors = set(Sector.values)
    for sector, raw in overrides.items():
        where = f"BRIDGEWAY_SECTOR_CATEGORIES[{sector!r}]"
        if sector not in known_sectors:
            errors.append(f"{where}: unknown sector (known: {', '.join(sorted(known_sectors))}).")
            continue
        if isinstance(raw, Mapping):
            unknown_keys = set(raw) - {"standing", "by_consent"}
            if unknown_keys:
                errors.append(f"{where}: unknown keys {sorted(unknown_keys)}; use "
                              "'standing' and 'by_consent'.")
            rule = SectorRule(_categories(raw.get("standing", []), where + "['standing']",
                                          errors),
                              _categories(raw.get("by_consent", []),
                                          where + "['by_consent']", errors))
        else:
            rule = SectorRule(_categories(raw, where, errors))
        rules[str(sector)] = rule
    return rules, errors


def config_errors() -> list[str]:
    """Problems in the configured sector policy (used by the system check)."""
    return parse_rules(getattr(settings, "BRIDGEWAY_SECTOR_CATEGORIES", None))[1]


def sector_rules() -> dict[str, SectorRule]:
    """The sector policy in force. Parsed on each call (it is ten small entries) so a
    changed setting — and ``override_settings`` in tests — takes effect at once."""
    rules, errors = parse_rules(getattr(settings, "BRIDGEWAY_SECTOR_CATEGORIES", None))
    if errors:
        raise ImproperlyConfigured("; ".join(errors))
    return rules


def rule_for_sector(sector: str) -> SectorRule:
    """An unknown or empty sector may see nothing (deny by default)."""
    return sector_rules().get(sector, SectorRule(NOTHING))


def user_sector(user: Any) -> str:
    if not getattr(user, "agency_id", None):
        return ""
    agency = getattr(user, "agency", None)
    return str(getattr(agency, "sector", "") or "")


def rule_for_user(user: Any) -> SectorRule:
    return rule_for_sector(user_sector(user))


def standing_for(user: Any) -> frozenset[Category]:
    return rule_for_user(user).standing


def ceiling_for(user: Any) -> frozenset[Category]:
    return rule_for_user(user).ceiling


def cap(rule: SectorRule, categories: frozenset[Category], *, consented: bool
        ) -> frozenset[Category]:
    """The categories of a grant that the sector may actually see."""
    return categories & (rule.ceiling if consented else rule.standing)
