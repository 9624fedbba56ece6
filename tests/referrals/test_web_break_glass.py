"""The break-glass page (who may, the reason, the time limit shown, expiry), its review
list for auditors and supervisors, and the notifications page."""

from __future__ import annotations

import pytest

from bridgeway.referrals import services as svc
from bridgeway.referrals.models import BreakGlass, Notification
from tests.referrals.conftest import MARK_ASSOC, MARK_FAMILY, MARK_OFFENCE
from tests.referrals.sharing_support import REASON, entries_since, last_seq, text

pytestmark = pytest.mark.django_db
URL = "/sharing/break-glass/"


def test_only_allowed_roles_get_the_page(people, more, web):
    for user in (people.caseworker, people.outsider, people.health_worker,
                 people.police_officer, more.police_supervisor, people.analyst,
                 people.auditor, people.sysadmin):
        assert web(user).get(URL).status_code == 403, user.username
        assert web(user).post(URL, {"case_number": "x", "reason": REASON}).status_code == 403
    page = text(web(people.outsider_supervisor).get(URL))
    assert "for 3 hours" in page and 'id="bg-rules"' in page


def test_bad_input_opens_nothing_and_keeps_what_was_typed(people, web, sensitive_case):
    short = web(people.outsider_supervisor).post(URL, {
        "case_number": sensitive_case.case_number, "reason": "urgent"})
    assert short.status_code == 400
    assert "at least 20 characters" in text(short)
    assert f'value="{sensitive_case.case_number}"' in text(short)
    unknown = web(people.outsider_supervisor).post(URL, {"case_number": "BW-0000-000000",
                                                         "reason": REASON})
    assert unknown.status_code == 400 and "No case with this number." in text(unknown)
    assert REASON in text(unknown)
    own = web(people.supervisor).post(URL, {"case_number": sensitive_case.case_number,
                                            "reason": REASON})
    assert own.status_code == 400 and "already see" in text(own)
    assert not BreakGlass.objects.exists()


def test_break_glass_opens_the_case_for_the_time_limit_only(people, more, web, sensitive_case,
                                                           clock):
    client = web(people.outsider_supervisor)
    seq = last_seq()
    response = client.post(URL, {"case_number": sensitive_case.case_number,
                                 "reason": REASON})
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{sensitive_case.pk}/"
    assert [e.action for e in entries_since(seq)] == ["break_glass"]
    case_page = web(people.outsider_supervisor).get(f"/cases/{sensitive_case.pk}/")
    assert case_page.status_code == 200 and "Emergency access until" in text(case_page)
    use = BreakGlass.objects.get()
    mine = text(web(people.outsider_supervisor).get(URL))
    assert f'action="/sharing/break-glass/{use.pk}/end/"' in mine
    told = {n.recipient for n in Notification.objects.filter(kind="break_glass")}
    assert told == {people.supervisor, people.auditor}
    clock.advance(hours=3, seconds=1)
    expired = web(people.outsider_supervisor).get(f"/cases/{sensitive_case.pk}/")
    assert expired.status_code == 404
    assert not any(m in text(expired) for m in (MARK_FAMILY, MARK_ASSOC, MARK_OFFENCE))
    assert "expired" in text(web(people.outsider_supervisor).get(URL))
    ended = web(people.outsider_supervisor).post(f"/sharing/break-glass/{use.pk}/end/")
    assert ended.status_code == 400 and "already ended" in text(ended)


def test_ending_break_glass_early(people, web, sensitive_case):
    use = svc.break_glass_open(actor=people.outsider_supervisor, case_id=sensitive_case.pk,
                               reason=REASON)
    assert web(people.supervisor).post(f"/sharing/break-glass/{use.pk}/end/"
                                       ).status_code == 404  # not theirs
    assert web(people.outsider_supervisor).post(f"/sharing/break-glass/{use.pk}/end/"
                                                ).status_code == 302
    assert web(people.outsider_supervisor).get(f"/cases/{sensitive_case.pk}/"
                                               ).status_code == 404


def test_review_list_for_auditors_and_the_owning_supervisors(people, more, web,
                                                             sensitive_case):
    use = svc.break_glass_open(actor=people.outsider_supervisor, case_id=sensitive_case.pk,
                               reason=REASON)
    url = "/sharing/break-glass/review/"
    body = text(web(people.auditor).get(url))
    assert f'id="bg-{use.pk}"' in body and REASON in body
    assert f'action="/sharing/break-glass/{use.pk}/review/"' in body
    sup = text(web(people.supervisor).get(url))
    assert f'id="bg-{use.pk}"' in sup  # their agency's case: listed, but not theirs to review
    assert f'action="/sharing/break-glass/{use.pk}/review/"' not in sup
    assert f'id="bg-{use.pk}"' not in text(web(more.health_supervisor).get(url))
    for user in (people.caseworker, people.outsider, people.analyst, people.sysadmin):
        assert web(user).get(url).status_code == 403, user.username
    review = f"/sharing/break-glass/{use.pk}/review/"
    assert web(people.supervisor).post(review, {"note": "fine"}).status_code == 404
    assert web(people.auditor).post(review, {"note": ""}).status_code == 400
    seq = last_seq()
    assert web(people.auditor).post(review, {"note": "Justified: emergency admission."}
                                    ).status_code == 302
    assert entries_since(seq, object_type="break_glass")[0].detail == {"reviewed": True}
    use.refresh_from_db()
    assert use.reviewed_by == people.auditor
    again = web(people.auditor).post(review, {"note": "again"})
    assert again.status_code == 400 and "already reviewed" in text(again)
    assert f'id="bg-{use.pk}"' not in text(web(people.auditor).get(url + "?unreviewed=1"))


def test_notifications_page_and_marking_read(people, more, web, referral):
    url = "/sharing/notifications/"
    body = text(web(more.health_supervisor).get(url))
    note = Notification.objects.get(recipient=more.health_supervisor)
    assert f"New referral #{referral.pk}" in body
    assert f'href="/sharing/referrals/{referral.pk}/"' in body
    assert "Aisyah" not in body and MARK_FAMILY not in body
    assert web(people.caseworker).post(f"{url}{note.pk}/read/").status_code == 404
    assert web(more.health_supervisor).post(f"{url}{note.pk}/read/").status_code == 302
    note.refresh_from_db()
    assert note.read_at is not None
    svc.referral_withdraw(actor=people.caseworker, referral_id=referral.pk, reason="no")
    assert Notification.objects.filter(recipient=more.health_supervisor,
                                       read_at__isnull=True).count() == 1
    assert web(more.health_supervisor).post(url + "read-all/").status_code == 302
    assert not Notification.objects.filter(read_at__isnull=True,
                                           recipient=more.health_supervisor).exists()
    assert "No notifications." in text(web(people.analyst).get(url))
