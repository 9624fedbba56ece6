"""The case view and its actions: what it shows, and each action's success and refusal."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from bridgeway.cases.models import Case, CaseNote, Task
from bridgeway.cases.services import case_decide_closure, case_request_closure
from bridgeway.registry.models import Child

pytestmark = pytest.mark.django_db


def url(name, case):
    return reverse(f"web:{name}", args=[case.pk])


def test_case_view_shows_identity_in_every_script_with_latin(people, register, login):
    case = register(names=[{"kind": "given", "value": "محمد"},
                           {"kind": "family", "value": "Haddad"}],
                    aliases=[{"alias_type": "group_name", "value": "Абу", "latin": "Abu"}])
    body = login(people.caseworker).get(url("case_detail", case)).content.decode()
    assert "محمد" in body and "Arabic" in body
    assert case.child.names.get(script="Arab").latin in body
    assert "Абу" in body and "Cyrillic" in body and "(Abu)" in body
    assert "Name used in a group" in body
    assert case.case_number in body


def test_age_for_all_purposes_is_the_lowest_plausible_age(people, register, login):
    today = date.today()
    case = register(date_of_birth=(today - timedelta(days=365 * 16 + 10)).isoformat(),
                    age_assessments=[{"method": "physical", "assessed_min_years": "13",
                                      "assessed_max_years": "17"}])
    response = login(people.caseworker).get(url("case_detail", case))
    assert response.context["detail"].age_now == 13
    body = response.content.decode()
    assert "<strong>13</strong>" in body
    assert "lowest plausible age" in body and "benefit of the doubt" in body
    assert "Turned 18" not in body


def test_a_child_who_turned_18_during_the_case_is_marked(people, register, login):
    case = register(date_of_birth=(date.today() - timedelta(days=365 * 17)).isoformat())
    # Two years pass: the record stays, and the page says the child turned 18 meanwhile.
    born = date.today() - timedelta(days=365 * 19)
    Child.objects.filter(pk=case.child_id).update(date_of_birth=born, youngest_birth_date=born)
    body = login(people.caseworker).get(url("case_detail", case)).content.decode()
    assert "Turned 18 on" in body and "during the case" in body


def test_victim_status_and_alleged_offence_are_shown_side_by_side(people, register, login):
    case = register(case={"victim_status": "recognized", "victim_recognized_by": "Court X",
                          "alleged_offence": "Alleged membership of a proscribed group"})
    body = login(people.caseworker).get(url("case_detail", case)).content.decode()
    pair = body.split('<div class="pair always">', 1)[1].split("</div>", 1)[0]
    assert "Recognized as a victim" in pair and "Court X" in pair
    assert "Alleged membership of a proscribed group" in pair
    assert pair.index("Victim status") < pair.index("Alleged offence")


def test_open_tasks_show_overdue_marks(people, register, login):
    case = register()
    Task.objects.filter(case=case).update(due_at=timezone.now() - timedelta(hours=2))
    body = login(people.caseworker).get(url("case_detail", case)).content.decode()
    tasks = body.split('id="h-tasks"', 1)[1].split("</section>", 1)[0]
    assert "Complete the first assessment" in tasks and "overdue" in tasks


def test_actions_offered_follow_the_permissions(people, register, login):
    case = register()
    caseworker_body = login(people.caseworker).get(url("case_detail", case)).content.decode()
    assert url("case_edit", case) in caseworker_body
    assert url("case_note", case) in caseworker_body
    assert url("case_closure_request", case) in caseworker_body
    assert url("case_assign", case) not in caseworker_body
    supervisor_body = login(people.supervisor).get(url("case_detail", case)).content.decode()
    assert url("case_assign", case) in supervisor_body


def test_words_are_not_stigmatizing(people, register, login):
    body = login(people.caseworker).get(url("case_detail", register())).content.decode()
    lowered = body.lower()
    for word in ("child soldier", "child " + "terrorist", "radicali", "deradicali"):
        assert word not in lowered
    assert "victim" in lowered


def test_add_note_and_it_shows(people, register, login):
    case = register()
    client = login(people.caseworker)
    response = client.post(url("case_note", case), {"body": "Visited the family at home."})
    assert response.status_code == 302 and response["Location"] == url("case_detail", case)
    page = client.get(url("case_detail", case)).content.decode()
    assert "Visited the family at home." in page and "Note added" in page


@pytest.mark.parametrize("body,message", [("", "This field is required."),
                                          ("x" * 10_001, "At most 10000 characters")])
def test_bad_note_is_refused_and_the_text_kept(people, register, login, body, message):
    case = register()
    response = login(people.caseworker).post(url("case_note", case), {"body": body})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert response.context["form_values"]["body"] == body
    assert not CaseNote.objects.exists()


def test_change_step_and_stale_version_is_a_conflict(people, register, login):
    case = register()
    client = login(people.caseworker)
    ok = client.post(url("case_status", case), {"status": "assessment", "version": "1"})
    assert ok.status_code == 302
    assert Case.objects.get(pk=case.pk).status == "assessment"
    stale = client.post(url("case_status", case), {"status": "planning", "version": "1"})
    assert stale.status_code == 409
    assert "changed by someone else" in stale.content.decode()
    assert Case.objects.get(pk=case.pk).status == "assessment"


@pytest.mark.parametrize("data,message", [
    ({"status": "closed", "version": "1"}, "closure goes through a closure request"),
    ({"status": "assessment", "version": "x"}, "reload the page"),
])
def test_bad_step_change_is_refused(people, register, login, data, message):
    case = register()
    response = login(people.caseworker).post(url("case_status", case), data)
    assert response.status_code == 400 and message in response.content.decode()
    assert Case.objects.get(pk=case.pk).status == "registration"


def test_closure_request_approve_and_reopen(people, register, login):
    case = register()
    worker = login(people.caseworker)
    refused = worker.post(url("case_closure_request", case), {"reason": "other", "note": ""})
    assert refused.status_code == 400 and "Explain the reason" in refused.content.decode()
    assert worker.post(url("case_closure_request", case),
                       {"reason": "goals_met", "note": "Back at school"}).status_code == 302
    assert Case.objects.get(pk=case.pk).status == "closure_requested"
    # A caseworker cannot approve: the case is visible, the action is not theirs.
    assert worker.post(url("case_closure_decide", case),
                       {"decision": "approve"}).status_code == 403
    supervisor = login(people.supervisor)
    page = supervisor.get(url("case_detail", case)).content.decode()
    assert "Approve closure" in page and "Back at school" in page
    assert supervisor.post(url("case_closure_decide", case),
                           {"decision": "approve"}).status_code == 302
    assert Case.objects.get(pk=case.pk).status == "closed"
    missing = supervisor.post(url("case_reopen", case), {"reason": ""})
    assert missing.status_code == 400
    assert supervisor.post(url("case_reopen", case),
                           {"reason": "New protection concern", "status": "assessment"}
                           ).status_code == 302
    assert Case.objects.get(pk=case.pk).status == "assessment"


def test_return_closure_needs_a_comment(people, register, login):
    case = register()
    case_request_closure(actor=people.caseworker, case_id=case.pk, reason="moved")
    client = login(people.supervisor)
    refused = client.post(url("case_closure_decide", case), {"decision": "return"})
    assert refused.status_code == 400 and "Say why" in refused.content.decode()
    assert client.post(url("case_closure_decide", case),
                       {"decision": "return", "comment": "Check the new address"}
                       ).status_code == 302
    assert Case.objects.get(pk=case.pk).status == "follow_up"


def test_assign_by_supervisor(people, register, login):
    case = register()
    client = login(people.supervisor)
    response = client.post(url("case_assign", case), {"user_id": people.other_caseworker.pk})
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).assigned_to == people.other_caseworker
    bad = client.post(url("case_assign", case), {"user_id": people.outsider.pk})
    assert bad.status_code == 400
    assert "Not an active caseworker of this agency" in bad.content.decode()


def test_closed_case_cannot_be_reopened_twice_or_closed_again(people, register, login):
    case = register()
    case_request_closure(actor=people.caseworker, case_id=case.pk, reason="moved")
    case_decide_closure(actor=people.supervisor, case_id=case.pk, approve=True)
    response = login(people.supervisor).post(url("case_closure_request", case),
                                             {"reason": "moved"})
    assert response.status_code == 400
    assert "already closed" in response.content.decode()
