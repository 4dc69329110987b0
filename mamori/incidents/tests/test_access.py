"""Who sees what: the CSIRT sees its organisation's incidents; others only what they handle or hold a
task in; restricted incidents only the CSIRT roles; another organisation nothing."""

import pytest
from django.test import Client

from mamori.conftest import sign_in
from mamori.incidents import access, response, services

from .scenario import report, triage

pytestmark = pytest.mark.django_db


def visible(person) -> set[str]:
    return set(access.incidents_for(person).values_list("reference", flat=True))


def test_the_csirt_sees_everything_of_its_organisation_and_staff_see_nothing(komae, outsider):
    incident = report(komae)
    assert incident.reference in visible(komae.csirt_manager)
    assert visible(komae.staff) == set()
    assert visible(outsider) == set()
    client = Client()
    sign_in(client, komae.staff)
    assert client.get(f"/incidents/{incident.pk}/").status_code == 404
    sign_in(client, outsider)
    assert client.get(f"/incidents/{incident.pk}/").status_code == 404
    assert client.get("/incidents/").content.decode().count(incident.reference) == 0


def test_a_person_given_a_task_sees_that_incident(komae):
    incident = triage(komae, report(komae))
    assert visible(komae.system_admin) == set()
    response.create_task(
        incident,
        actor=komae.handler,
        expected_version=incident.version,
        title="同様の脆弱性の確認",
        assignee=komae.system_admin,
    )
    assert visible(komae.system_admin) == {incident.reference}


@pytest.mark.parametrize("preset_org", ["tatebayashi"], indirect=True)
def test_restricted_incidents_are_for_csirt_roles_only(preset_org):
    """tatebayashi's 統括情報セキュリティ責任者 may see every incident (view_all) but is not a CSIRT role: a
    restricted incident (e.g. residents' personal data) is not visible to them unless the policy has them
    told (level 2 and above) or someone adds them by name (test_need_to_know.py)."""
    org = preset_org
    officer = org.chief_security_officer
    open_one = triage(org, report(org), level=1)
    restricted = triage(org, report(org), level=1, restricted=True, personal_data=True)
    assert access.can(officer, "view_all") and not access.is_csirt(officer)
    assert visible(officer) == {open_one.reference}
    assert visible(org.csirt_manager) == {open_one.reference, restricted.reference}


def test_forms_of_other_roles_are_not_offered(komae):
    incident = report(komae)
    client = Client()
    sign_in(client, komae.handler)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert f"/incidents/{incident.pk}/triage/" not in page  # komae 第10条: the manager triages
    refused = client.post(
        f"/incidents/{incident.pk}/triage/", {"version": incident.version, "is_incident": "no", "reason": "x"}
    )
    assert refused.status_code == 403
    incident.refresh_from_db()
    assert incident.state == "received"


def test_the_handler_named_on_an_incident_sees_it_without_view_all(komae):
    """A handler named on one incident who holds no view_all role still sees that incident."""
    incident = triage(komae, report(komae))
    services.assign_handler(
        incident, actor=komae.csirt_manager, expected_version=incident.version, handler=komae.handler
    )
    assert incident.reference in visible(komae.handler)
