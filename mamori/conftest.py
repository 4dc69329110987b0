"""Shared test fixtures: organisations loaded from the presets and the named people who work there.

Readable scenarios beat anonymous factories (STYLE.md): tests speak of ``komae.manager`` and
``komae.staff``, not of user #3.
"""

import importlib
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from mamori.accounts.middleware import REAUTH_KEY
from mamori.accounts.rules import needs_second_factor
from mamori.people.models import Organization, Role
from mamori.people.services import assign_role, create_person
from mamori.policy.loader import preset_path, read_policy_file
from mamori.policy.services import load_policy

append_only_triggers = importlib.import_module("mamori.journal.migrations.0003_append_only_triggers")

PASSWORD = "correct-horse-battery-staple"


@dataclass
class Org:
    """An organisation with its policy and one person per role (attribute = role key)."""

    organization: Organization
    people: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["people"][name]
        except KeyError:
            raise AttributeError(name) from None


def make_org(preset: str) -> Org:
    load_policy(read_policy_file(preset_path(preset)), actor="test", source_name=f"preset:{preset}")
    org = Organization.objects.get(key=preset)
    result = Org(org)
    for role in Role.objects.filter(organization=org):
        person = create_person(
            org,
            actor="test",
            username=f"{preset}-{role.key}",
            display_name=role.title,
            password=PASSWORD,
            temporary_password=False,
            email=f"{role.key}@{preset}.example",
        )
        assign_role(role, person, actor="test")
        result.people[role.key] = person
    result.people["staff"] = create_person(
        org,
        actor="test",
        username=f"{preset}-staff",
        display_name="職員 山本",
        password=PASSWORD,
        temporary_password=False,
        email=f"staff@{preset}.example",
        phone="内線1234",
    )
    return result


def sign_in(client: Any, person: Any) -> None:
    """Log ``person`` in on the test ``client`` as a finished login leaves them: with their second
    factor verified (an app enrolled for them if their role needs one) and the password just entered.

    The login steps themselves are tested through the real forms in mamori/accounts/tests.
    """
    client.force_login(person)
    session = client.session
    if needs_second_factor(person):
        device, _ = TOTPDevice.objects.get_or_create(
            user=person, defaults={"name": "test", "confirmed": True}
        )
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[REAUTH_KEY] = time.time()
    session.save()


@pytest.fixture(autouse=True)
def journal_flushable_on_sqlite(request):
    """Let pytest-django flush the database after a transactional test on SQLite.

    The journal's append-only triggers (journal migration 0003) refuse the flush's DELETE; PostgreSQL
    flushes with TRUNCATE, which row triggers do not see. This runs before the flush (it depends on
    ``transactional_db``, so it is torn down first) and puts the triggers back afterwards.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
    )
    if not transactional:
        yield
        return
    request.getfixturevalue("transactional_db")
    yield
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for sql in append_only_triggers.SQLITE_REVERSE:
            cursor.execute(sql)
        cursor.execute("DELETE FROM journal_journalentry")
        for sql in append_only_triggers.SQLITE:
            cursor.execute(sql)


@pytest.fixture
def komae(db) -> Org:
    return make_org("komae")


@pytest.fixture
def preset_org(db, request) -> Org:
    return make_org(request.param)


@pytest.fixture
def outsider(db) -> Any:
    """A person of another organisation (mutsu), who must see nothing of komae."""
    other = make_org("mutsu")
    return other.csirt_head


@pytest.fixture
def user_model():
    return get_user_model()
