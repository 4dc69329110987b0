"""Logging in with an LDAP / Active Directory account, against a real slapd (tests/slapd.py).

The person is made by the people services (journaled) in MAMORI_ORGANIZATION at the first login and
brought up to date at later ones; the directory never makes administrators, and refusals say why
in the log only.
"""

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings
from django.urls import reverse

from config.directory import LDAP_BACKEND, directory_settings
from mamori.conftest import PASSWORD
from mamori.journal.models import JournalEntry
from mamori.people.directory import LDAP_SOURCE
from mamori.people.models import User
from mamori.people.services import create_person, deactivate_person, update_person
from mamori.people.tests.slapd import (
    PEOPLE_BASE,
    SATO,
    SUZUKI,
    YAMADA,
    Slapd,
    slapd_server,  # noqa: F401 -- the fixture "slapd"
)

pytestmark = pytest.mark.django_db

AXES = "axes.backends.AxesStandaloneBackend"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
WITHOUT_DIRECTORY = [AXES, MODEL_BACKEND]


@contextmanager
def directory_login(slapd: Slapd, organization: str = "komae", **values: str) -> Iterator[None]:
    """Settings as config/directory.py makes them from an office's MAMORI_LDAP_* values."""
    found = directory_settings(slapd.mamori_values(**values).get, WITHOUT_DIRECTORY)
    with override_settings(MAMORI_ORGANIZATION=organization, **found):
        yield


@pytest.fixture
def ldap_login(slapd: Slapd, komae) -> Iterator[None]:
    with directory_login(slapd):
        yield


def log_in(username: str, password: str) -> User | None:
    """Log in through the login page, as a browser would; the person the session now holds."""
    client = Client(REMOTE_ADDR="192.0.2.20")
    client.post(reverse("login"), {"username": username, "password": password})
    if "_auth_user_id" not in client.session:
        return None
    return User.objects.get(pk=client.session["_auth_user_id"])


def test_the_first_login_creates_the_person_through_the_service(ldap_login, komae):
    client = Client(REMOTE_ADDR="192.0.2.20")
    client.post(reverse("login"), {"username": "yamada", "password": YAMADA.password})

    assert client.session["_auth_user_backend"] == LDAP_BACKEND
    person = User.objects.get(pk=client.session["_auth_user_id"])
    assert person.organization == komae.organization
    assert person.username == "yamada"
    assert person.display_name == "山田 花子"
    assert person.email == "yamada@city.komae.example"
    assert person.employee_number == "001234"
    # The directory checks the password; Mamori keeps none, and makes no administrator.
    assert not person.has_usable_password()
    assert not person.is_staff and not person.is_superuser
    assert not person.assignment_set.exists()  # roles are given in Mamori
    created = JournalEntry.objects.get(action="person.created", object_id=str(person.pk))
    assert created.actor is None and created.actor_label == LDAP_SOURCE
    assert created.organization == komae.organization
    assert created.data["employee_number"] == "001234"
    assert created.data["password_usable"] is False
    assert JournalEntry.objects.filter(action="access.login", actor=person).count() == 1


def test_upper_case_login_name_is_the_same_person(ldap_login):
    first = log_in("yamada", YAMADA.password)
    again = log_in("YAMADA", YAMADA.password)

    assert first is not None and again == first
    assert User.objects.filter(username__iexact="yamada").count() == 1


def test_later_logins_update_what_the_directory_changed_and_make_no_duplicate(ldap_login, slapd):
    slapd.replace(SUZUKI, displayName="鈴木 一郎", mail="suzuki@city.komae.example", employeeNumber=None)
    person = log_in("suzuki", SUZUKI.password)
    assert person is not None
    journal_length = JournalEntry.objects.filter(
        object_id=str(person.pk), action__startswith="person."
    ).count()

    # Nothing changed: nothing to journal.
    assert log_in("suzuki", SUZUKI.password) == person
    assert (
        JournalEntry.objects.filter(object_id=str(person.pk), action__startswith="person.").count()
        == journal_length
    )

    slapd.replace(
        SUZUKI, displayName="鈴木 一朗", mail="ichiro.suzuki@city.komae.example", employeeNumber="004321"
    )
    assert log_in("suzuki", SUZUKI.password) == person

    person.refresh_from_db()
    assert User.objects.filter(username="suzuki").count() == 1
    assert (person.display_name, person.email, person.employee_number) == (
        "鈴木 一朗",
        "ichiro.suzuki@city.komae.example",
        "004321",
    )
    updated = JournalEntry.objects.get(action="person.updated", object_id=str(person.pk))
    assert updated.actor_label == LDAP_SOURCE
    assert updated.data == {
        "display_name": ["鈴木 一郎", "鈴木 一朗"],
        "email": ["suzuki@city.komae.example", "ichiro.suzuki@city.komae.example"],
        "employee_number": ["", "004321"],
    }


def test_what_the_directory_does_not_say_is_kept(ldap_login, slapd):
    slapd.replace(SUZUKI, displayName="鈴木 一郎", mail="suzuki@city.komae.example", employeeNumber=None)
    person = log_in("suzuki", SUZUKI.password)
    assert person is not None
    update_person(person, actor="test", phone="内線2345")

    slapd.replace(SUZUKI, mail=None)
    assert log_in("suzuki", SUZUKI.password) == person

    person.refresh_from_db()
    assert (person.email, person.phone) == ("suzuki@city.komae.example", "内線2345")


def test_a_wrong_password_is_refused(ldap_login):
    assert log_in("yamada", "not-the-directory-password") is None
    assert not User.objects.filter(username="yamada").exists()
    failed = JournalEntry.objects.get(action="access.login_failed")
    assert failed.data["username"] == "yamada"


def test_an_unknown_name_is_refused(ldap_login):
    assert log_in("tanaka", "any-password-at-all") is None
    assert not User.objects.filter(username="tanaka").exists()


def test_a_person_outside_the_search_base_is_refused(ldap_login):
    # sato's entry and password are real, but under ou=contractors, not ou=people.
    assert log_in("sato", SATO.password) is None
    assert not User.objects.filter(username="sato").exists()


def test_local_accounts_still_log_in_after_the_directory(ldap_login, komae):
    assert settings.AUTHENTICATION_BACKENDS == [AXES, LDAP_BACKEND, MODEL_BACKEND]
    assert log_in(komae.handler.username, PASSWORD) == komae.handler


@pytest.mark.parametrize("who", ["of another organisation", "deactivated", "an administrator"])
def test_the_directory_cannot_take_over_these_people(slapd, komae, outsider, caplog, who):
    organization = outsider.organization if who == "of another organisation" else komae.organization
    existing = create_person(
        organization,
        actor="test",
        username="yamada",
        display_name="Mamori の山田",
        password=PASSWORD,
        is_staff=who == "an administrator",
    )
    if who == "deactivated":
        deactivate_person(existing, actor="test")

    with directory_login(slapd), caplog.at_level("WARNING", logger="mamori.people.directory"):
        assert log_in("yamada", YAMADA.password) is None

    existing.refresh_from_db()
    assert existing.display_name == "Mamori の山田"
    assert "refused" in caplog.text


def test_no_organisation_configured_refuses_and_says_why(slapd, komae, caplog):
    with directory_login(slapd, organization=""), caplog.at_level("ERROR", logger="mamori.people.directory"):
        assert log_in("yamada", YAMADA.password) is None
    with directory_login(slapd, organization="nowhere"), caplog.at_level("ERROR"):
        assert log_in("yamada", YAMADA.password) is None

    assert not User.objects.filter(username="yamada").exists()
    assert "MAMORI_ORGANIZATION is not set" in caplog.text
    assert "no organisation with the key 'nowhere'" in caplog.text


def test_a_staff_number_held_by_someone_else_is_not_taken_over(ldap_login, komae, caplog):
    update_person(komae.staff, actor="test", employee_number="001234")

    with caplog.at_level("WARNING", logger="mamori.people.directory"):
        person = log_in("yamada", YAMADA.password)

    assert person is not None and person.employee_number == ""
    assert "held by another person" in caplog.text


def test_starttls_with_the_office_ca(slapd, komae):
    with directory_login(slapd, MAMORI_LDAP_STARTTLS="true", MAMORI_LDAP_CA_FILE=str(slapd.ca_file)):
        assert log_in("yamada", YAMADA.password) is not None


def test_starttls_refuses_a_certificate_nobody_vouches_for(slapd, komae):
    with directory_login(slapd, MAMORI_LDAP_STARTTLS="true"):
        assert log_in("yamada", YAMADA.password) is None


def test_dn_template_without_a_service_account(slapd, komae):
    values = {
        "MAMORI_LDAP_USER_SEARCH_BASE": "",
        "MAMORI_LDAP_BIND_DN": "",
        "MAMORI_LDAP_BIND_PASSWORD": "",
        "MAMORI_LDAP_USER_DN_TEMPLATE": f"uid=%(user)s,{PEOPLE_BASE}",
    }
    with directory_login(slapd, **values):
        person = log_in("yamada", YAMADA.password)
        assert log_in("sato", SATO.password) is None

    # The person's own bind reads their entry.
    assert person is not None and person.display_name == "山田 花子"


# Settings: what an office writes, and what it is told when it writes it wrong.

SEARCH = {
    "MAMORI_LDAP_SERVER_URI": "ldap://dc1.city.komae.example",
    "MAMORI_LDAP_USER_SEARCH_BASE": "dc=city,dc=komae,dc=example",
}


def test_nothing_set_changes_nothing():
    assert directory_settings({}.get, WITHOUT_DIRECTORY) == {}


def test_active_directory_example():
    values = {
        **SEARCH,
        "MAMORI_LDAP_USER_FILTER": "(sAMAccountName=%(user)s)",
        "MAMORI_LDAP_BIND_DN": "CN=mamori,OU=Service Accounts,DC=city,DC=komae,DC=example",
        "MAMORI_LDAP_BIND_PASSWORD": "secret",
        "MAMORI_LDAP_STARTTLS": "yes",
        "MAMORI_LDAP_EMPLOYEE_NUMBER_ATTR": "employeeID",
    }
    found = directory_settings(values.get, WITHOUT_DIRECTORY)

    assert found["AUTHENTICATION_BACKENDS"] == [AXES, LDAP_BACKEND, MODEL_BACKEND]
    assert found["AUTH_LDAP_USER_SEARCH"].filterstr == "(sAMAccountName=%(user)s)"
    assert found["AUTH_LDAP_START_TLS"] is True
    assert found["MAMORI_LDAP_ATTRIBUTES"] == {
        "display_name": "displayName",
        "email": "mail",
        "employee_number": "employeeID",
    }
    # Mamori saves people itself, through its services.
    assert found["AUTH_LDAP_USER_ATTR_MAP"] == {}
    assert found["AUTH_LDAP_ALWAYS_UPDATE_USER"] is False


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"MAMORI_LDAP_SERVER_URI": "dc1.city.komae.example"}, "ldap:// or ldaps://"),
        ({"MAMORI_LDAP_USER_SEARCH_BASE": ""}, "Set one of"),
        ({"MAMORI_LDAP_USER_DN_TEMPLATE": "uid=%(user)s,dc=example"}, "Set one of"),
        ({"MAMORI_LDAP_USER_FILTER": "(uid=yamada)"}, "must contain %(user)s"),
        ({"MAMORI_LDAP_USER_FILTER": "uid=%(user)s"}, "in parentheses"),
        ({"MAMORI_LDAP_USER_FILTER": "(cn=100%%(user)s%)"}, "no % other than"),
        ({"MAMORI_LDAP_BIND_DN": "cn=mamori,dc=example"}, "must be set together"),
        ({"MAMORI_LDAP_STARTTLS": "maybe"}, "true or false"),
        (
            {"MAMORI_LDAP_SERVER_URI": "ldaps://dc1.example", "MAMORI_LDAP_STARTTLS": "true"},
            "encrypted already",
        ),
        ({"MAMORI_LDAP_CA_FILE": "/nonexistent/ca.pem"}, "names no readable file"),
        ({"MAMORI_LDAP_EMAIL_ATTR": "mail;lang-ja"}, "an LDAP attribute name"),
        ({"MAMORI_DIRECTORY_TIMEOUT": "0"}, "whole number of seconds"),
    ],
)
def test_malformed_values_are_refused_with_a_clear_message(values, message):
    with pytest.raises(ImproperlyConfigured, match=re.escape(message)):
        directory_settings({**SEARCH, **values}.get, WITHOUT_DIRECTORY)


def test_missing_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "django_auth_ldap.config", None)  # as if not installed
    with pytest.raises(ImproperlyConfigured, match=r"pip install -e '\.\[directory\]'"):
        directory_settings(SEARCH.get, WITHOUT_DIRECTORY)
