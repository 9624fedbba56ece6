"""Case timeline parameters without content (``cases.events``).

``CaseEvent.comment`` (encrypted at rest) is added, and the content earlier writers put in
``CaseEvent.params`` (a plain JSON column) leaves it:

* why a case was reopened and the supervisor's comment on a closure request move to
  ``comment`` (the timeline still shows them);
* the care supervisor's approval comment, the reason a justice agency was linked, the
  kind of justice step or detention, the name of a service outside Bridgeway a child
  was referred to and the service type a receiving agency reported (free text) are
  dropped: each stays on its own row (approval, involvement, event, episode, referral,
  service report), and a referral to an agency keeps the agency's code.

Reversible: the reverse puts the comments back into ``params`` and reads the dropped
values again from the rows that keep them.
"""

from typing import Any

from django.db import migrations

import bridgeway.core.crypto

#: kind -> the ``params`` key whose text moves to ``comment``.
MOVED = {"reopened": "reason", "closure_approved": "comment", "closure_returned": "comment"}
#: kind -> the ``params`` key dropped (its value is kept by another row).
DROPPED = {"approval_approved": "comment", "approval_returned": "comment",
           "justice_agency_involved": "reason", "justice_event_recorded": "kind",
           "detention_opened": "kind", "referral_service_reported": "service_type"}
KINDS = [*MOVED, *DROPPED, "referral_made"]


def forward(apps: Any, schema_editor: Any) -> None:
    CaseEvent = apps.get_model("cases", "CaseEvent")
    Referral = apps.get_model("referrals", "Referral")
    for event in CaseEvent.objects.filter(kind__in=KINDS).order_by("pk").iterator(500):
        params = dict(event.params or {})
        comment = event.comment
        if event.kind in MOVED:
            key = MOVED[event.kind]
            if key in params:
                comment = str(params.pop(key) or "")
        elif event.kind in DROPPED:
            params.pop(DROPPED[event.kind], None)
        elif "to" in params:  # referral_made: the agency's code, never a service's name
            referral = (Referral.objects.filter(pk=params.get("referral"))
                        .select_related("receiving_agency").first())
            params["to"] = (referral.receiving_agency.code
                            if referral is not None and referral.receiving_agency_id else None)
        if params != event.params or comment != event.comment:
            event.params, event.comment = params, comment
            event.save(update_fields=["params", "comment"])


def backward(apps: Any, schema_editor: Any) -> None:
    CaseEvent = apps.get_model("cases", "CaseEvent")
    Approval = apps.get_model("care", "Approval")
    Involvement = apps.get_model("justice", "JusticeInvolvement")
    JusticeEvent = apps.get_model("justice", "JusticeEvent")
    Episode = apps.get_model("justice", "DetentionEpisode")
    Referral = apps.get_model("referrals", "Referral")
    Report = apps.get_model("referrals", "ServiceReport")
    for event in CaseEvent.objects.filter(kind__in=KINDS).order_by("pk").iterator(500):
        params = dict(event.params or {})
        if event.kind in MOVED:
            params[MOVED[event.kind]] = event.comment
        elif event.kind in ("approval_approved", "approval_returned"):
            row = Approval.objects.filter(pk=params.get("approval_id")).first()
            params["comment"] = row.comment if row is not None else ""
        elif event.kind == "justice_agency_involved":
            links = list(Involvement.objects.filter(case_id=event.case_id,
                                                    agency__code=params.get("agency")))
            link = min(links, key=lambda r: abs(r.added_at - event.at), default=None)
            params["reason"] = link.reason if link is not None else ""
        elif event.kind == "justice_event_recorded":
            row = JusticeEvent.objects.filter(pk=params.get("event_id")).first()
            params["kind"] = row.kind if row is not None else ""
        elif event.kind == "detention_opened":
            row = Episode.objects.filter(pk=params.get("episode_id")).first()
            params["kind"] = row.kind if row is not None else ""
        elif event.kind == "referral_service_reported":
            report = (Report.objects.filter(referral_id=params.get("referral"),
                                            delivered_on=params.get("delivered_on"))
                      .order_by("pk").first())
            params["service_type"] = report.service_type if report is not None else ""
        else:  # referral_made
            referral = (Referral.objects.filter(pk=params.get("referral"))
                        .select_related("receiving_agency").first())
            if referral is not None:
                params["to"] = (referral.receiving_agency.name if referral.receiving_agency_id
                                else referral.service_name)
        event.params, event.comment = params, ""
        event.save(update_fields=["params", "comment"])


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0003_case_list_status_risk"),
        ("care", "0001_care_workflow"),
        ("justice", "0004_encrypt_detention_reasons"),
        ("referrals", "0002_correction_request"),
    ]

    operations = [
        migrations.AddField(
            model_name="caseevent",
            name="comment",
            field=bridgeway.core.crypto.EncryptedTextField(blank=True),
        ),
        migrations.RunPython(forward, backward, elidable=False),
    ]
