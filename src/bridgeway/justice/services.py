"""Justice writes: events, the detention register (open, release, transfer, correct),
involvement of justice agencies, jurisdiction rules and facilities.

Each function is one business operation: access check, validation (every problem at
once, as ``ValidationFailed`` field messages, nothing stored), then one transaction that
locks the case, writes, records the case event and the audit entry, and re-evaluates the
case's safeguards (evaluation, alerts, tasks, notifications) so that what the record says
and what the engine concluded from it commit together.

A child cannot be in two places at once: detention episodes of the same child (in any of
their cases) may not overlap. Intervals are half-open, [admitted, released): a transfer
releases from one facility and admits to the next at the same instant.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bridgeway.access import policy
from bridgeway.accounts.models import JUSTICE_SECTORS, Agency
from bridgeway.audit.models import Action
from bridgeway.audit.services import audit_record
from bridgeway.cases.events import case_event
from bridgeway.cases.models import Case
from bridgeway.core.coerce import Errors, add, to_choice
from bridgeway.core.errors import Conflict, NotAllowed, NotFound, ValidationFailed
from bridgeway.core.text import clean_text
from bridgeway.justice import access
from bridgeway.justice import models as m
from bridgeway.justice.adapters import RuleBook
from bridgeway.justice.evaluation import safeguards_evaluate_case
from bridgeway.justice.inputs import is_zone, local_parts, to_aware
from bridgeway.justice.validation import (
    COUNTRY_CODES,
    EPISODE_FIELDS,
    EVENT_FIELDS,
    episode_as_input,
    event_as_input,
    validate_episode,
    validate_event,
    validate_rules,
)

log = logging.getLogger("bridgeway.justice")


# ------------------------------------------------------------------ helpers


def _visible_case(actor: Any, case_id: int) -> Case:
    case = policy.case_for(actor, pk=case_id)
    access.record_check(actor, case)
    return case


def _locked_case(actor: Any, case_id: int) -> Case:
    """Lock the case row (writers of one case queue here) and check access again."""
    case = policy.case_for(actor, pk=case_id, for_update=True)
    access.record_check(actor, case)
    return case


def _not_sealed(case: Case, recorded_at: datetime) -> Case:
    """A row of the sealed part of a reopened case's record (``retention``) is not
    corrected, released or transferred by anyone: it is "not found"."""
    from bridgeway.justice.retention import under_seal

    if under_seal(case, recorded_at):
        raise NotFound()
    return case


def _episode_for(actor: Any, episode_id: int) -> tuple[m.DetentionEpisode, Case]:
    episode = m.DetentionEpisode.objects.select_related("facility").filter(
        pk=episode_id).first()
    if episode is None:
        raise NotFound()
    return episode, _not_sealed(_visible_case(actor, episode.case_id), episode.recorded_at)


def _event_for(actor: Any, event_id: int) -> tuple[m.JusticeEvent, Case]:
    event = m.JusticeEvent.objects.filter(pk=event_id).first()
    if event is None:
        raise NotFound()
    return event, _not_sealed(_visible_case(actor, event.case_id), event.recorded_at)


def _facility(facility_id: int | None, errors: Errors) -> m.Facility | None:
    facility = m.Facility.objects.filter(pk=facility_id, active=True).first() \
        if facility_id else None
    if facility is None and facility_id:
        add(errors, "facility", "Unknown facility.")
    return facility


def _check_no_overlap(*, case: Case, start: datetime, end: datetime | None,
                      exclude: tuple[int, ...] = (), field: str = "admitted_at") -> None:
    """Refuse a stay that overlaps another stay of the same child, in any case."""
    others = m.DetentionEpisode.objects.select_related("facility").filter(
        case__child_id=case.child_id).exclude(pk__in=exclude)
    if end is not None:
        others = others.filter(admitted_at__lt=end)
    clash = others.exclude(released_at__isnull=False, released_at__lte=start).order_by(
        "admitted_at").first()
    if clash is None:
        return
    from bridgeway.justice.retention import under_seal

    if clash.case_id == case.pk and not under_seal(case, clash.recorded_at):
        when = local_parts(clash.admitted_at, clash.facility.time_zone)["label"]
        message = (f"The child cannot be in two places at once: this overlaps the "
                   f"{clash.get_kind_display().lower()} at {clash.facility.name} from {when}"
                   f"{'' if clash.released_at else ' (still open)'}. Release or transfer "
                   f"from there first.")
    else:
        message = ("The child cannot be in two places at once: another record shows the "
                   "child deprived of liberty elsewhere during this period.")
    raise ValidationFailed.single(field, message)


def _active_link(case: Case, agency: Agency, *, actor: Any,
                 now: datetime) -> m.JusticeInvolvement | None:
    """The agency's active involvement in the case, if it grants anything. One made
    before the record was sealed is part of the sealed record and grants nothing
    (``retention``): it is ended here so that the agency can be linked again to the
    open part of a reopened case (one active link per agency)."""
    from bridgeway.justice.retention import under_seal

    link = m.JusticeInvolvement.objects.filter(case=case, agency=agency,
                                               ended_at__isnull=True).first()
    if link is not None and under_seal(case, link.added_at):
        link.ended_at, link.ended_by = now, actor
        link.save(update_fields=["ended_at", "ended_by"])
        audit_record(actor=actor, action=Action.UPDATE, object_type="justice_involvement",
                     object_id=link.pk, child_id=case.child_id, case_id=case.pk,
                     detail={"ended": True, "sealed": True})
        return None
    return link


def _involve(*, case: Case, agency: Agency | None, actor: Any, reason: str,
             now: datetime) -> m.JusticeInvolvement | None:
    """Make ``agency`` involved in ``case`` if it is a justice agency of the case's
    country and is not already; returns the new link (None when nothing changed)."""
    if (agency is None or not agency.active or agency.sector not in JUSTICE_SECTORS
            or agency.country != case.owning_agency.country):
        return None
    if _active_link(case, agency, actor=actor, now=now) is not None:
        return None
    link = m.JusticeInvolvement.objects.create(case=case, agency=agency, reason=reason[:300],
                                               added_by=actor, added_at=now)
    audit_record(actor=actor, action=Action.CREATE, object_type="justice_involvement",
                 object_id=link.pk, child_id=case.child_id, case_id=case.pk,
                 detail={"agency": agency.code})
    # The reason is the involvement's own (justice category, encrypted at rest); the audit
    # entry and the timeline, read by everyone who sees case management, name the agency
    # only.
    case_event(case=case, actor=actor, kind="justice_agency_involved",
               params={"agency": agency.code})
    return link


def _diversion_types(case: Case) -> Any:
    rules = RuleBook.load().for_case(case)
    return lambda at: rules.history.in_force(at).diversion_types


def default_zone(case: Case) -> str:
    """The zone a case's times are most likely given in: the facility of its latest
    episode, else the installation's."""
    latest = m.DetentionEpisode.objects.filter(case=case).select_related("facility").order_by(
        "-admitted_at").first()
    return latest.facility.time_zone if latest else settings.TIME_ZONE


def _changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return sorted(k for k in after if before.get(k) != after[k])


# ------------------------------------------------------------------- events


def justice_event_record(*, actor: Any, case_id: int, data: Any) -> m.JusticeEvent:
    """Record one step of the child's contact with the justice system."""
    now = timezone.now()
    case = _visible_case(actor, case_id)
    values = validate_event(data, now=now, default_zone=default_zone(case),
                            diversion_types_at=_diversion_types(case))
    with transaction.atomic():
        case = _locked_case(actor, case_id)
        event = m.JusticeEvent.objects.create(case=case, recorded_by=actor,
                                              recording_agency_id=actor.agency_id,
                                              recorded_at=now, **values)
        if access.is_justice_user(actor):
            _involve(case=case, agency=actor.agency, actor=actor,
                     reason=f"recorded {event.kind}", now=now)
        # Ids only: the kind of step (an arrest, a sentence) is justice data.
        case_event(case=case, actor=actor, kind="justice_event_recorded",
                   params={"event_id": event.pk})
        audit_record(actor=actor, action=Action.CREATE, object_type="justice_event",
                     object_id=event.pk, child_id=case.child_id, case_id=case.pk,
                     detail={"kind": event.kind})
        safeguards_evaluate_case(case, now)
    return event


def justice_event_correct(*, actor: Any, event_id: int, expected_version: int,
                          changes: Any, reason: Any) -> m.JusticeEvent:
    """Correct a recorded event. The record keeps what was changed and why (audit and
    case timeline); the safeguards are evaluated again on the corrected facts."""
    now = timezone.now()
    event, case = _event_for(actor, event_id)
    errors: Errors = {}
    why = clean_text(reason, field="reason", required=True, max_length=2000, errors=errors)
    if not isinstance(changes, dict) or not changes:
        add(errors, "__all__", "Say what to correct.")
        changes = {}
    unknown = sorted(set(changes) - set(EVENT_FIELDS))
    if unknown:
        add(errors, "__all__", f"Cannot correct: {', '.join(unknown)}.")
    if errors:
        raise ValidationFailed(errors)
    before = event_as_input(event)
    values = validate_event({**before, **changes}, now=now, default_zone=event.time_zone,
                            diversion_types_at=_diversion_types(case))
    with transaction.atomic():
        case = _locked_case(actor, event.case_id)
        current = m.JusticeEvent.objects.select_for_update().get(pk=event.pk)
        if current.version != expected_version:
            raise Conflict("This event was changed by someone else since you opened it.",
                           current_version=current.version)
        fields = _changed(before, values)
        for name in fields:
            setattr(current, name, values[name])
        current.version += 1
        current.save()
        case_event(case=case, actor=actor, kind="justice_event_corrected",
                   params={"event_id": current.pk, "fields": fields})
        audit_record(actor=actor, action=Action.UPDATE, object_type="justice_event",
                     object_id=current.pk, child_id=case.child_id, case_id=case.pk,
                     reason=why, detail={"fields": fields})
        safeguards_evaluate_case(case, now)
    return current


# ----------------------------------------------------------------- episodes


def detention_open(*, actor: Any, case_id: int, data: Any) -> m.DetentionEpisode:
    """Admit the child to a place of deprivation of liberty (a detention register entry)."""
    now = timezone.now()
    case = _visible_case(actor, case_id)
    values = validate_episode(data, now=now)
    errors: Errors = {}
    facility = _facility(values.pop("facility"), errors)
    if errors:
        raise ValidationFailed(errors)
    assert facility is not None  # no errors: the facility was found
    with transaction.atomic():
        case = _locked_case(actor, case_id)
        _check_no_overlap(case=case, start=values["admitted_at"], end=values["released_at"])
        episode = m.DetentionEpisode.objects.create(
            case=case, facility=facility, recorded_by=actor,
            recording_agency_id=actor.agency_id, recorded_at=now, **values)
        _after_admission(actor=actor, case=case, episode=episode, now=now)
        case_event(case=case, actor=actor, kind="detention_opened",
                   params={"episode_id": episode.pk,
                           "facility": facility.pk if facility else None})
        audit_record(actor=actor, action=Action.CREATE, object_type="detention_episode",
                     object_id=episode.pk, child_id=case.child_id, case_id=case.pk,
                     detail={"kind": episode.kind, "facility": episode.facility_id})
        safeguards_evaluate_case(case, now)
    return episode


def _after_admission(*, actor: Any, case: Case, episode: m.DetentionEpisode,
                     now: datetime) -> None:
    _involve(case=case, agency=episode.facility.agency, actor=actor,
             reason=f"runs {episode.facility.name}", now=now)
    if access.is_justice_user(actor):
        _involve(case=case, agency=actor.agency, actor=actor,
                 reason=f"recorded {episode.kind}", now=now)


def detention_release(*, actor: Any, episode_id: int, released_at: Any, note: Any = "",
                      expected_version: int | None = None) -> m.DetentionEpisode:
    """Release the child from an open episode."""
    now = timezone.now()
    episode, case = _episode_for(actor, episode_id)
    errors: Errors = {}
    at = to_aware(released_at, field="released_at", errors=errors, now=now, required=True)
    text = clean_text(note, field="note", max_length=500, errors=errors)
    if episode.released_at is not None:
        add(errors, "__all__", "This episode is already closed.")
    if at is not None and at < episode.admitted_at:
        add(errors, "released_at", "Release cannot be before admission ("
            + local_parts(episode.admitted_at, episode.facility.time_zone)["label"] + ").")
    if errors:
        raise ValidationFailed(errors)
    assert at is not None
    with transaction.atomic():
        case = _locked_case(actor, episode.case_id)
        current = m.DetentionEpisode.objects.select_for_update().get(pk=episode.pk)
        if expected_version is not None and current.version != expected_version:
            raise Conflict("This episode was changed by someone else since you opened it.",
                           current_version=current.version)
        if current.released_at is not None:
            raise ValidationFailed.single("__all__", "This episode is already closed.")
        _check_no_overlap(case=case, start=current.admitted_at, end=at,
                          exclude=(current.pk,), field="released_at")
        current.released_at, current.release_note = at, text
        current.version += 1
        current.save(update_fields=["released_at", "release_note", "version"])
        case_event(case=case, actor=actor, kind="detention_released",
                   params={"episode_id": current.pk})
        audit_record(actor=actor, action=Action.UPDATE, object_type="detention_episode",
                     object_id=current.pk, child_id=case.child_id, case_id=case.pk,
                     detail={"released": True})
        safeguards_evaluate_case(case, now)
    return current


#: What a transfer carries over from the episode it closes unless the input says
#: otherwise: the legal basis and its justification, not the facts of the new place
#: (separation, family notification of the transfer, counsel there).
CARRIED_OVER = ("kind", "commitment_order_ref", "reason", "authority",
                "last_resort_justification", "alternatives_considered", "health_problems")


def detention_transfer(*, actor: Any, episode_id: int, data: Any) -> m.DetentionEpisode:
    """Move the child from an open episode's facility to another: the episode closes at
    ``at`` and a new one opens there at the same instant. Returns the new episode."""
    now = timezone.now()
    episode, case = _episode_for(actor, episode_id)
    errors: Errors = {}
    d = data if isinstance(data, dict) else {}
    at = to_aware(d.get("at"), field="at", errors=errors, now=now, required=True)
    if episode.released_at is not None:
        add(errors, "__all__", "This episode is already closed: open a new one instead.")
    if at is not None and at < episode.admitted_at:
        add(errors, "at", "The transfer cannot be before the admission it ends.")
    if errors:
        raise ValidationFailed(errors)
    assert at is not None
    merged = {name: getattr(episode, name) for name in CARRIED_OVER}
    merged.update({k: v for k, v in d.items() if k in EPISODE_FIELDS and v not in (None, "")})
    merged["admitted_at"], merged["released_at"] = at, None
    facility: m.Facility | None = None
    try:
        values = validate_episode(merged, now=now)
    except ValidationFailed as exc:
        errors = {("at" if k == "admitted_at" else k): v for k, v in exc.errors.items()}
    else:
        facility = _facility(values.pop("facility"), errors)
        if facility is not None and facility.pk == episode.facility_id:
            add(errors, "facility", "A transfer moves the child to another facility.")
    if errors:
        raise ValidationFailed(errors)
    assert facility is not None  # no errors: the facility was found
    with transaction.atomic():
        case = _locked_case(actor, episode.case_id)
        current = m.DetentionEpisode.objects.select_for_update().get(pk=episode.pk)
        if current.released_at is not None:
            raise ValidationFailed.single("__all__", "This episode is already closed.")
        _check_no_overlap(case=case, start=at, end=None, exclude=(current.pk,), field="at")
        current.released_at = at
        current.release_note = f"Transferred to {facility.name}"[:500]
        current.version += 1
        current.save(update_fields=["released_at", "release_note", "version"])
        new = m.DetentionEpisode.objects.create(
            case=case, facility=facility, transferred_from=current, recorded_by=actor,
            recording_agency_id=actor.agency_id, recorded_at=now, **values)
        _after_admission(actor=actor, case=case, episode=new, now=now)
        case_event(case=case, actor=actor, kind="detention_transferred",
                   params={"from_episode": current.pk, "to_episode": new.pk,
                           "facility": new.facility_id})
        audit_record(actor=actor, action=Action.UPDATE, object_type="detention_episode",
                     object_id=current.pk, child_id=case.child_id, case_id=case.pk,
                     detail={"transferred_to": new.pk})
        audit_record(actor=actor, action=Action.CREATE, object_type="detention_episode",
                     object_id=new.pk, child_id=case.child_id, case_id=case.pk,
                     detail={"kind": new.kind, "facility": new.facility_id,
                             "transferred_from": current.pk})
        safeguards_evaluate_case(case, now)
    return new


def detention_correct(*, actor: Any, episode_id: int, expected_version: int, changes: Any,
                      reason: Any) -> m.DetentionEpisode:
    """Correct a register entry (a wrong admission time, a separation recorded late …).
    Validated as a whole, overlap included; the reason is kept in the audit entry."""
    now = timezone.now()
    episode, case = _episode_for(actor, episode_id)
    errors: Errors = {}
    why = clean_text(reason, field="reason", required=True, max_length=2000, errors=errors)
    if not isinstance(changes, dict) or not changes:
        add(errors, "__all__", "Say what to correct.")
        changes = {}
    unknown = sorted(set(changes) - set(EPISODE_FIELDS))
    if unknown:
        add(errors, "__all__", f"Cannot correct: {', '.join(unknown)}.")
    if errors:
        raise ValidationFailed(errors)
    before = episode_as_input(episode)
    values = validate_episode({**before, **changes}, now=now)
    facility = _facility(values["facility"], errors) if values["facility"] != \
        episode.facility_id else episode.facility
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        case = _locked_case(actor, episode.case_id)
        current = m.DetentionEpisode.objects.select_for_update().get(pk=episode.pk)
        if current.version != expected_version:
            raise Conflict("This episode was changed by someone else since you opened it.",
                           current_version=current.version)
        _check_no_overlap(case=case, start=values["admitted_at"], end=values["released_at"],
                          exclude=(current.pk,))
        fields = _changed(before, values)
        for name in fields:
            if name == "facility":
                current.facility = facility  # type: ignore[assignment]
            else:
                setattr(current, name, values[name])
        current.version += 1
        current.save()
        case_event(case=case, actor=actor, kind="detention_corrected",
                   params={"episode_id": current.pk, "fields": fields})
        audit_record(actor=actor, action=Action.UPDATE, object_type="detention_episode",
                     object_id=current.pk, child_id=case.child_id, case_id=case.pk,
                     reason=why, detail={"fields": fields})
        safeguards_evaluate_case(case, now)
    return current


# ------------------------------------------------------------- involvement


def justice_involvement_add(*, actor: Any, case_id: int, agency_id: Any,
                            reason: Any = "") -> m.JusticeInvolvement:
    """Link a justice agency to a case (owning agency's caseworker or supervisor): its
    users then see the child's identity and justice record, nothing else."""
    now = timezone.now()
    case = policy.case_for(actor, pk=case_id)
    if not access.may_link_agencies(actor, case):
        raise NotAllowed("Only the owning agency's caseworker or supervisor links agencies.")
    errors: Errors = {}
    why = clean_text(reason, field="reason", max_length=300, errors=errors)
    agency = Agency.objects.filter(pk=agency_id).first() if str(agency_id).isdecimal() else None
    if agency is None or not agency.active:
        add(errors, "agency", "Unknown agency.")
    elif agency.sector not in JUSTICE_SECTORS:
        add(errors, "agency", "Not a justice agency (police, prosecution, court, legal aid "
                              "or detention).")
    elif agency.country != case.owning_agency.country:
        add(errors, "agency", "This agency is in another jurisdiction than the case.")
    if errors:
        raise ValidationFailed(errors)
    assert agency is not None
    with transaction.atomic():
        case = policy.case_for(actor, pk=case_id, for_update=True)
        existing = _active_link(case, agency, actor=actor, now=now)
        if existing is not None:
            return existing
        link = _involve(case=case, agency=agency, actor=actor, reason=why or "linked",
                        now=now)
        assert link is not None
        return link


def justice_involvement_end(*, actor: Any, involvement_id: int, reason: Any = ""
                            ) -> m.JusticeInvolvement:
    """End an agency's involvement: its users no longer see the case."""
    now = timezone.now()
    link = m.JusticeInvolvement.objects.filter(pk=involvement_id).first()
    if link is None:
        raise NotFound()
    case = policy.case_for(actor, pk=link.case_id)
    if not access.may_link_agencies(actor, case):
        raise NotAllowed("Only the owning agency's caseworker or supervisor ends a link.")
    why = clean_text(reason, field="reason", max_length=300)
    with transaction.atomic():
        case = policy.case_for(actor, pk=link.case_id, for_update=True)
        current = m.JusticeInvolvement.objects.select_for_update().get(pk=link.pk)
        if current.ended_at is None:
            current.ended_at, current.ended_by = now, actor
            current.save(update_fields=["ended_at", "ended_by"])
            audit_record(actor=actor, action=Action.UPDATE, object_type="justice_involvement",
                         object_id=current.pk, child_id=case.child_id, case_id=case.pk,
                         reason=why, detail={"ended": True})
            case_event(case=case, actor=actor, kind="justice_agency_unlinked",
                       params={"agency_id": current.agency_id})
    return current


# -------------------------------------------------------------------- rules


def jurisdiction_rules_change(*, actor: Any, country: Any, region: Any = "",
                              valid_from: Any, params: Any, reason: Any
                              ) -> m.JurisdictionRuleSet:
    """Record a new version of a jurisdiction's rules (rows are never changed). After
    commit, every case of the jurisdiction with a justice record is evaluated again in
    the background, so deadlines follow the new figures; old rows, and what earlier
    evaluations said, stay as history."""
    if not access.may_edit_rules(actor):
        raise NotAllowed("Only system administrators change jurisdiction rules.")
    values = validate_rules(country=country, region=region, valid_from=valid_from,
                            params=params, reason=reason)
    with transaction.atomic():
        row = m.JurisdictionRuleSet.objects.create(created_by=actor,
                                                   created_at=timezone.now(), **values)
        audit_record(actor=actor, action=Action.CREATE, object_type="jurisdiction_rules",
                     object_id=row.pk, reason=values["reason"],
                     detail={k: v for k, v in values.items() if k != "reason"})
        code, area = row.country, row.region
        transaction.on_commit(lambda: _enqueue_reevaluation(code, area))
    return row


def _enqueue_reevaluation(country: str, region: str) -> None:
    from bridgeway.justice.jobs import reevaluate_open_episodes

    try:
        reevaluate_open_episodes.enqueue(country=country, region=region, every_justice_case=True)
    except Exception:  # the rule change stands; the daily job will catch up
        log.exception("could not enqueue the re-evaluation of %s %s", country, region)


# ---------------------------------------------------------------- facilities


def facility_create(*, actor: Any, data: Any) -> m.Facility:
    if not (policy.may_configure(actor) or access.may_edit_rules(actor)):
        raise NotAllowed("Only administrators register facilities.")
    errors: Errors = {}
    d = data if isinstance(data, dict) else {}
    name = clean_text(d.get("name"), field="name", required=True, max_length=200, errors=errors)
    kind = to_choice(d.get("kind"), m.FacilityKind, field="kind", errors=errors)
    country = (d.get("country") or "").upper() if isinstance(d.get("country"), str) else ""
    if country not in COUNTRY_CODES:
        add(errors, "country", "Unknown country code.")
    region = clean_text(d.get("region"), field="region", max_length=40, errors=errors)
    zone = d.get("time_zone") or ""
    if not is_zone(zone):
        add(errors, "time_zone", "Unknown time zone (use a name like Asia/Jakarta).")
    agency = None
    if d.get("agency"):
        raw_agency = str(d.get("agency"))
        agency = Agency.objects.filter(pk=int(raw_agency)).first() \
            if raw_agency.isdecimal() else None
        if agency is None:
            add(errors, "agency", "Unknown agency.")
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        facility = m.Facility.objects.create(name=name, kind=kind, country=country,
                                             region=region, time_zone=zone, agency=agency)
        audit_record(actor=actor, action=Action.CREATE, object_type="facility",
                     object_id=facility.pk, detail={"name": name, "time_zone": zone})
    return facility
