"""No lost update: optimistic concurrency through the API.

Two clients read the same version; the first save wins, the second gets 409 with the
current version and changes nothing. On PostgreSQL the race is also run for real, with two
threads saving the same version at the same moment.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from bridgeway.cases.models import Case
from tests.api.conftest import client_with_token
from tests.conftest import child_payload

CASES = "/api/v1/cases/"


@pytest.mark.django_db
def test_second_save_of_the_same_version_gets_409_and_the_first_change_stays(people,
                                                                             register):
    case = register()
    first, second = client_with_token(people.caseworker), client_with_token(people.supervisor)
    url = f"{CASES}{case.pk}/"
    version_first = first.get(url).json()["case"]["version"]
    version_second = second.get(url).json()["case"]["version"]
    assert version_first == version_second == 1

    saved = first.patch(url, {"version": version_first, "risk_level": "low"}, format="json")
    assert saved.status_code == 200 and saved.json()["version"] == 2

    lost = second.patch(url, {"version": version_second, "risk_level": "none",
                              "alleged_offence": "Overwrite attempt"}, format="json")
    assert lost.status_code == 409
    assert lost.json()["current_version"] == 2
    assert "changed by someone else" in lost.json()["detail"]

    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.version, fresh.risk_level, fresh.alleged_offence) == (2, "low", "")

    retried = second.patch(url, {"version": 2, "risk_level": "none"}, format="json")
    assert retried.status_code == 200


@pytest.mark.django_db
def test_status_change_over_a_newer_version_gets_409(people, register):
    case = register()
    client = client_with_token(people.caseworker)
    url = f"{CASES}{case.pk}/"
    client.patch(url, {"version": 1, "risk_level": "low"}, format="json")
    response = client.post(url + "status/", {"status": "assessment", "version": 1},
                           format="json")
    assert response.status_code == 409 and response.json()["current_version"] == 2
    assert Case.objects.get(pk=case.pk).status == "registration"


@pytest.mark.django_db
def test_child_edit_over_a_newer_version_gets_409(people, register):
    case = register()
    first, second = client_with_token(people.caseworker), client_with_token(people.supervisor)
    url = f"{CASES}{case.pk}/child/"
    renamed = child_payload(names=[{"kind": "given", "value": "Nur"}])
    assert first.put(url, {**renamed, "version": 1}, format="json").status_code == 200
    lost = second.put(url, {**child_payload(), "version": 1}, format="json")
    assert lost.status_code == 409 and lost.json()["current_version"] == 2
    case.child.refresh_from_db()
    assert case.child.display_name == "Nur"


def _race(requests: list, timeout: float = 30) -> list[int]:
    """Run each request in its own thread, released together; return the status codes."""
    barrier = threading.Barrier(len(requests))
    results: list[int | str | None] = [None] * len(requests)

    def run(i: int) -> None:
        try:
            barrier.wait(timeout)
            results[i] = requests[i]().status_code
        except Exception as exc:  # reported in the assertion below
            results[i] = f"{type(exc).__name__}: {exc}"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert all(isinstance(r, int) for r in results), results
    return results  # type: ignore[return-value]


RACES = 5  # a lost update or a deadlock shows up in some interleavings, not all


@pytest.mark.postgres
def test_simultaneous_saves_of_one_version_exactly_one_wins_on_postgresql(
        flushable_audit_on_postgresql, transactional_db, people, register):
    clients = [client_with_token(people.caseworker), client_with_token(people.supervisor)]
    levels = ["low", "none"]
    for _ in range(RACES):
        case = register()
        url = f"{CASES}{case.pk}/"
        codes = _race([lambda c=c, level=level, url=url: c.patch(
            url, {"version": 1, "risk_level": level}, format="json")
            for c, level in zip(clients, levels, strict=True)])
        assert sorted(codes) == [200, 409]
        fresh = Case.objects.get(pk=case.pk)
        assert fresh.version == 2
        assert fresh.risk_level == levels[codes.index(200)]


@pytest.mark.postgres
def test_simultaneous_child_edits_exactly_one_wins_on_postgresql(
        flushable_audit_on_postgresql, transactional_db, people, register):
    clients = [client_with_token(people.caseworker), client_with_token(people.supervisor)]
    names = ["Nur", "Siti"]
    for _ in range(RACES):
        case = register()
        url = f"{CASES}{case.pk}/child/"
        codes = _race([lambda c=c, n=n, url=url: c.put(
            url, {**child_payload(names=[{"kind": "given", "value": n}]), "version": 1},
            format="json") for c, n in zip(clients, names, strict=True)])
        assert sorted(codes) == [200, 409]
        case.child.refresh_from_db()
        assert case.child.version == 2
        assert case.child.display_name == names[codes.index(200)]
