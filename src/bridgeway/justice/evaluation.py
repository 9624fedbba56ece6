"""Running the safeguards engine over cases and keeping its consequences in the database:
the cached ``SafeguardEvaluation``, one ``SafeguardAlert`` per violation, tasks on the case
and one ``Notification`` per responsible user per new alert.

Everything here works on batches of cases with a fixed number of queries per batch, so
that one case (after a write) and 100,000 (the daily job) go through the same code:
``reevaluate_cases`` loads the facts, evaluates each case (pure, ``justice.rules``),
then reconciles evaluations, alerts, tasks and notifications with bulk writes. It is
idempotent: a second run with nothing changed writes only the ``evaluated_at`` stamp.

Who is told about a new alert: the case's assigned caseworker, the supervisors of the
owning agency, and each involved justice agency (its supervisors, or its caseworkers when
it has no supervisor). An alert that is already over when it is first found (a past
violation entered after the fact) is recorded and shown, not pushed to anyone: a
notification asks for action, and there is none left to take.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Prefetch
from django.utils import timezone

from bridgeway.accounts.models import JUSTICE_SECTORS, User
from bridgeway.cases.models import Case, Task, TaskStatus
from bridgeway.cases.tasks import WantedTask, deriver
from bridgeway.justice import models as m
from bridgeway.justice.adapters import (
    EPISODE_COLUMNS,
    EVENT_COLUMNS,
    AgeRow,
    AppliedRules,
    RuleBook,
    age_record,
    episode_from_row,
    event_from_row,
    timeline_of,
)
from bridgeway.justice.rules import (
    RULES,
    Context,
    DeadlineStatus,
    Evaluation,
    NoRuleSetInForce,
    Timeline,
    TimelineError,
    evaluate,
)
from bridgeway.registry.models import AgeAssessment

log = logging.getLogger("bridgeway.justice.notifications")
job_log = logging.getLogger("bridgeway.justice.jobs")

TASK_PREFIX = "justice:"
BATCH_SIZE = 500


# ------------------------------------------------------------------- facts


@dataclass
class CaseFacts:
    case: Case
    events: list[m.JusticeEvent]
    episodes: list[m.DetentionEpisode]
    assessments: list[Any]

    @property
    def has_open_episode(self) -> bool:
        return any(e.released_at is None for e in self.episodes)


def facts_queryset(*, with_facilities: bool = False,
                   recorded_after: datetime | None = None) -> Any:
    """Cases with their justice facts. ``recorded_after``: only the events and episodes
    recorded after it (the open part of a record reopened after sealing)."""
    episodes = m.DetentionEpisode.objects.order_by("admitted_at", "id")
    events = m.JusticeEvent.objects.order_by("at", "id")
    if recorded_after is not None:
        episodes = episodes.filter(recorded_at__gt=recorded_after)
        events = events.filter(recorded_at__gt=recorded_after)
    if with_facilities:
        episodes = episodes.select_related("facility")
    return (Case.objects.select_related("child", "owning_agency", "assigned_to")
            .prefetch_related(
                Prefetch("justice_events", queryset=events),
                Prefetch("detention_episodes", queryset=episodes),
                "child__age_assessments"))


def facts_of(case: Case) -> CaseFacts:
    """Facts from a case loaded through ``facts_queryset`` (no further queries)."""
    return CaseFacts(case=case, events=list(case.justice_events.all()),
                     episodes=list(case.detention_episodes.all()),
                     assessments=list(case.child.age_assessments.all()))


# -------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class CaseSafeguards:
    """One case evaluated: the engine's output plus what the pages and lists need."""

    evaluation: Evaluation
    rules: AppliedRules
    rule_set_ids: tuple[int, ...]
    held_since: datetime | None  # start of the continuous deprivation of liberty, if held

    @property
    def next_deadline(self) -> Any:
        pending = self.evaluation.open_deadlines
        return pending[0] if pending else None

    @property
    def ongoing_violations(self) -> tuple[Any, ...]:
        return self.evaluation.ongoing_violations


def evaluate_timeline(timeline: Timeline, rules: AppliedRules, now: datetime
                      ) -> CaseSafeguards:
    evaluation = evaluate(timeline, rules.history, now=now)
    starts = [e.at for e in timeline.events if e.at <= now]
    starts += [e.admitted_at for e in timeline.episodes if e.admitted_at <= now]
    ids = {rules.row_id_at(at) for at in starts}
    ids.add(rules.row_id_at(now))
    held_since = None
    if any(e.released_at is None or e.released_at > now for e in timeline.episodes
           if e.admitted_at <= now):
        spells = Context(timeline, rules.history, now).spells
        held_since = next((s.start for s in reversed(spells) if s.end is None), None)
    return CaseSafeguards(evaluation=evaluation, rules=rules, rule_set_ids=tuple(sorted(ids)),
                          held_since=held_since)


def evaluate_facts(facts: CaseFacts, rulebook: RuleBook, now: datetime) -> CaseSafeguards:
    """Evaluate a case loaded as model instances (pages: they show the rows too)."""
    timeline = timeline_of(child=facts.case.child, assessments=facts.assessments,
                           events=facts.events, episodes=facts.episodes)
    return evaluate_timeline(timeline, rulebook.for_case(facts.case), now)


# --------------------------------------------------------------- batch facts


@dataclass
class BatchCase:
    """One case as the batch path loads it: plain columns, no model instances (the
    daily job reads tens of thousands of cases; building ORM objects would dominate)."""

    pk: int
    case_number: str
    owning_agency_id: int
    country: str
    region: str
    assigned_to_id: int | None
    assigned_active: bool
    date_of_birth: Any
    youngest_birth_date: Any
    events: list[tuple[Any, ...]] = field(default_factory=list)
    episodes: list[tuple[Any, ...]] = field(default_factory=list)
    ages: list[AgeRow] = field(default_factory=list)

    @property
    def has_open_episode(self) -> bool:
        return any(e[6] is None for e in self.episodes)

    def timeline(self) -> Timeline:
        return Timeline(events=tuple(event_from_row(r) for r in self.events),
                        episodes=tuple(episode_from_row(r) for r in self.episodes),
                        age=age_record(date_of_birth=self.date_of_birth,
                                       youngest_birth_date=self.youngest_birth_date,
                                       assessments=self.ages))


def load_batch(case_ids: Sequence[int]) -> list[BatchCase]:
    """Four queries for any number of cases."""
    cases: dict[int, BatchCase] = {}
    by_child: dict[int, list[BatchCase]] = defaultdict(list)
    for row in (Case.objects.filter(pk__in=case_ids, child__deleted_at__isnull=True)
                .order_by("pk").values_list(
                    "pk", "case_number", "owning_agency_id", "owning_agency__country",
                    "owning_agency__region", "assigned_to_id", "assigned_to__is_active",
                    "child_id", "child__date_of_birth", "child__youngest_birth_date")):
        item = BatchCase(pk=row[0], case_number=row[1], owning_agency_id=row[2],
                         country=row[3], region=row[4] or "", assigned_to_id=row[5],
                         assigned_active=bool(row[6]), date_of_birth=row[8],
                         youngest_birth_date=row[9])
        cases[item.pk] = item
        by_child[row[7]].append(item)
    if not cases:
        return []
    for event in (m.JusticeEvent.objects.filter(case_id__in=cases)
                  .order_by("at", "id").values_list(*EVENT_COLUMNS)):
        cases[event[0]].events.append(event)
    for episode in (m.DetentionEpisode.objects.filter(case_id__in=cases)
                    .order_by("admitted_at", "id").values_list(*EPISODE_COLUMNS)):
        cases[episode[0]].episodes.append(episode)
    for age in (AgeAssessment.objects.filter(child_id__in=by_child).values_list(
            "child_id", "claimed_age_years", "claimed_date_of_birth", "assessed_min_years",
            "assessed_on", "pending")):
        for item in by_child[age[0]]:
            item.ages.append((age[1], age[2], age[3], age[4], age[5]))
    return list(cases.values())


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def serialize(result: CaseSafeguards) -> dict[str, Any]:
    ev = result.evaluation
    return {
        "deadlines": [
            {"code": d.code, "rule": d.rule, "subject": str(d.subject),
             "starts_at": _iso(d.starts_at), "due_at": _iso(d.due_at),
             "description": d.description, "met_at": _iso(d.met_at), "met_by": d.met_by,
             "status": d.status.value}
            for d in ev.deadlines],
        "violations": [
            {"code": v.code, "subject": str(v.subject), "since": _iso(v.since),
             "until": _iso(v.until), "detail": v.detail, "severity": v.severity.value,
             "deadline": v.deadline}
            for v in ev.violations],
    }


def insert_rows(model: Any, objs: Sequence[Any], *, ignore_conflicts: bool = False) -> None:
    """Insert new rows in bulk. On PostgreSQL through ``COPY`` (the first run after
    installation writes about twenty alerts, tasks and notifications per case, and
    ``bulk_create`` spends most of its time preparing SQL: ``COPY`` is several times
    faster); elsewhere ``bulk_create``. With ``ignore_conflicts`` the rows go through a
    temporary table and ``INSERT … ON CONFLICT DO NOTHING``. Primary keys are not read
    back: callers that need the rows query them."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs, batch_size=2000, ignore_conflicts=ignore_conflicts)
        return
    qn = connection.ops.quote_name
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(qn(f.column) for f in fields)
    table = qn(model._meta.db_table)
    with transaction.atomic(), connection.cursor() as wrapper:
        cursor = wrapper.cursor
        target = table
        if ignore_conflicts:
            target = qn(f"{model._meta.db_table}_incoming")
            # Identifiers only, from the model's metadata and quoted: no input reaches SQL.
            cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {target} "  # noqa: S608
                           f"ON COMMIT DROP AS SELECT {columns} FROM {table} WITH NO DATA")
        with cursor.copy(f"COPY {target} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row([f.get_db_prep_save(f.pre_save(obj, True), connection)
                                for f in fields])
        if ignore_conflicts:
            cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} "  # noqa: S608
                           f"FROM {target} ON CONFLICT DO NOTHING")
            cursor.execute(f"TRUNCATE {target}")


def _ts(at: datetime | None) -> str:
    return "" if at is None else repr(at.timestamp())


def fingerprint(result: CaseSafeguards, attention: bool) -> str:
    """A digest of everything stored from an evaluation (and so of everything alerts and
    tasks follow from). Built from plain strings rather than the JSON payload: the daily
    job computes it for every case and serializes only the cases whose digest changed."""
    ev = result.evaluation
    parts = [result.rules.label, ",".join(map(str, result.rule_set_ids)),
             _ts(result.held_since), "1" if attention else "0"]
    parts += [f"d|{d.code}|{d.rule}|{d.subject}|{_ts(d.starts_at)}|{_ts(d.due_at)}|"
              f"{_ts(d.met_at)}|{d.met_by}|{d.status.value}|{d.description}"
              for d in ev.deadlines]
    parts += [f"v|{v.code}|{v.subject}|{_ts(v.since)}|{_ts(v.until)}|{v.severity.value}|"
              f"{v.deadline}|{v.detail}" for v in ev.violations]
    return hashlib.blake2b("\n".join(parts).encode(), digest_size=24).hexdigest()


def needs_attention(result: CaseSafeguards, has_open_episode: bool) -> bool:
    ev = result.evaluation
    return (has_open_episode or result.held_since is not None
            or any(d.met_at is None for d in ev.deadlines)
            or any(v.until is None for v in ev.violations))


# ------------------------------------------------------------------- tasks


def wanted_tasks(payload: dict[str, Any]) -> list[WantedTask]:
    """Tasks a stored evaluation asks for: every deadline still waiting (pending or
    overdue), and every ongoing violation that is not a missed deadline."""
    wanted: list[WantedTask] = []
    for d in payload.get("deadlines", ()):
        if d["status"] not in (DeadlineStatus.PENDING, DeadlineStatus.OVERDUE):
            continue
        rule = RULES.get(d["rule"])
        title = rule.deadline_title if rule else d["code"]
        wanted.append(WantedTask(
            source_key=f"{TASK_PREFIX}{d['code']}:{d['subject']}"[:80],
            title=f"{title} ({d['subject'].replace(':', ' ')}): {d['description']}"[:200],
            due_at=datetime.fromisoformat(d["due_at"])))
    for v in payload.get("violations", ()):
        if v["until"] is not None or v["deadline"]:
            continue
        rule = RULES.get(v["code"])
        title = rule.title if rule else v["code"]
        wanted.append(WantedTask(
            source_key=f"{TASK_PREFIX}{v['code']}:{v['subject']}"[:80],
            title=f"Resolve: {title} ({v['subject'].replace(':', ' ')})"[:200],
            due_at=datetime.fromisoformat(v["since"])))
    return wanted


@deriver
def justice_safeguards(case: Case) -> list[WantedTask]:
    """Deadlines and ongoing violations of the stored safeguard evaluation as tasks
    (``cases.tasks.case_derive_tasks`` reconciles them with the case's other tasks)."""
    stored = m.SafeguardEvaluation.objects.filter(case_id=case.pk).first()
    if stored is None:
        return []
    return wanted_tasks({"deadlines": stored.deadlines, "violations": stored.violations})


# ------------------------------------------------------------------ stats


@dataclass
class Stats:
    cases: int = 0
    evaluations_written: int = 0
    alerts_created: int = 0
    alerts_reopened: int = 0
    alerts_resolved: int = 0
    notifications: int = 0
    tasks_created: int = 0
    tasks_updated: int = 0
    tasks_closed: int = 0
    failed: list[int] = field(default_factory=list)

    def add(self, other: Stats) -> None:
        for name, value in vars(other).items():
            if name == "failed":
                self.failed.extend(value)
            else:
                setattr(self, name, getattr(self, name) + value)

    def as_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, list) else v) for k, v in vars(self).items()}


# -------------------------------------------------------------- reconcile


Results = Sequence[tuple[BatchCase, CaseSafeguards]]


def _write_evaluations(results: Results, now: datetime, stats: Stats
                       ) -> tuple[dict[int, dict[str, Any]], set[int]]:
    """Store each case's evaluation; returns the payloads of the cases whose evaluation
    changed, and their ids (alerts, tasks and notifications follow from the evaluation,
    so for the others there is nothing to reconcile)."""
    ids = [item.pk for item, _ in results]
    existing = {e.case_id: e for e in m.SafeguardEvaluation.objects.filter(case_id__in=ids)
                .only("pk", "case_id", "digest")}
    create, update, payloads, changed = [], [], {}, set()
    for item, result in results:
        attention = needs_attention(result, item.has_open_episode)
        digest = fingerprint(result, attention)
        row = existing.get(item.pk)
        if row is not None and row.digest == digest:
            continue
        changed.add(item.pk)
        payload = payloads[item.pk] = serialize(result)
        values = {
            "deadlines": payload["deadlines"], "violations": payload["violations"],
            "rule_set_ids": list(result.rule_set_ids), "jurisdiction": result.rules.label,
            "held_since": result.held_since,
            "next_due_at": (result.next_deadline.due_at if result.next_deadline else None),
            "ongoing_violations": len(result.ongoing_violations),
            "needs_attention": attention, "digest": digest, "evaluated_at": now,
        }
        if row is None:
            create.append(m.SafeguardEvaluation(case_id=item.pk, **values))
        else:
            for k, v in values.items():
                setattr(row, k, v)
            update.append(row)
    if create:
        insert_rows(m.SafeguardEvaluation, create)
    if update:
        m.SafeguardEvaluation.objects.bulk_update(
            update, ["deadlines", "violations", "rule_set_ids", "jurisdiction", "held_since",
                     "next_due_at", "ongoing_violations", "needs_attention", "digest",
                     "evaluated_at"])
    unchanged = [pk for pk in ids if pk in existing and pk not in changed]
    if unchanged:
        m.SafeguardEvaluation.objects.filter(case_id__in=unchanged).update(evaluated_at=now)
    stats.evaluations_written += len(create) + len(update)
    return payloads, changed


def _write_alerts(results: Results, now: datetime, stats: Stats) -> None:
    ids = [item.pk for item, _ in results]
    existing = {(a.case_id, a.code, a.subject, a.since): a
                for a in m.SafeguardAlert.objects.filter(case_id__in=ids)}
    seen: set[tuple[int, str, str, datetime]] = set()
    create: list[m.SafeguardAlert] = []
    update: dict[int, m.SafeguardAlert] = {}
    for item, result in results:
        for v in result.evaluation.violations:
            key = (item.pk, v.code, str(v.subject), v.since)
            if key in seen:
                continue
            seen.add(key)
            status = m.AlertStatus.OPEN if v.until is None else m.AlertStatus.RESOLVED
            alert = existing.get(key)
            if alert is None:
                create.append(m.SafeguardAlert(
                    case_id=item.pk, code=v.code, subject=str(v.subject), since=v.since,
                    until=v.until, severity=v.severity.value, detail=v.detail[:2000],
                    status=status, created_at=now,
                    resolved_at=now if status == m.AlertStatus.RESOLVED else None))
                continue
            changed = (alert.until, alert.severity, alert.detail) != (
                v.until, v.severity.value, v.detail[:2000])
            alert.until = v.until
            alert.severity, alert.detail = v.severity.value, v.detail[:2000]
            if alert.status != status:
                changed = True
                if status == m.AlertStatus.OPEN:
                    stats.alerts_reopened += 1
                    alert.resolved_at = None
                    if alert.notified_at is not None:
                        alert.round += 1
                        alert.notified_at = None
                else:
                    stats.alerts_resolved += 1
                    alert.resolved_at = now
                alert.status = status
            if changed:
                update[alert.pk] = alert
    for key, alert in existing.items():
        if key not in seen and alert.status == m.AlertStatus.OPEN:
            # No longer found (the record was corrected): resolved now.
            alert.status, alert.resolved_at = m.AlertStatus.RESOLVED, now
            update[alert.pk] = alert
            stats.alerts_resolved += 1
    if create:
        insert_rows(m.SafeguardAlert, create)
        stats.alerts_created += len(create)
    if update:
        m.SafeguardAlert.objects.bulk_update(
            list(update.values()),
            ["until", "severity", "detail", "status", "resolved_at", "round", "notified_at"])


def _write_tasks(results: Results, payloads: dict[int, dict[str, Any]], now: datetime,
                 stats: Stats) -> None:
    """The same reconciliation as ``cases.tasks.case_derive_tasks``, restricted to this
    app's tasks and done in bulk."""
    ids = [item.pk for item, _ in results]
    existing = {(t.case_id, t.source_key): t for t in
                Task.objects.filter(case_id__in=ids, source_key__startswith=TASK_PREFIX)}
    create: list[Task] = []
    update: list[Task] = []
    close: list[Task] = []
    wanted_keys: set[tuple[int, str]] = set()
    for case, _ in results:
        for w in wanted_tasks(payloads[case.pk]):
            key = (case.pk, w.source_key)
            if key in wanted_keys:
                continue
            wanted_keys.add(key)
            task = existing.get(key)
            if task is None:
                create.append(Task(case_id=case.pk, source_key=w.source_key, title=w.title,
                                   due_at=w.due_at, assigned_to_id=case.assigned_to_id,
                                   created_at=now))
            elif task.status == TaskStatus.OPEN and (task.due_at != w.due_at
                                                     or task.title != w.title):
                task.due_at, task.title = w.due_at, w.title
                update.append(task)
    for key, task in existing.items():
        if key not in wanted_keys and task.status == TaskStatus.OPEN:
            task.status, task.completed_at = TaskStatus.DONE, now
            close.append(task)
    if create:
        insert_rows(Task, create)
    if update:
        Task.objects.bulk_update(update, ["due_at", "title"])
    if close:
        Task.objects.bulk_update(close, ["status", "completed_at"])
    stats.tasks_created += len(create)
    stats.tasks_updated += len(update)
    stats.tasks_closed += len(close)


def _recipients(cases: Sequence[BatchCase]) -> dict[int, set[int]]:
    """User ids to notify per case (see the module docstring)."""
    agency_ids = {c.owning_agency_id for c in cases}
    supervisors: dict[int, set[int]] = defaultdict(set)
    for uid, agency_id in User.objects.filter(agency_id__in=agency_ids, role="supervisor",
                                              is_active=True).values_list("pk", "agency_id"):
        supervisors[agency_id].add(uid)
    involved: dict[int, set[int]] = defaultdict(set)
    for case_id, agency_id in m.JusticeInvolvement.objects.filter(
            case_id__in=[c.pk for c in cases], ended_at__isnull=True,
            agency__sector__in=JUSTICE_SECTORS).values_list("case_id", "agency_id"):
        involved[case_id].add(agency_id)
    justice_users: dict[int, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    all_justice = {a for agencies in involved.values() for a in agencies}
    if all_justice:
        for uid, agency_id, role in User.objects.filter(
                agency_id__in=all_justice, is_active=True,
                role__in=["supervisor", "caseworker"]).values_list("pk", "agency_id", "role"):
            justice_users[agency_id][role].add(uid)
    out: dict[int, set[int]] = {}
    for c in cases:
        who = set(supervisors.get(c.owning_agency_id, ()))
        if c.assigned_to_id and c.assigned_active:
            who.add(c.assigned_to_id)
        for agency_id in involved.get(c.pk, ()):
            staff = justice_users.get(agency_id, {})
            who |= staff.get("supervisor") or staff.get("caseworker") or set()
        out[c.pk] = who
    return out


def _notify(cases: Sequence[BatchCase], now: datetime, stats: Stats) -> None:
    pending = list(m.SafeguardAlert.objects.filter(
        case_id__in=[c.pk for c in cases], status=m.AlertStatus.OPEN, notified_at__isnull=True))
    if not pending:
        return
    by_pk = {c.pk: c for c in cases}
    recipients = _recipients([by_pk[pk] for pk in {a.case_id for a in pending}])
    rows: list[m.Notification] = []
    for alert in pending:
        case = by_pk[alert.case_id]
        rule = RULES.get(alert.code)
        message = f"{case.case_number}: {rule.title if rule else alert.code}. {alert.detail}"
        for uid in sorted(recipients.get(alert.case_id, ())):
            rows.append(m.Notification(recipient_id=uid, case_id=alert.case_id, alert=alert,
                                       round=alert.round, message=message[:500],
                                       created_at=now))
        log.info("safeguard alert %s %s on case %s (%s) notified to %d user(s)", alert.code,
                 alert.subject, case.case_number, alert.severity,
                 len(recipients.get(alert.case_id, ())))
    insert_rows(m.Notification, rows, ignore_conflicts=True)
    m.SafeguardAlert.objects.filter(pk__in=[a.pk for a in pending]).update(notified_at=now)
    stats.notifications += len(rows)


# ------------------------------------------------------------------ entry points


def _evaluate_batch(cases: Iterable[BatchCase], rulebook: RuleBook, now: datetime,
                    stats: Stats) -> list[tuple[BatchCase, CaseSafeguards]]:
    results = []
    for case in cases:
        try:
            rules = rulebook.for_jurisdiction(case.country, case.region)
            results.append((case, evaluate_timeline(case.timeline(), rules, now)))
        except (TimelineError, NoRuleSetInForce) as exc:
            job_log.error("case %s cannot be evaluated: %s", case.pk, exc)
            stats.failed.append(case.pk)
    return results


def reconcile_batch(case_ids: Sequence[int], *, now: datetime, rulebook: RuleBook
                    ) -> tuple[Stats, list[tuple[BatchCase, CaseSafeguards]]]:
    """Evaluate and reconcile these cases. Call inside a transaction: the cases' rows are
    locked here (in id order), so a writer of one of them waits for the batch."""
    stats = Stats()
    locked = list(Case.objects.select_for_update().filter(pk__in=case_ids).order_by("pk")
                  .values_list("pk", flat=True))
    results = _evaluate_batch(load_batch(locked), rulebook, now, stats)
    stats.cases += len(results)
    if not results:
        return stats, results
    payloads, changed = _write_evaluations(results, now, stats)
    moved = [(item, result) for item, result in results if item.pk in changed]
    if moved:
        _write_alerts(moved, now, stats)
        _write_tasks(moved, payloads, now, stats)
        _notify([item for item, _ in moved], now, stats)
    return stats, results


def safeguards_evaluate_case(case: Case, now: datetime | None = None) -> CaseSafeguards:
    """Evaluate one case now, store the evaluation and reconcile its alerts, tasks and
    notifications; returns the evaluation. Services call it inside their transaction."""
    now = now or timezone.now()
    with transaction.atomic():
        _stats, results = reconcile_batch([case.pk], now=now, rulebook=RuleBook.load())
    if not results:
        raise TimelineError(f"case {case.pk} could not be evaluated")
    return results[0][1]


def case_ids_to_reevaluate(*, country: str = "", region: str = "",
                           every_justice_case: bool = False) -> list[int]:
    """Cases the daily job looks at: an open episode, or an evaluation that still needs
    attention (an unmet deadline, an ongoing violation). ``every_justice_case`` adds every
    case with a justice record (after a rule change, past findings may change too).

    The candidate ids are collected one indexed query at a time and united here: a single
    query ORing several ``IN (subquery)`` conditions is planned as a scan with sub-plans
    on PostgreSQL and took minutes on 100,000 cases."""
    sources = [
        m.DetentionEpisode.objects.filter(released_at__isnull=True).values_list("case_id"),
        m.SafeguardEvaluation.objects.filter(needs_attention=True).values_list("case_id"),
    ]
    if every_justice_case:
        sources += [m.SafeguardEvaluation.objects.values_list("case_id"),
                    m.JusticeEvent.objects.values_list("case_id").distinct(),
                    m.DetentionEpisode.objects.values_list("case_id").distinct()]
    candidates: set[int] = set()
    for qs in sources:
        candidates.update(pk for (pk,) in qs.iterator(chunk_size=20_000))
    ordered = sorted(candidates)
    out: list[int] = []
    for chunk in _chunks(ordered, 10_000):
        cases = Case.objects.filter(pk__in=chunk, child__deleted_at__isnull=True)
        if country:
            cases = cases.filter(owning_agency__country=country)
        if region:
            cases = cases.filter(owning_agency__region=region)
        out.extend(cases.order_by("pk").values_list("pk", flat=True))
    return out


def _chunks(ids: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def reevaluate_cases(case_ids: Sequence[int], *, now: datetime,
                     batch_size: int = BATCH_SIZE, workers: int = 1) -> Stats:
    """Batches of ``batch_size`` cases, one transaction each (a failure loses one batch,
    not the run; the next run picks it up again).

    ``workers`` > 1 splits the batches between that many worker processes, each with its
    own database connection (PostgreSQL only: SQLite has a single writer). Batches never
    share a case, and each batch locks its cases, so the split changes no result."""
    ids = list(case_ids)
    workers = max(1, min(workers, len(ids) // max(1, batch_size)))
    if workers > 1 and connection.vendor == "postgresql" and not connection.in_atomic_block:
        return _reevaluate_in_processes(ids, now=now, batch_size=batch_size, workers=workers)
    return _reevaluate_here(ids, now=now, batch_size=batch_size)


def _reevaluate_here(case_ids: Sequence[int], *, now: datetime, batch_size: int) -> Stats:
    rulebook = RuleBook.load()
    total = Stats()
    for chunk in _chunks(list(case_ids), batch_size):
        with transaction.atomic():
            stats, _ = reconcile_batch(chunk, now=now, rulebook=rulebook)
        total.add(stats)
    return total


def _worker(case_ids: list[int], now: datetime, batch_size: int) -> dict[str, Any]:
    # A forked worker must not reuse the parent's socket: drop the inherited connection
    # objects without closing them (closing would end the parent's session) and connect anew.
    from django.db import connections

    for alias in connections:
        connections[alias].connection = None
    try:
        return _reevaluate_here(case_ids, now=now, batch_size=batch_size).as_dict()
    finally:
        connections.close_all()


def _reevaluate_in_processes(ids: list[int], *, now: datetime, batch_size: int,
                             workers: int) -> Stats:
    """Deal whole batches out round-robin (neighbouring ids tend to have similar amounts
    of history, so each worker gets a similar share of the work)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from django.db import connections

    batches = list(_chunks(ids, batch_size))
    shares = [[pk for batch in batches[w::workers] for pk in batch] for w in range(workers)]
    connections.close_all()  # forked children must not share the parent's sockets
    total = Stats()
    with ProcessPoolExecutor(max_workers=workers,
                             mp_context=multiprocessing.get_context("fork")) as pool:
        for result in pool.map(_worker, shares, [now] * workers, [batch_size] * workers):
            total.add(Stats(**result))
    return total
