"""The login rules in force for a person, and for the login page before anyone is known.

They come from the ``login`` section of the organisation's policy (tatebayashi 6.2(3)(4), 5.4(2);
edogawa 基準第11条, 第17条). ``FALLBACK`` serves only while no policy is loaded, and for people with no
organisation (a superuser made by ``createsuperuser``): the same values the presets choose.
"""

from typing import Any

from django.conf import settings

from mamori.incidents.access import roles_of
from mamori.people.models import Organization, User
from mamori.policy.schema import LoginSpec, PasswordRules, SecondFactorSpec
from mamori.policy.services import NoActivePolicy, active_policy, policy_of_person

FALLBACK = LoginSpec(
    basis=None,
    note="No policy loaded: the defaults of the presets.",
    banner="このシステムは情報セキュリティインシデント対応のためのものです。権限のない者の利用を禁じます。",
    max_failures=5,
    lockout_minutes=None,
    idle_minutes=30,
    reauth_minutes=15,
    password=PasswordRules(basis=None, note="defaults", min_length=12, character_classes=3),
    second_factor=SecondFactorSpec(basis=None, note="defaults"),
)


def login_rules_for(person: Any) -> LoginSpec:
    policy = policy_of_person(person)
    return policy.login if policy is not None else installation_login_rules()


def installation_login_rules() -> LoginSpec:
    """The rules of the organisation this installation serves (``MAMORI_ORGANIZATION``), or of its only
    organisation; when several share one installation and none is named, the strictest of them."""
    organizations = Organization.objects.all()
    if settings.MAMORI_ORGANIZATION:
        organizations = organizations.filter(key=settings.MAMORI_ORGANIZATION)
    found: list[LoginSpec] = []
    for organization in organizations[:50]:
        try:
            found.append(active_policy(organization).login)
        except NoActivePolicy:
            continue
    if not found:
        return FALLBACK
    if len(found) == 1:
        return found[0]
    return min(found, key=lambda rules: (rules.max_failures, rules.idle_minutes))


def login_rules_for_username(username: str) -> LoginSpec:
    """Rules for a login attempt: the named person's, or the installation's for an unknown name (so
    that trying names reveals nothing)."""
    person = (
        User.objects.select_related("organization").filter(username=username).first() if username else None
    )
    return login_rules_for(person) if person is not None else installation_login_rules()


def needs_second_factor(person: Any) -> bool:
    """Whether this person must add a one-time code to their password.

    Administrators of Mamori itself always do (tatebayashi 6.2(1)③(イ)); others when they hold a role
    that approves or sees restricted incidents (``PolicyDocument.second_factor_roles``).
    """
    if not getattr(person, "is_authenticated", False):
        return False
    if person.is_staff or person.is_superuser:
        return True
    policy = policy_of_person(person)
    if policy is None:
        return False
    return bool(roles_of(person) & policy.second_factor_roles())
