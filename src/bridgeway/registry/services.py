"""Registry writes: registering a child (with the first case), editing identity, names,
aliases, age assessments, identifiers and family. Each is one transaction that also writes
the case event and the audit entry."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from bridgeway.access import policy
from bridgeway.access.policy import Perm
from bridgeway.audit.models import Action
from bridgeway.audit.services import audit_record
from bridgeway.core.errors import Conflict, NotAllowed, ValidationFailed
from bridgeway.registry import age, names
from bridgeway.registry.models import (
    AgeAssessment,
    Alias,
    Child,
    ChildName,
    FamilyMember,
    Identifier,
    NameKey,
)
from bridgeway.registry.validation import ChildIn, validate_child


def display_name_of(child_in: ChildIn) -> str:
    parts = [n.latin or n.value for n in child_in.names]
    if not parts and child_in.aliases:
        parts = [child_in.aliases[0].latin or child_in.aliases[0].value]
    return " ".join(parts)[:300]


def compute_name_keys(name_values: list[tuple[str, str]],
                      alias_values: list[tuple[str, str]]) -> dict[tuple[str, str], bool]:
    """Search keys -> from_alias, for (value, latin) pairs of names and aliases."""
    keys: dict[tuple[str, str], bool] = {}
    for value, latin in name_values:
        for k in names.search_keys(value) | (names.search_keys(latin) if latin else set()):
            keys.setdefault(k, False)
    # The whole name as written and as spelled in Latin letters: the pairs of neighbouring
    # words across name parts ("Yahya" + "Eesa" -> "yahyaeesa") come from both, so a child
    # registered in Thaana or Arabic script is found by the Latin spelling of its full
    # name as firmly as one registered in Latin letters.
    for whole in {" ".join(v for v, _ in name_values),
                  " ".join(latin or v for v, latin in name_values)}:
        for k in names.search_keys(whole):
            keys.setdefault(k, False)
    for value, latin in alias_values:
        for k in names.search_keys(value) | (names.search_keys(latin) if latin else set()):
            keys.setdefault(k, True)
    return keys


def rebuild_name_keys(child: Child) -> None:
    """Recompute the search keys from the child's names and aliases."""
    keys = compute_name_keys([(n.value, n.latin) for n in child.names.all()],
                             [(a.value, a.latin) for a in child.aliases.all()])
    NameKey.objects.filter(child=child).delete()
    NameKey.objects.bulk_create([NameKey(child=child, kind=kind, key=key[:200],
                                         from_alias=alias)
                                 for (kind, key), alias in keys.items()])


def age_evidence_of(child: Child) -> list[age.AgeEvidence]:
    return [age.AgeEvidence(claimed_age_years=a.claimed_age_years,
                            claimed_date_of_birth=a.claimed_date_of_birth,
                            assessed_min_years=a.assessed_min_years, assessed_on=a.assessed_on)
            for a in child.age_assessments.all()]


def _write_parts(child: Child, data: ChildIn, actor: Any) -> None:
    ChildName.objects.bulk_create([
        ChildName(child=child, kind=n.kind, value=n.value, script=n.script, latin=n.latin,
                  position=i) for i, n in enumerate(data.names)])
    Alias.objects.bulk_create([
        Alias(child=child, alias_type=a.alias_type, value=a.value, script=a.script,
              latin=a.latin) for a in data.aliases])
    AgeAssessment.objects.bulk_create([
        AgeAssessment(child=child, recorded_by=actor, **{
            k: getattr(a, k) for k in ("method", "claimed_age_years", "claimed_date_of_birth",
                                       "documents_seen", "assessed_min_years",
                                       "assessed_max_years", "assessor", "assessed_on",
                                       "pending", "notes")}) for a in data.age_assessments])
    Identifier.objects.bulk_create([
        Identifier(child=child, id_type=i.id_type, value=i.value, issuer=i.issuer,
                   value_index=Identifier.index_for(i.value)) for i in data.identifiers])
    FamilyMember.objects.bulk_create([
        FamilyMember(child=child, relationship=f.relationship, name=f.name,
                     is_caregiver=f.is_caregiver, is_legal_guardian=f.is_legal_guardian,
                     phone=f.phone, address=f.address, notes=f.notes) for f in data.family])
    rebuild_name_keys(child)


def _apply_scalars(child: Child, data: ChildIn) -> None:
    child.sex = data.sex
    child.date_of_birth = data.date_of_birth
    child.date_of_birth_estimated = data.date_of_birth_estimated
    child.nationalities = data.nationalities
    child.country_of_birth = data.country_of_birth
    child.place_of_birth = data.place_of_birth
    child.born_abroad = data.born_abroad
    child.languages = data.languages
    child.birth_registration = data.birth_registration
    child.display_name = display_name_of(data)
    child.youngest_birth_date = age.latest_plausible_birth_date(data.age_evidence())


def child_register(*, actor: Any, child: Any, case: Any) -> Any:
    """Register a child and open the first case in the actor's agency, atomically.

    Refuses anyone whose age for all purposes (the lowest plausible age) is 18 or more."""
    from bridgeway.cases.services import case_open, validate_case_fields

    if not policy.may_register(actor):
        raise NotAllowed("Only caseworkers and supervisors of an agency register children.")
    errors: dict[str, list[str]] = {}
    child_in = validate_child(child, errors=errors)
    case_fields = validate_case_fields(case if case is not None else {}, errors=errors,
                                       prefix="case.")
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        now = timezone.now()
        record = Child(registered_by=actor, registered_at=now)
        _apply_scalars(record, child_in)
        record.save()
        _write_parts(record, child_in, actor)
        audit_record(actor=actor, action=Action.CREATE, object_type="child",
                     object_id=record.public_id, child_id=record.pk)
        return case_open(actor=actor, child=record, fields=case_fields, opened_at=now)


def child_update(*, actor: Any, case_id: int, expected_version: int, child: Any) -> Child:
    """Replace the child's identity details. ``expected_version`` is the version the user
    loaded; if someone saved since, ``Conflict`` is raised and nothing changes.

    One transaction locks the case then the child (the order every writer uses), checks the
    version and writes: two simultaneous saves give one success and one conflict."""
    conflict_version: int | None = None
    with transaction.atomic():
        case = policy.case_for(actor, pk=case_id, perm=Perm.EDIT, for_update=True)
        record = Child.objects.select_for_update().get(pk=case.child_id)
        if record.version != expected_version:
            # Audited in this same transaction, which then commits: the conflict is raised
            # after the block so that nothing else is written.
            audit_record(actor=actor, action=Action.CONFLICT, object_type="child",
                         object_id=record.public_id, child_id=record.pk, case_id=case.pk,
                         detail={"expected": expected_version, "current": record.version})
            conflict_version = record.version
        else:
            return _child_write(actor=actor, case=case, record=record, child=child)
    raise Conflict("This child's record was changed by someone else since you opened it.",
                   current_version=conflict_version or 0)


def _child_write(*, actor: Any, case: Any, record: Child, child: Any) -> Child:
    from bridgeway.cases.events import case_event

    child_in = validate_child(child, age_reference_date=timezone.localdate(record.registered_at),
                              prior_evidence=age_evidence_of(record))
    _apply_scalars(record, child_in)
    record.version += 1
    record.save()
    for rel in (record.names, record.aliases, record.identifiers, record.family):
        rel.all().delete()
    # Age assessments are history: those given here are ADDED; earlier ones stay, and
    # the youngest plausible birth date is derived again over all of them.
    _write_parts(record, child_in, actor)
    record.youngest_birth_date = age.latest_plausible_birth_date(
        [age.AgeEvidence(date_of_birth=record.date_of_birth), *age_evidence_of(record)])
    Child.objects.filter(pk=record.pk).update(
        youngest_birth_date=record.youngest_birth_date)
    audit_record(actor=actor, action=Action.UPDATE, object_type="child",
                 object_id=record.public_id, child_id=record.pk, case_id=case.pk)
    case_event(case=case, actor=actor, kind="child_updated",
               params={"version": record.version})
    return record
