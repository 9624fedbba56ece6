"""Justice reads for pages and the API. Each selector applies the access policy (a case
whose justice record the user may not see is "not found") and writes the audit entry for
what it returned.

Pages evaluate the safeguards live, at the moment of the request, from the same facts and
rules as the stored evaluation: a deadline that passed a minute ago shows as overdue now,
not tomorrow after the daily job. The stored evaluation drives alerts, tasks and
notifications.

What a justice record shows: the child's identity, the justice timeline, the detention
register and the safeguards, the case's victim status beside the alleged offences (neither
overwrites the other). Health problems noted in the register are shown only to users
whose grant covers the HEALTH category.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import F, Prefetch, Q
from django.utils import timezone

from bridgeway.access import policy
from bridgeway.access.policy import Category
from bridgeway.audit.models import Action
from bridgeway.audit.services import audit_record
from bridgeway.cases.models import Case
from bridgeway.core.errors import NotFound
from bridgeway.justice import access
from bridgeway.justice import models as m
from bridgeway.justice.adapters import RuleBook
from bridgeway.justice.evaluation import (
    CaseFacts,
    CaseSafeguards,
    evaluate_facts,
    facts_of,
    facts_queryset,
)
from bridgeway.justice.inputs import local_parts
from bridgeway.justice.rules import RULES, RuleSet, Severity
from bridgeway.registry import age


def _zone_of_subject(facts: CaseFacts, default: str) -> dict[str, str]:
    zones = {f"event:{e.pk}": e.time_zone for e in facts.events}
    zones.update({f"episode:{e.pk}": e.facility.time_zone for e in facts.episodes})
    zones[""] = default
    return zones


@dataclass(frozen=True)
class Finding:
    """A deadline or violation ready to show: the rule's words and local times."""

    code: str
    title: str
    citation: str
    description: str
    subject: str
    subject_label: str
    severity: str
    status: str
    due: dict[str, str]
    since: dict[str, str]
    until: dict[str, str]
    met: dict[str, str]
    met_by: str
    due_at: datetime | None
    since_at: datetime | None
    until_at: datetime | None
    ongoing: bool


def _subject_label(subject: str, facts: CaseFacts) -> str:
    kind, _, pk = subject.partition(":")
    if kind == "episode":
        ep = next((e for e in facts.episodes if str(e.pk) == pk), None)
        if ep is not None:
            return f"{ep.get_kind_display()} — {ep.facility.name}"
    if kind == "event":
        ev = next((e for e in facts.events if str(e.pk) == pk), None)
        if ev is not None:
            return str(ev.get_kind_display())
    return subject


def findings(facts: CaseFacts, result: CaseSafeguards, default_zone: str
             ) -> tuple[list[Finding], list[Finding]]:
    """(deadlines, violations) as ``Finding``s, most urgent first."""
    zones = _zone_of_subject(facts, default_zone)

    def zone(subject: Any) -> str:
        return zones.get(str(subject), default_zone)

    deadlines = []
    for d in result.evaluation.deadlines:
        rule = RULES[d.rule]
        z = zone(d.subject)
        deadlines.append(Finding(
            code=d.code, title=rule.deadline_title, citation=rule.citation,
            description=d.description, subject=str(d.subject),
            subject_label=_subject_label(str(d.subject), facts), severity=rule.severity.value,
            status=d.status.value, due=local_parts(d.due_at, z),
            since=local_parts(d.starts_at, z), until=local_parts(None, z),
            met=local_parts(d.met_at, z), met_by=d.met_by, due_at=d.due_at,
            since_at=d.starts_at, until_at=None, ongoing=d.met_at is None))
    violations = []
    for v in result.evaluation.violations:
        rule = RULES[v.code]
        z = zone(v.subject)
        violations.append(Finding(
            code=v.code, title=rule.title, citation=rule.citation, description=v.detail,
            subject=str(v.subject), subject_label=_subject_label(str(v.subject), facts),
            severity=v.severity.value, status="ongoing" if v.until is None else "past",
            due=local_parts(None, z), since=local_parts(v.since, z),
            until=local_parts(v.until, z), met=local_parts(None, z), met_by="",
            due_at=None, since_at=v.since, until_at=v.until, ongoing=v.until is None))
    violations.sort(key=lambda f: (not f.ongoing, Severity(f.severity).rank, f.since_at))
    return deadlines, violations


# ----------------------------------------------------------------- the record


@dataclass(frozen=True)
class EventView:
    event: m.JusticeEvent
    at: dict[str, str]
    parent_notified: dict[str, str]


@dataclass(frozen=True)
class EpisodeView:
    episode: m.DetentionEpisode
    admitted: dict[str, str]
    released: dict[str, str]
    family_notified: dict[str, str]
    counsel: dict[str, str]
    health_problems: str | None  # None: not visible to this user


@dataclass(frozen=True)
class JusticeRecord:
    case: Case
    categories: frozenset[Category]
    lowest_age: int | None
    events: list[EventView]
    episodes: list[EpisodeView]
    alleged_offences: list[str]
    safeguards: CaseSafeguards
    deadlines: list[Finding]
    violations: list[Finding]
    alerts: list[m.SafeguardAlert]
    involvements: list[m.JusticeInvolvement]
    rules_now: RuleSet
    rules_label: str
    rules_concerns: tuple[str, ...]
    default_zone: str
    may_record: bool
    may_link: bool
    now: datetime
    # A named role viewing a record reopened after sealing without a reason: an earlier
    # part is sealed and left out (``retention``). False for everyone else, who is not
    # told that there is one.
    sealed_part: bool = False

    @property
    def open_episode(self) -> m.DetentionEpisode | None:
        return next((v.episode for v in reversed(self.episodes) if v.episode.is_open), None)


def _load(case_id: int, *, recorded_after: datetime | None = None) -> CaseFacts:
    links = m.JusticeInvolvement.objects.filter(ended_at__isnull=True)
    if recorded_after is not None:
        links = links.filter(added_at__gt=recorded_after)
    case = (facts_queryset(with_facilities=True, recorded_after=recorded_after)
            .prefetch_related(Prefetch("justice_involvements",
                                       queryset=links.select_related("agency")))
            .get(pk=case_id))
    return facts_of(case)


def justice_record(*, actor: Any, case_id: int, now: datetime | None = None,
                   channel_detail: str = "", sealed_reason: str = "") -> JusticeRecord:
    """One case's justice record as the actor may see it (audited as a view). A sealed
    record needs a named role and ``sealed_reason`` (``retention.sealed_check``).

    A case reopened after its record was sealed (see ``retention``): without a reason,
    everyone who sees the justice record sees its open part — what was recorded after the
    seal — as an ordinary record, safeguards evaluated on it alone; the named roles are
    also told that an earlier part is sealed. With a reason, a named role sees it all."""
    from bridgeway.justice.retention import may_open_sealed, sealed_check, sealed_until
    from bridgeway.justice.services import default_zone

    now = now or timezone.now()
    case = policy.case_for(actor, pk=case_id)
    categories = access.justice_view_check(actor, case)
    open_after = sealed_until(case)
    if open_after is None or sealed_reason:
        sealed_check(actor, case, reason=sealed_reason)
        open_after = None  # nothing sealed, or opened with a reason: the whole record
    facts = _load(case.pk, recorded_after=open_after)
    rulebook = RuleBook.load()
    result = evaluate_facts(facts, rulebook, now)
    zone = default_zone(case)
    deadlines, violations = findings(facts, result, zone)
    sees_health = Category.HEALTH in categories
    offences = [case.alleged_offence] if case.alleged_offence else []
    offences += [e.alleged_offence for e in facts.events if e.alleged_offence]
    rules_now = result.rules.history.in_force(now)
    record = JusticeRecord(
        case=facts.case, categories=categories,
        lowest_age=age.age_on(case.child.youngest_birth_date, timezone.localdate(now)),
        events=[EventView(e, local_parts(e.at, e.time_zone),
                          local_parts(e.parent_notified_at, e.time_zone))
                for e in facts.events],
        episodes=[EpisodeView(
            e, local_parts(e.admitted_at, e.facility.time_zone),
            local_parts(e.released_at, e.facility.time_zone),
            local_parts(e.family_notified_at, e.facility.time_zone),
            local_parts(e.legal_counsel_access_at, e.facility.time_zone),
            e.health_problems if sees_health else None) for e in facts.episodes],
        alleged_offences=list(dict.fromkeys(offences)),
        safeguards=result, deadlines=deadlines, violations=violations,
        alerts=list(_alerts(case, open_after)),
        involvements=list(facts.case.justice_involvements.all()),
        rules_now=rules_now, rules_label=result.rules.label,
        rules_concerns=rules_now.concerns(), default_zone=zone,
        may_record=access.may_record(actor, case),
        may_link=access.may_link_agencies(actor, case), now=now,
        sealed_part=open_after is not None and may_open_sealed(actor, case))
    audit_record(actor=actor, action=Action.VIEW, object_type="justice_record",
                 object_id=case.case_number, child_id=case.child_id, case_id=case.pk,
                 detail={"violations": len(result.ongoing_violations),
                         **({"via": channel_detail} if channel_detail else {})})
    return record


@dataclass(frozen=True)
class JusticeSummary:
    """The safeguards of one case in brief, for the card on the case page: whether the
    child is deprived of liberty now, the nearest pending deadline and the safeguards not
    respected now. The full record is on the justice timeline."""

    case_id: int
    held_in: str  # the facility, "" when the child is not held now
    held_since: dict[str, str]
    days_held: int | None
    next_deadline: Finding | None
    violations: list[Finding]  # ongoing, most serious first
    events: int
    episodes: int


def justice_summary(*, actor: Any, case: Case, now: datetime | None = None
                    ) -> JusticeSummary | None:
    """``case``'s safeguards in brief, evaluated live, for a user who may see its justice
    record; None when they may not, when there is no justice record, or when it is sealed
    (a record reopened after sealing: its open part only, as on the timeline without a
    reason). Audited as a view of the justice record, through the case page."""
    from bridgeway.justice.retention import seal_of, sealed_until
    from bridgeway.justice.services import default_zone

    if not access.sees_justice(actor, case):
        return None
    open_after = sealed_until(case)
    if open_after is None and seal_of(case) is not None:
        return None  # the whole record is sealed: named roles open it with a reason
    events = m.JusticeEvent.objects.filter(case_id=case.pk)
    episodes = m.DetentionEpisode.objects.filter(case_id=case.pk)
    if open_after is not None:
        events = events.filter(recorded_at__gt=open_after)
        episodes = episodes.filter(recorded_at__gt=open_after)
    if not events.exists() and not episodes.exists():
        return None
    now = now or timezone.now()
    facts = _load(case.pk, recorded_after=open_after)
    result = evaluate_facts(facts, RuleBook.load(), now)
    held = next((e for e in reversed(facts.episodes)
                 if e.released_at is None and e.admitted_at <= now), None)
    zone = held.facility.time_zone if held is not None else default_zone(case)
    deadlines, violations = findings(facts, result, zone)
    pending = [d for d in deadlines if d.status == "pending"]
    since = (result.held_since or held.admitted_at) if held is not None else None
    summary = JusticeSummary(
        case_id=case.pk, held_in=held.facility.name if held is not None else "",
        held_since=local_parts(since, zone),
        days_held=max(0, (now - since) // timedelta(days=1)) if since is not None else None,
        next_deadline=min(pending, key=lambda d: d.due_at or _FAR) if pending else None,
        violations=[v for v in violations if v.ongoing],
        events=len(facts.events), episodes=len(facts.episodes))
    audit_record(actor=actor, action=Action.VIEW, object_type="justice_record",
                 object_id=case.case_number, child_id=case.child_id, case_id=case.pk,
                 detail={"violations": len(summary.violations), "via": "case_page"})
    return summary


def _alerts(case: Case, recorded_after: datetime | None) -> Any:
    alerts = m.SafeguardAlert.objects.filter(case=case).order_by("status", "-since")
    return alerts if recorded_after is None else alerts.filter(created_at__gt=recorded_after)


def episode_for_form(*, actor: Any, episode_id: int) -> tuple[m.DetentionEpisode, Case]:
    """An episode whose case the actor may record in (for the release/transfer forms).
    Not audited: the form shows the episode's facility and admission only, and the write
    that follows is audited."""
    episode = m.DetentionEpisode.objects.select_related("facility").filter(
        pk=episode_id).first()
    if episode is None:
        raise NotFound()
    case = policy.case_for(actor, pk=episode.case_id)
    access.record_check(actor, case)
    from bridgeway.justice.retention import under_seal

    if under_seal(case, episode.recorded_at):  # the sealed part is not written in
        raise NotFound()
    return episode, case


def case_for_recording(*, actor: Any, case_id: int) -> Case:
    case = policy.case_for(actor, pk=case_id)
    access.record_check(actor, case)
    return case


# ------------------------------------------------------- deprived of liberty


@dataclass(frozen=True)
class HeldChild:
    case: Case
    episode: m.DetentionEpisode
    admitted: dict[str, str]
    held_since: dict[str, str]
    days_held: int
    next_deadline: Finding | None
    violations: list[Finding]
    urgency: tuple[Any, ...] = field(compare=False)

    @property
    def worst_severity(self) -> str:
        return self.violations[0].severity if self.violations else ""


_FAR = datetime.max.replace(tzinfo=UTC)


def _urgency(violations: list[Finding], next_deadline: Finding | None,
             held_since: datetime) -> tuple[Any, ...]:
    """Most urgent first: the worst ongoing violation (critical, high, medium, none),
    then the nearest deadline, then the longest held."""
    worst = min((Severity(v.severity).rank for v in violations), default=len(Severity))
    due = next_deadline.due_at if next_deadline and next_deadline.due_at else _FAR
    return (worst, due, held_since)


def deprived_of_liberty(*, actor: Any, now: datetime | None = None) -> list[HeldChild]:
    """Every child currently deprived of liberty in a case whose justice record the actor
    may see, most urgent first. A fixed number of queries, whatever the number of rows."""
    now = now or timezone.now()
    visible = policy.cases_visible_to(actor)
    held_ids = m.DetentionEpisode.objects.filter(released_at__isnull=True,
                                                 admitted_at__lte=now).values("case_id")
    cases = list(facts_queryset(with_facilities=True)
                 .prefetch_related(Prefetch("justice_involvements",
                                            queryset=m.JusticeInvolvement.objects.filter(
                                                ended_at__isnull=True)))
                 .select_related("justice_seal")  # the justice grant checks the seal
                 .filter(pk__in=visible.values("pk")).filter(pk__in=held_ids,
                                                             child__deleted_at__isnull=True))
    rulebook = RuleBook.load()
    rows: list[HeldChild] = []
    for case in cases:
        if not access.sees_justice(actor, case):
            continue
        facts = facts_of(case)
        episode = next(e for e in reversed(facts.episodes) if e.released_at is None)
        result = evaluate_facts(facts, rulebook, now)
        deadlines, violations = findings(facts, result, episode.facility.time_zone)
        ongoing = [v for v in violations if v.ongoing]
        pending = [d for d in deadlines if d.status == "pending"]
        nxt = min(pending, key=lambda d: d.due_at or _FAR) if pending else None
        since = result.held_since or episode.admitted_at
        rows.append(HeldChild(
            case=case, episode=episode,
            admitted=local_parts(episode.admitted_at, episode.facility.time_zone),
            held_since=local_parts(since, episode.facility.time_zone),
            days_held=max(0, (now - since) // timedelta(days=1)),
            next_deadline=nxt, violations=ongoing,
            urgency=_urgency(ongoing, nxt, since)))
    rows.sort(key=lambda r: r.urgency)
    audit_record(actor=actor, action=Action.LIST, object_type="deprived_of_liberty",
                 detail={"count": len(rows), "case_ids": [r.case.pk for r in rows][:500]})
    return rows


# -------------------------------------------------------------------- rules


@dataclass(frozen=True)
class RuleVersion:
    row: m.JurisdictionRuleSet
    in_force_now: bool
    superseded: bool  # corrected by a newer row with the same start


@dataclass(frozen=True)
class Jurisdiction:
    country: str
    region: str
    label: str
    versions: list[RuleVersion]


def jurisdictions_overview(*, now: datetime | None = None) -> list[Jurisdiction]:
    """Every jurisdiction with its full history, newest version first (not child data:
    the law, readable by any signed-in user; only system administrators change it)."""
    now = now or timezone.now()
    rows = list(m.JurisdictionRuleSet.objects.select_related("created_by"))
    groups: dict[tuple[str, str], list[m.JurisdictionRuleSet]] = {}
    for row in rows:
        groups.setdefault((row.country, row.region), []).append(row)
    out = []
    for (country, region), group in sorted(groups.items()):
        newest: dict[datetime, m.JurisdictionRuleSet] = {}
        for row in group:
            seen = newest.get(row.valid_from)
            if seen is None or (row.created_at, row.pk) > (seen.created_at, seen.pk):
                newest[row.valid_from] = row
        started = [r for r in newest.values() if r.valid_from <= now]
        current = max(started, key=lambda r: r.valid_from) if started else None
        versions = [RuleVersion(r, r is current, newest[r.valid_from] is not r)
                    for r in sorted(group, key=lambda r: (r.valid_from, r.created_at, r.pk),
                                    reverse=True)]
        out.append(Jurisdiction(country, region, f"{country}-{region}" if region else country,
                                versions))
    return out


def rule_catalogue() -> list[Any]:
    """The safeguard rules (data-driven: a new rule appears here without a view change)."""
    return sorted(RULES.values(), key=lambda r: (r.severity.rank, r.code))


def notifications_for(*, actor: Any, limit: int = 100) -> list[m.Notification]:
    # Sealed justice records (``justice.retention``) drop out of everyone's notifications;
    # a record reopened after sealing notifies about alerts of its open part.
    rows = list(m.Notification.objects.filter(recipient=actor)
                .filter(Q(case__justice_seal__isnull=True)
                        | Q(alert__created_at__gt=F("case__justice_seal__sealed_at")))
                .select_related("case", "alert")[:limit])
    # A notification names a case; show it only while the user may still see that case.
    visible = set(policy.cases_visible_to(actor).filter(
        pk__in={n.case_id for n in rows}).values_list("pk", flat=True))
    shown = [n for n in rows if n.case_id in visible]
    audit_record(actor=actor, action=Action.LIST, object_type="safeguard_notifications",
                 detail={"count": len(shown),
                         "case_ids": sorted({n.case_id for n in shown})[:500]})
    return shown
