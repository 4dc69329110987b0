"""Katsushika's information-systems division as the ICT-BCP describes it: the 電算機管理者 and 代行者1・2・3,
and three teams (連絡調整・インフラ・業務システム) of three people each — thirteen members in all."""

from typing import Any

import pytest

from mamori.assets.models import InformationSystem
from mamori.conftest import PASSWORD, Org, make_org
from mamori.paging.tests.conftest import smtp_server, webhook_receiver  # noqa: F401 (fixtures)
from mamori.people.models import Role
from mamori.people.services import assign_role, create_person

TEAM_ROLES = ("liaison_team", "infrastructure_team", "business_system_team")


@pytest.fixture
def katsushika(db) -> Org:
    org = make_org("katsushika")
    for role_key in TEAM_ROLES:
        role = Role.objects.get(organization=org.organization, key=role_key)
        for n in (1, 2):
            person = create_person(
                org.organization,
                actor="test",
                username=f"katsushika-{role_key}-{n}",
                display_name=f"{role.title} 職員{n}",
                password=PASSWORD,
                temporary_password=False,
                email=f"{role_key}-{n}@katsushika.example",
            )
            assign_role(role, person, actor="test", order=n)
            org.people[f"{role_key}_{n}"] = person
    return org


def division_members(org: Org) -> list[Any]:
    people = [org.system_admin, org.deputy_1, org.deputy_2, org.deputy_3]
    for role_key in TEAM_ROLES:
        people += [org.people[role_key], org.people[f"{role_key}_1"], org.people[f"{role_key}_2"]]
    return people


def add_system(org: Org, code: str, name: str, availability: str | None, **extra: Any) -> InformationSystem:
    return InformationSystem.objects.create(
        organization=org.organization,
        code=code,
        name=name,
        classification={"availability": availability} if availability else {},
        vendor=extra.pop("vendor", ""),
        vendor_contact=extra.pop("vendor_contact", ""),
        **extra,
    )
