"""The register of information systems on the tatebayashi preset: who keeps it, who sees it, the
policy's classification with its handling rules, and the history of every change (2(1), 2(2)①(イ), 3)."""

import pytest
from django.test import Client
from django.utils import translation

from mamori.conftest import sign_in
from mamori.incidents.errors import Conflict, Invalid
from mamori.journal.models import JournalEntry
from mamori.journal.verify import verify_chain

from .. import access
from ..models import InformationSystem
from ..services import SoftwareInput, set_software, update_system
from .conftest import dispatch_input

pytestmark = pytest.mark.django_db


def client_of(person) -> Client:
    client = Client()
    sign_in(client, person)
    return client


def test_the_chief_sees_every_system_an_administrator_only_their_own(register):
    org = register.org
    everyone = {s.code for s in access.systems_for(org.chief_security_officer)}
    assert everyone == {"S-001", "S-002"}
    assert {s.code for s in access.systems_for(org.system_admin)} == {"S-001"}
    assert {s.code for s in access.systems_for(org.csirt_manager)} == {"S-001", "S-002"}  # view_systems
    assert not access.systems_for(org.staff).exists()

    page = client_of(org.system_admin).get("/systems/")
    assert page.status_code == 200
    assert "消防指令システム" in page.content.decode() and "公式ホームページ" not in page.content.decode()
    assert client_of(org.system_admin).get(f"/systems/{register.website.pk}/").status_code == 404
    assert client_of(org.staff).get(f"/systems/{register.dispatch.pk}/").status_code == 404
    # The CSIRT reads the register (5.3(3)③) but only the chief and the system's keepers change it.
    assert client_of(org.csirt_manager).get(f"/systems/{register.dispatch.pk}/edit/").status_code == 403
    assert client_of(org.system_admin).get(f"/systems/{register.dispatch.pk}/edit/").status_code == 200
    assert client_of(org.system_admin).get("/systems/new/").status_code == 403


def test_the_detail_shows_the_handling_rules_of_the_class(register):
    page = client_of(register.org.system_admin).get(f"/systems/{register.dispatch.pk}/")
    text = page.content.decode()
    assert page.status_code == 200
    # 別表: 機密性3B's handling restrictions and 可用性2's, from the policy file.
    assert "機密性3B" in text and "支給された端末以外での作業の原則禁止" in text
    assert "指定する時間以内の復旧" in text
    assert "LGWAN接続系" in text and "12000" in text
    assert "Windows Server" in text and "PostgreSQL" in text


def test_a_change_through_the_form_is_journaled_with_what_it_was(register):
    org, dispatch = register.org, register.dispatch
    client = client_of(org.system_admin)
    form = client.get(f"/systems/{dispatch.pk}/edit/").context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        administrator=org.system_admin.username,
        owner_department=register.department.pk,
        personal_data="on",
        in_use="on",
        location="消防本部 3階 サーバ室",
    )
    response = client.post(f"/systems/{dispatch.pk}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    dispatch.refresh_from_db()
    assert dispatch.location == "消防本部 3階 サーバ室" and dispatch.version == 3
    entry = JournalEntry.objects.filter(action="system.changed", object_id=str(dispatch.pk)).get()
    assert entry.data["changes"] == {
        "location": {"from": "消防本部 指令センター", "to": "消防本部 3階 サーバ室"}
    }
    assert entry.actor == org.system_admin
    history = client.get(f"/systems/{dispatch.pk}/").content.decode()
    assert "消防本部 指令センター" in history and "消防本部 3階 サーバ室" in history
    assert verify_chain()[1] is None


def test_the_classes_the_policy_requires_are_required(register):
    """tatebayashi 2(1): every asset is classified on 機密性・完全性・可用性 (asset_register.required_axes)."""
    org = register.org
    data = dispatch_input(
        register.department, org.system_admin, code="S-003", classification={"confidentiality": "3Z"}
    )
    with pytest.raises(Invalid) as caught, translation.override("ja"):
        update_system(register.dispatch, actor=org.system_admin, data=data)
    assert set(caught.value.fields) == {"class_confidentiality", "class_integrity", "class_availability"}
    with translation.override("ja"):
        response = client_of(org.chief_security_officer).post(
            "/systems/new/", {"code": "S-001", "name": "重複", "class_confidentiality": "3A"}
        )
    assert response.status_code == 400
    assert "完全性" in str(response.context["form"].errors["class_integrity"])
    with translation.override("ja"):
        response = client_of(org.chief_security_officer).post(
            "/systems/new/",
            {
                "code": "S-001",
                "name": "重複",
                "class_confidentiality": "3A",
                "class_integrity": "2",
                "class_availability": "2",
            },
        )
    assert response.status_code == 400
    text = response.content.decode()
    assert "管理番号「S-001」は他のシステムで使われています" in text
    assert InformationSystem.objects.count() == 2


def test_someone_elses_change_in_between_is_refused(register):
    org, dispatch = register.org, register.dispatch
    stale = dispatch.version
    set_software(
        dispatch, actor=org.system_admin, items=[SoftwareInput("Windows Server", "2022", "Microsoft")]
    )
    with pytest.raises(Conflict):
        update_system(
            dispatch,
            actor=org.system_admin,
            data=dispatch_input(register.department, org.system_admin, name="x"),
            expected_version=stale,
        )
    software = JournalEntry.objects.filter(action="system.software_set", object_id=str(dispatch.pk)).last()
    assert software.data["added"] == [
        {"product": "Windows Server", "publisher": "Microsoft", "version": "2022"}
    ]
    assert {r["product"] for r in software.data["removed"]} == {"Windows Server", "PostgreSQL"}


def test_the_software_form_takes_pasted_lines(register):
    client = client_of(register.org.system_admin)
    dispatch = register.dispatch
    response = client.post(
        f"/systems/{dispatch.pk}/software/",
        {
            "lines": "Windows Server | 2019 | Microsoft\nＰｏｓｔｇｒｅＳＱＬ\t15.2\n\n",
            "version": dispatch.version,
        },
    )
    assert response.status_code == 302
    assert [(s.product, s.version, s.product_key) for s in dispatch.software.all()] == [
        ("Windows Server", "2019", "windowsserver"),
        ("ＰｏｓｔｇｒｅＳＱＬ", "15.2", "postgresql"),
    ]
