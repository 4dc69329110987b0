"""The tatebayashi fire union (its standard has the register: 2(2)①(イ)) with a department and two
systems: the 消防指令システム its 情報システム管理者 administers, and the Web site someone else does."""

from dataclasses import dataclass
from typing import Any

import pytest

from mamori.conftest import Org, make_org
from mamori.people.services import create_department, create_person, update_person

from ..models import InformationSystem
from ..services import SoftwareInput, SystemInput, create_system, set_software


@dataclass
class Register:
    org: Org
    department: Any
    dispatch: InformationSystem  # administered by org.system_admin
    website: InformationSystem  # administered by another person
    webmaster: Any


def dispatch_input(department: Any, admin: Any, **changes: Any) -> SystemInput:
    data = SystemInput(
        code="S-001",
        name="消防指令システム",
        purpose="119番通報の受付と出動指令",
        owner_department=department,
        administrator=admin,
        vendor="指令システム株式会社",
        vendor_contact="03-0000-0000",
        location="消防本部 指令センター",
        segment="lgwan",
        classification={"confidentiality": "3B", "integrity": "2", "availability": "2"},
        personal_data=True,
        personal_data_count=12000,
    )
    for key, value in changes.items():
        setattr(data, key, value)
    return data


@pytest.fixture
def register(db) -> Register:
    org = make_org("tatebayashi")
    keeper = org.chief_security_officer
    department = create_department(org.organization, actor="test", name="警防課")
    update_person(org.system_admin, actor="test", department=department, phone="内線201")
    webmaster = create_person(
        org.organization,
        actor="test",
        username="tatebayashi-webmaster",
        display_name="総務課 広報担当",
        password=None,
        email="web@tatebayashi.example",
    )
    dispatch = create_system(
        org.organization, actor=keeper, data=dispatch_input(department, org.system_admin)
    )
    set_software(
        dispatch,
        actor=keeper,
        items=[SoftwareInput("Windows Server", "2019", "Microsoft"), SoftwareInput("PostgreSQL", "13.4")],
    )
    website = create_system(
        org.organization,
        actor=keeper,
        data=SystemInput(
            code="S-002",
            name="公式ホームページ",
            administrator=webmaster,
            segment="internet",
            classification={"confidentiality": "1", "integrity": "2", "availability": "1"},
        ),
    )
    set_software(website, actor=keeper, items=[SoftwareInput("WordPress", "6.4.2")])
    return Register(org, department, dispatch, website, webmaster)
