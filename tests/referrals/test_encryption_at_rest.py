"""Field encryption at rest of the sharing records' free text and the detention register's
alternatives considered (issue 5, item 5): written through the services, read back in
plaintext by the application, never plaintext in the database; the data migrations that
encrypt rows stored before are restartable and reversible.

The reasons a user gives for an exceptional act (a best-interests override, a withdrawal,
a decline, a transfer, a break-glass) are also the reason of the audit entry, which stays
readable by design (what an auditor reads): the raw scan allows the marker there and
nowhere else."""

from __future__ import annotations

import importlib
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.apps import apps
from django.db import connection, migrations
from django.utils import timezone

from bridgeway.core import crypto
from bridgeway.justice.models import DetentionEpisode
from bridgeway.justice.services import detention_open
from bridgeway.referrals import services as svc
from bridgeway.referrals import subject_requests as sr
from bridgeway.referrals.models import (
    BreakGlass,
    Consent,
    CorrectionRequest,
    Referral,
    Transfer,
)
from tests.justice.conftest import ago, episode_data, jakarta  # noqa: F401
from tests.raw_db import cells_holding, raw_column
from tests.referrals.conftest import child_consent, make_referral

pytestmark = pytest.mark.django_db

MARK = "QX-SHARING-CANARY-5513"

#: Every column this module covers: model label -> fields.
COVERED = {
    "referrals.Consent": ("caregiver_involvement", "override_reason", "purpose",
                          "withdrawn_reason", "withdrawal_review_note"),
    "referrals.Referral": ("purpose", "decline_reason", "end_note"),
    "referrals.Transfer": ("reason", "decision_note"),
    "referrals.BreakGlass": ("reason", "review_note"),
    "referrals.CorrectionRequest": ("item", "statement", "requested_change",
                                    "decision_reason"),
    "justice.DetentionEpisode": ("alternatives_considered",),
}


def m(name: str) -> str:
    return f"{MARK} {name}"


def _write_everything(people: Any, case: Any, facility: Any) -> dict[str, Any]:
    """A marker in every covered column, through the services."""
    later = (timezone.localdate() + timedelta(days=60)).isoformat()
    # A child's own consent and a referral the health agency declines.
    own = child_consent(people.caseworker, case, people.agency_health, ["identity", "health"],
                        purpose=m("consent purpose"),
                        caregiver_involvement=m("mother present"))
    declined = make_referral(people.caseworker, case, own, ["identity", "health"],
                             purpose=m("referral purpose"))
    svc.referral_decline(actor=people.health_worker, referral_id=declined.pk,
                         reason=m("no paediatrician this month"))
    # A supervisor's best-interests consent and a referral the owner withdraws.
    override = svc.consent_record(actor=people.supervisor, case_id=case.pk,
                                  data=svc.ConsentInput(
                                      given_by="best_interests", categories=["identity"],
                                      purpose=m("override purpose"), valid_until=later,
                                      receiving_agency_id=people.agency_health.pk,
                                      child_views="Asked for help with the pain.",
                                      override_reason=m("guardian unreachable, urgent care")))
    withdrawn = make_referral(people.caseworker, case, override, ["identity"],
                              purpose=m("second purpose"))
    svc.referral_withdraw(actor=people.caseworker, referral_id=withdrawn.pk,
                          reason=m("referred elsewhere instead"))
    svc.consent_withdraw(actor=people.caseworker, consent_id=own.pk,
                         reason=m("the child changed her mind"))
    svc.consent_review_withdrawal(actor=people.supervisor, consent_id=own.pk,
                                  note=m("reviewed with the child"))
    # A transfer proposed and declined.
    moving = child_consent(people.caseworker, case, people.agency_b, None, kind="transfer",
                           purpose=m("transfer purpose"))
    transfer = svc.transfer_propose(actor=people.supervisor, case_id=case.pk,
                                    data=svc.TransferInput(consent_id=moving.pk,
                                                           to_agency_id=people.agency_b.pk,
                                                           reason=m("the family moved")))
    svc.transfer_decline(actor=people.outsider_supervisor, transfer_id=transfer.pk,
                         reason=m("no capacity this quarter"))
    # Break-glass and its review.
    use = svc.break_glass_open(actor=people.outsider_supervisor, case_id=case.pk,
                               reason=m("child brought in unconscious, allergies needed"))
    svc.break_glass_review(actor=people.auditor, break_glass_id=use.pk,
                           note=m("justified emergency"))
    # A correction request, rejected.
    correction = sr.correction_request_record(
        actor=people.caseworker, case_id=case.pk,
        data=sr.CorrectionInput(requested_by="child", category="identity",
                                item=m("date of birth"), statement=m("born in March"),
                                requested_change=m("March, not May")))
    sr.correction_request_decide(actor=people.caseworker, correction_id=correction.pk,
                                 accept=False, reason=m("the certificate says May"))
    # The detention register's alternatives considered.
    episode = detention_open(actor=people.caseworker, case_id=case.pk, data=episode_data(
        facility, ago(hours=5), alternatives_considered=[m("bail"), m("family supervision")]))
    return {"own": own, "override": override, "declined": declined, "withdrawn": withdrawn,
            "transfer": transfer, "use": use, "correction": correction, "episode": episode}


def test_every_covered_column_is_encrypted_and_rotated() -> None:
    contexts = {f.crypto_context for _, fields in crypto.encrypted_models() for f in fields}
    for label, fields in COVERED.items():
        for field in fields:
            assert f"{label}.{field}" in contexts  # so key rotation covers it too


def test_raw_database_holds_no_plaintext_of_sharing_free_text(
        people: Any, sensitive_case: Any, jakarta: Any) -> None:  # noqa: F811
    written = _write_everything(people, sensitive_case, jakarta)
    for label, fields in COVERED.items():
        for field in fields:
            values = raw_column(label, field)
            assert any(values), f"nothing written to {label}.{field}"
            for value in values:
                assert value in ("", None) or crypto.is_token(value), (label, field)
                assert MARK not in (value or ""), (label, field)
    # The whole database: the marker shows only as an audit entry's reason (by design).
    found = cells_holding(MARK)
    assert found  # the scan did look at the audit log
    assert set(found) == {("audit_auditentry", "reason")}, found
    # The application still reads plaintext.
    own = Consent.objects.get(pk=written["own"].pk)
    assert (own.purpose, own.caregiver_involvement, own.withdrawn_reason,
            own.withdrawal_review_note) == (m("consent purpose"), m("mother present"),
                                            m("the child changed her mind"),
                                            m("reviewed with the child"))
    assert Consent.objects.get(pk=written["override"].pk).override_reason == m(
        "guardian unreachable, urgent care")
    declined = Referral.objects.get(pk=written["declined"].pk)
    assert (declined.purpose, declined.decline_reason) == (
        m("referral purpose"), m("no paediatrician this month"))
    assert Referral.objects.get(pk=written["withdrawn"].pk).end_note == m(
        "referred elsewhere instead")
    transfer = Transfer.objects.get(pk=written["transfer"].pk)
    assert (transfer.reason, transfer.decision_note) == (m("the family moved"),
                                                         m("no capacity this quarter"))
    use = BreakGlass.objects.get(pk=written["use"].pk)
    assert (use.reason, use.review_note) == (
        m("child brought in unconscious, allergies needed"), m("justified emergency"))
    correction = CorrectionRequest.objects.get(pk=written["correction"].pk)
    assert (correction.item, correction.statement, correction.requested_change,
            correction.decision_reason) == (m("date of birth"), m("born in March"),
                                            m("March, not May"), m("the certificate says May"))
    episode = DetentionEpisode.objects.get(pk=written["episode"].pk)
    assert episode.alternatives_considered == [m("bail"), m("family supervision")]


def test_alternatives_still_drive_the_last_resort_rule_and_the_pages(
        people: Any, sensitive_case: Any, jakarta: Any) -> None:  # noqa: F811
    """What read the column before still works on the decrypted list: the rules engine
    (blank alternatives are a violation), the fast path's ``values_list`` and the page."""
    from bridgeway.justice.adapters import EPISODE_COLUMNS, episode_from_row
    from bridgeway.justice.models import SafeguardEvaluation

    episode = detention_open(actor=people.caseworker, case_id=sensitive_case.pk,
                             data=episode_data(jakarta, ago(hours=5),
                                               alternatives_considered=["  "]))
    codes = {v["code"] for v in SafeguardEvaluation.objects.get(
        case=sensitive_case).violations}
    assert "no_last_resort_justification" in codes
    row = DetentionEpisode.objects.filter(pk=episode.pk).values_list(*EPISODE_COLUMNS).get()
    assert episode_from_row(row).alternatives_considered == ()  # blanks are dropped
    from bridgeway.justice import services as justice

    justice.detention_correct(actor=people.caseworker, episode_id=episode.pk,
                              expected_version=episode.version,
                              changes={"alternatives_considered": ["kinship care"]},
                              reason="alternatives recorded")
    codes = {v["code"] for v in SafeguardEvaluation.objects.get(
        case=sensitive_case).violations}
    assert "no_last_resort_justification" not in codes
    row = DetentionEpisode.objects.filter(pk=episode.pk).values_list(*EPISODE_COLUMNS).get()
    assert episode_from_row(row).alternatives_considered == ("kinship care",)


def _data_steps() -> list[Any]:
    steps = []
    for module in ("bridgeway.referrals.migrations.0004_encrypt_sharing_free_text",
                   "bridgeway.justice.migrations.0007_encrypt_alternatives_considered"):
        operations = importlib.import_module(module).Migration.operations
        steps += [op for op in operations if isinstance(op, migrations.RunPython)]
    return steps


def test_migrations_encrypt_existing_rows_restartably_and_reverse(
        people: Any, sensitive_case: Any, jakarta: Any) -> None:  # noqa: F811
    written = _write_everything(people, sensitive_case, jakarta)
    rows = {"referrals.Consent": written["own"].pk, "referrals.Referral": written["declined"].pk,
            "referrals.Transfer": written["transfer"].pk, "referrals.BreakGlass": written["use"].pk,
            "referrals.CorrectionRequest": written["correction"].pk,
            "justice.DetentionEpisode": written["episode"].pk}
    old: dict[tuple[str, str], str] = {}
    q = connection.ops.quote_name
    with connection.cursor() as cursor:  # as the previous schema stored them
        for label, fields in COVERED.items():
            model = apps.get_model(label)
            for field in fields:
                value = ('["' + m(f"old {field}") + '"]' if field == "alternatives_considered"
                         else m(f"old {label} {field}"))
                old[(label, field)] = value
                cursor.execute(
                    f"UPDATE {q(model._meta.db_table)} "  # noqa: S608
                    f"SET {q(model._meta.get_field(field).column)} = %s WHERE id = %s",
                    [value, rows[label]])
    steps = _data_steps()
    assert len(steps) == 6
    editor = SimpleNamespace(connection=connection)
    for step in steps:
        step.code(apps, editor)
        step.code(apps, editor)  # a re-run after a failure is harmless
    for (label, field), value in old.items():
        stored = raw_column(label, field)
        assert all(crypto.is_token(v) for v in stored if v), (label, field)
        assert not any(MARK in (v or "") for v in stored), (label, field)
        fresh = apps.get_model(label).objects.get(pk=rows[label])
        expected = [m("old alternatives_considered")] if field == "alternatives_considered" \
            else value
        assert getattr(fresh, field) == expected, (label, field)
    for step in steps:
        step.reverse_code(apps, editor)
    for (label, field), value in old.items():
        assert value in raw_column(label, field), (label, field)


def test_database_lookups_on_the_encrypted_columns_are_refused(people: Any) -> None:
    from django.core.exceptions import FieldError

    for query in (lambda: Referral.objects.filter(purpose="x"),
                  lambda: Transfer.objects.filter(reason__icontains="x"),
                  lambda: DetentionEpisode.objects.filter(alternatives_considered__contains="x")):
        with pytest.raises(FieldError, match="encrypted at rest"):
            list(query())
