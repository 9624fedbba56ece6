"""Validation of child identity input. Collects every problem at once (field paths like
``names[0].value``) so a form or API client can show them all; stores nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django_countries import countries

from bridgeway.core.coerce import (
    Errors,
    add,
    to_bool,
    to_choice,
    to_date,
    to_decimal,
    to_dict,
    to_int,
    to_list,
)
from bridgeway.core.text import clean_text
from bridgeway.registry import age, names
from bridgeway.registry.models import (
    AgeMethod,
    AliasType,
    BirthRegistration,
    IdentifierType,
    NameKind,
    Relationship,
    Sex,
)

MAX_NAME = 200
MAX_LIST = 50
COUNTRY_CODES = frozenset(code for code, _ in countries)


@dataclass
class NameIn:
    kind: str
    value: str
    script: str
    latin: str


@dataclass
class AliasIn:
    alias_type: str
    value: str
    script: str
    latin: str


@dataclass
class AgeIn:
    method: str
    claimed_age_years: int | None = None
    claimed_date_of_birth: date | None = None
    documents_seen: str = ""
    assessed_min_years: Decimal | None = None
    assessed_max_years: Decimal | None = None
    assessor: str = ""
    assessed_on: date | None = None
    pending: bool = False
    notes: str = ""


@dataclass
class IdentifierIn:
    id_type: str
    value: str
    issuer: str


@dataclass
class FamilyIn:
    relationship: str
    name: str
    is_caregiver: bool
    is_legal_guardian: bool
    phone: str
    address: str
    notes: str


@dataclass
class ChildIn:
    sex: str
    date_of_birth: date | None
    date_of_birth_estimated: bool
    names: list[NameIn]
    aliases: list[AliasIn] = field(default_factory=list)
    age_assessments: list[AgeIn] = field(default_factory=list)
    nationalities: list[str] = field(default_factory=list)
    country_of_birth: str = ""
    place_of_birth: str = ""
    born_abroad: bool = False
    languages: list[str] = field(default_factory=list)
    birth_registration: str = BirthRegistration.UNKNOWN
    identifiers: list[IdentifierIn] = field(default_factory=list)
    family: list[FamilyIn] = field(default_factory=list)

    def age_evidence(self) -> list[age.AgeEvidence]:
        ev = [age.AgeEvidence(date_of_birth=self.date_of_birth)]
        ev += [age.AgeEvidence(claimed_age_years=a.claimed_age_years,
                               claimed_date_of_birth=a.claimed_date_of_birth,
                               assessed_min_years=a.assessed_min_years,
                               assessed_on=a.assessed_on) for a in self.age_assessments]
        return ev


def normalize_identifier(value: str) -> str:
    return "".join(ch for ch in value.upper() if ch.isalnum())


def _name_like(raw: Any, path: str, errors: Errors, *, kind_field: str,
               kinds: Any) -> tuple[str, str, str, str] | None:
    item = to_dict(raw, field=path, errors=errors)
    if not item and raw not in (None, ""):
        return None
    kind = to_choice(item.get(kind_field), kinds, field=f"{path}.{kind_field}",
                     errors=errors)
    value = clean_text(item.get("value"), field=f"{path}.value", required=True,
                       max_length=MAX_NAME, errors=errors)
    script = item.get("script") or ""
    detected = names.detect_script(value) if value else None
    if value and detected is None:
        add(errors, f"{path}.value",
            "Uses a script the registry does not know, or mixes scripts in one name part: "
            "enter each script as its own name part or alias.")
    if script:
        if not isinstance(script, str) or script not in names.SCRIPTS:
            add(errors, f"{path}.script",
                f"Unknown script {script!r}; known: {', '.join(sorted(names.SCRIPTS))}.")
        elif detected and detected != script:
            add(errors, f"{path}.script",
                f"The name is written in {names.script_label(detected)}, not "
                f"{names.script_label(script)}.")
    script = detected or (script if isinstance(script, str) else "")
    latin = clean_text(item.get("latin"), field=f"{path}.latin", max_length=MAX_NAME,
                       errors=errors)
    if latin and names.detect_script(latin) not in ("Latn", None):
        add(errors, f"{path}.latin", "The transliteration must be in Latin script.")
    if value and script and script != "Latn" and not latin:
        latin = names.transliterate(value)
    if script == "Latn":
        latin = ""
    return kind, value, script, latin


def validate_child(data: Any, *, errors: Errors | None = None, today: date | None = None,
                   require_age_evidence: bool = True,
                   age_reference_date: date | None = None,
                   prior_evidence: list[age.AgeEvidence] | None = None) -> ChildIn:
    """Turn raw input into ``ChildIn`` or raise ``ValidationFailed`` listing every problem.

    The under-18 rule is checked on ``age_reference_date`` (registration day; today by
    default): a child who turns 18 during the case keeps the record. ``prior_evidence`` is
    the age evidence already on record (an edit adds evidence, never replaces it)."""
    from bridgeway.core.errors import ValidationFailed

    own_errors = errors if errors is not None else {}
    errs = own_errors
    today = today or timezone.localdate()
    if not isinstance(data, dict):
        raise ValidationFailed.single("__all__", "Expected an object with the child's details.")

    sex = to_choice(data.get("sex"), Sex, field="sex", errors=errs, default=Sex.UNKNOWN)
    dob = to_date(data.get("date_of_birth"), field="date_of_birth", errors=errs)
    dob_est = to_bool(data.get("date_of_birth_estimated"), field="date_of_birth_estimated",
                      errors=errs)

    raw_names = to_list(data.get("names"), field="names", errors=errs)
    if len(raw_names) > MAX_LIST:
        add(errs, "names", f"At most {MAX_LIST} name parts.")
        raw_names = []
    name_list: list[NameIn] = []
    for i, raw in enumerate(raw_names):
        parsed = _name_like(raw, f"names[{i}]", errs, kind_field="kind", kinds=NameKind)
        if parsed:
            name_list.append(NameIn(*parsed))
    if not raw_names and "names" not in errs:
        add(errs, "names", "At least one name is required (a given name, or a nickname "
                           "if that is all that is known).")

    raw_aliases = to_list(data.get("aliases"), field="aliases", errors=errs)[:MAX_LIST + 1]
    if len(raw_aliases) > MAX_LIST:
        add(errs, "aliases", f"At most {MAX_LIST} aliases.")
        raw_aliases = []
    alias_list = []
    for i, raw in enumerate(raw_aliases):
        parsed = _name_like(raw, f"aliases[{i}]", errs, kind_field="alias_type",
                            kinds=AliasType)
        if parsed:
            alias_list.append(AliasIn(*parsed))

    ages: list[AgeIn] = []
    for i, raw in enumerate(to_list(data.get("age_assessments"), field="age_assessments",
                                    errors=errs)[:MAX_LIST]):
        p = f"age_assessments[{i}]"
        item = to_dict(raw, field=p, errors=errs)
        a = AgeIn(
            method=to_choice(item.get("method"), AgeMethod, field=f"{p}.method", errors=errs,
                             default=AgeMethod.CLAIMED),
            claimed_age_years=to_int(item.get("claimed_age_years"),
                                     field=f"{p}.claimed_age_years", errors=errs, minimum=0,
                                     maximum=30),
            claimed_date_of_birth=to_date(item.get("claimed_date_of_birth"),
                                          field=f"{p}.claimed_date_of_birth", errors=errs),
            documents_seen=clean_text(item.get("documents_seen"), field=f"{p}.documents_seen",
                                      max_length=2000, errors=errs),
            assessed_min_years=to_decimal(item.get("assessed_min_years"),
                                          field=f"{p}.assessed_min_years", errors=errs),
            assessed_max_years=to_decimal(item.get("assessed_max_years"),
                                          field=f"{p}.assessed_max_years", errors=errs),
            assessor=clean_text(item.get("assessor"), field=f"{p}.assessor", max_length=200,
                                errors=errs),
            assessed_on=to_date(item.get("assessed_on"), field=f"{p}.assessed_on",
                                errors=errs) or today,
            pending=to_bool(item.get("pending"), field=f"{p}.pending", errors=errs),
            notes=clean_text(item.get("notes"), field=f"{p}.notes", max_length=2000,
                             errors=errs),
        )
        if (a.assessed_min_years is not None and a.assessed_max_years is not None
                and a.assessed_min_years > a.assessed_max_years):
            add(errs, f"{p}.assessed_max_years", "The maximum is below the minimum.")
        if (a.claimed_age_years is None and a.claimed_date_of_birth is None
                and a.assessed_min_years is None and not a.pending):
            add(errs, p, "Give a claimed age, a claimed date of birth or an assessed range "
                         "(or mark the assessment as pending).")
        ages.append(a)

    nationalities = []
    for i, code in enumerate(to_list(data.get("nationalities"), field="nationalities",
                                     errors=errs)[:20]):
        if not isinstance(code, str) or code.upper() not in COUNTRY_CODES:
            add(errs, f"nationalities[{i}]", f"Unknown country code {code!r}.")
        else:
            nationalities.append(code.upper())
    cob = data.get("country_of_birth") or ""
    if cob and (not isinstance(cob, str) or cob.upper() not in COUNTRY_CODES):
        add(errs, "country_of_birth", f"Unknown country code {cob!r}.")
        cob = ""
    cob = cob.upper() if isinstance(cob, str) else ""
    languages = []
    for i, code in enumerate(to_list(data.get("languages"), field="languages",
                                     errors=errs)[:20]):
        if not isinstance(code, str) or not (2 <= len(code) <= 3 and code.isalpha()):
            add(errs, f"languages[{i}]", f"Not an ISO 639 language code: {code!r}.")
        else:
            languages.append(code.lower())
    born_abroad_raw = data.get("born_abroad")
    born_abroad = to_bool(born_abroad_raw, field="born_abroad", errors=errs,
                          default=bool(cob and nationalities and cob not in nationalities))

    identifiers = []
    for i, raw in enumerate(to_list(data.get("identifiers"), field="identifiers",
                                    errors=errs)[:MAX_LIST]):
        p = f"identifiers[{i}]"
        item = to_dict(raw, field=p, errors=errs)
        value = clean_text(item.get("value"), field=f"{p}.value", required=True,
                           max_length=100, errors=errs)
        if value and not normalize_identifier(value):
            add(errs, f"{p}.value", "An identifier needs letters or digits.")
        identifiers.append(IdentifierIn(
            id_type=to_choice(item.get("id_type"), IdentifierType, field=f"{p}.id_type",
                              errors=errs),
            value=value,
            issuer=clean_text(item.get("issuer"), field=f"{p}.issuer", max_length=200,
                              errors=errs)))

    family = []
    for i, raw in enumerate(to_list(data.get("family"), field="family", errors=errs)[:MAX_LIST]):
        p = f"family[{i}]"
        item = to_dict(raw, field=p, errors=errs)
        family.append(FamilyIn(
            relationship=to_choice(item.get("relationship"), Relationship,
                                   field=f"{p}.relationship", errors=errs),
            name=clean_text(item.get("name"), field=f"{p}.name", required=True,
                            max_length=300, errors=errs),
            is_caregiver=to_bool(item.get("is_caregiver"), field=f"{p}.is_caregiver",
                                 errors=errs),
            is_legal_guardian=to_bool(item.get("is_legal_guardian"),
                                      field=f"{p}.is_legal_guardian", errors=errs),
            phone=clean_text(item.get("phone"), field=f"{p}.phone", max_length=40,
                             errors=errs),
            address=clean_text(item.get("address"), field=f"{p}.address", max_length=1000,
                               errors=errs),
            notes=clean_text(item.get("notes"), field=f"{p}.notes", max_length=2000,
                             errors=errs)))

    child = ChildIn(
        sex=sex, date_of_birth=dob, date_of_birth_estimated=dob_est, names=name_list,
        aliases=alias_list, age_assessments=ages, nationalities=nationalities,
        country_of_birth=cob,
        place_of_birth=clean_text(data.get("place_of_birth"), field="place_of_birth",
                                  max_length=200, errors=errs),
        born_abroad=born_abroad, languages=languages,
        birth_registration=to_choice(data.get("birth_registration"), BirthRegistration,
                                     field="birth_registration", errors=errs,
                                     default=BirthRegistration.UNKNOWN),
        identifiers=identifiers, family=family,
    )
    youngest = age.latest_plausible_birth_date(child.age_evidence() + (prior_evidence or []))
    if youngest is None and require_age_evidence and not any(a.pending for a in ages):
        add(errs, "date_of_birth", "Record a date of birth, a claimed age or an estimated "
                                   "age range: the lowest plausible age is used.")
    elif youngest is not None and youngest > today:
        add(errs, "age_assessments", "The age evidence puts the date of birth in the future.")
    elif youngest is not None:
        years = age.age_on(youngest, age_reference_date or today)
        if years is not None and years >= age.CHILD_AGE_LIMIT:
            add(errs, "__all__",
                f"Bridgeway registers children under {age.CHILD_AGE_LIMIT}. The lowest "
                f"plausible age from what was recorded is {years}. If the age is uncertain, "
                "record the claimed age or the assessed range: the lowest age applies "
                "(benefit of the doubt).")
    if errors is None and errs:
        raise ValidationFailed(errs)
    return child
