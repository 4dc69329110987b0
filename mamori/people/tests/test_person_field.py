"""Choosing a person by typing them (people/fields.py): user ID, 職員番号 or name, with namesakes told
apart, and no list of the whole organisation on the incident page."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from mamori.conftest import sign_in
from mamori.incidents.models import Incident
from mamori.incidents.tests.scenario import report, triage
from mamori.people.fields import PersonField
from mamori.people.models import Department, Role
from mamori.people.services import assign_role, create_person

pytestmark = pytest.mark.django_db


def person(org, username, name, number="", department=None, active=True):
    p = create_person(org.organization, actor="test", username=username, display_name=name, password=None)
    p.employee_number, p.department, p.is_active = number, department, active
    p.save()
    return p


@pytest.fixture
def people(komae):
    tax = Department.objects.create(organization=komae.organization, name="税務課")
    welfare = Department.objects.create(organization=komae.organization, name="福祉課")
    return {
        "taro": person(komae, "yamada.t", "山田 太郎", "01234", tax),
        "taro2": person(komae, "yamada.t2", "山田　太郎", "05678", welfare),
        "hanako": person(komae, "sato.h", "佐藤 花子", "00042", tax),
        "gone": person(komae, "suzuki.i", "鈴木 一郎", "00077", tax, active=False),
    }


def field(org):
    return PersonField(organization_id=org.organization.pk)


def test_a_person_is_found_by_user_id_staff_number_or_unique_name(komae, people):
    f = field(komae)
    assert f.clean("sato.h") == people["hanako"]
    assert f.clean("00042") == people["hanako"]
    assert f.clean("佐藤花子") == people["hanako"]  # spaces of any width do not matter
    assert f.clean("佐藤　花子") == people["hanako"]
    assert PersonField(organization_id=komae.organization.pk, required=False).clean("") is None


def test_namesakes_are_answered_with_who_they_are(komae, people):
    with pytest.raises(ValidationError) as caught:
        field(komae).clean("山田太郎")
    message = " ".join(caught.value.messages)
    assert "yamada.t" in message and "yamada.t2" in message
    assert "税務課" in message and "福祉課" in message
    # Either of them by user ID or staff number.
    assert field(komae).clean("05678") == people["taro2"]


def test_part_of_a_name_suggests_and_nobody_is_a_clear_error(komae, people):
    with pytest.raises(ValidationError) as caught:
        field(komae).clean("花子")
    assert "佐藤 花子" in " ".join(caught.value.messages)
    with pytest.raises(ValidationError) as caught:
        field(komae).clean("存在しない人")
    assert "存在しない人" in " ".join(caught.value.messages)


def test_inactive_people_and_other_organisations_are_never_chosen(komae, people, outsider):
    with pytest.raises(ValidationError):
        field(komae).clean("suzuki.i")
    with pytest.raises(ValidationError):
        field(komae).clean(outsider.username)


def test_the_incident_page_offers_role_holders_not_everyone(komae, people):
    for n in range(300):
        person(komae, f"clerk{n:03d}", f"職員 {n:03d}")
    incident = triage(komae, report(komae))
    client = Client()
    sign_in(client, komae.csirt_manager)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "<datalist" in page and komae.handler.username in page
    assert "clerk123" not in page  # 300 staff members are typed, not listed
    assert len(page) < 200_000


def test_a_handler_is_assigned_by_typing_their_name(komae, people):
    incident = triage(komae, report(komae))
    client = Client()
    sign_in(client, komae.csirt_manager)
    refused = client.post(
        f"/incidents/{incident.pk}/assign/", {"version": incident.version, "handler": "山田太郎"}
    )
    assert refused.status_code == 400 and "yamada.t2" in refused.content.decode()
    assign_role(
        Role.objects.get(organization=komae.organization, key="handler"),
        people["taro"],
        actor="test",
        order=1,
    )
    done = client.post(f"/incidents/{incident.pk}/assign/", {"version": incident.version, "handler": "01234"})
    assert done.status_code == 302
    assert Incident.objects.get(pk=incident.pk).handler == people["taro"]
