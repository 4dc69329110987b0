"""Directory login: people who log in with their LDAP / Active Directory or OpenID Connect account.

The directory says who someone is; Mamori decides what they may do. A person's first login creates
them in the organisation this installation serves (``MAMORI_ORGANIZATION``) through
``create_person``, so that the journal has it like any other new person; later logins bring their
name, mail address and 職員番号 up to date through ``update_person``. Roles are never read from
directory groups: they are assigned in Mamori, where the assignment is journaled. Nobody becomes
an administrator of Mamori through the directory, and administrators are refused here: their
account must not depend on who runs the directory.

The backends are configured by config/directory.py; docs/directory-login.md is the guide.
"""

import logging
from dataclasses import dataclass, fields
from typing import Any

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import SuspiciousOperation
from django.db import IntegrityError
from django.utils.translation import gettext as _
from django_auth_ldap.backend import LDAPBackend
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView

from .models import Organization, User
from .services import create_person, update_person

log = logging.getLogger("mamori.people.directory")

# The journal's actor for changes the directory brings: nobody in Mamori made them.
LDAP_SOURCE = "directory login (LDAP)"
OIDC_SOURCE = "directory login (OpenID Connect)"
USERNAME_MAX_LENGTH = getattr(User._meta.get_field("username"), "max_length", None) or 150


@dataclass(frozen=True)
class DirectoryEntry:
    """What the directory says about a person, in Mamori's terms. Empty means "not said"."""

    username: str
    display_name: str = ""
    email: str = ""
    employee_number: str = ""

    @classmethod
    def from_values(cls, username: str, values: dict[str, str]) -> "DirectoryEntry":
        """``values`` maps Mamori fields to what the directory gave; each is cut to the field's length."""
        known = {f.name for f in fields(cls)} - {"username"}
        cut = {
            name: value.strip()[: getattr(User._meta.get_field(name), "max_length", None)]
            for name, value in values.items()
            if name in known
        }
        # Directories compare login names without regard to case; Mamori keeps one spelling.
        return cls(username=username.strip().lower(), **cut)


def directory_organization() -> Organization | None:
    """The organisation directory people belong to, or None (the login is refused, and why is logged).

    Unlike the public form, this does not fall back to "the only organisation": creating accounts
    in a guessed organisation is not something to do silently.
    """
    key = settings.MAMORI_ORGANIZATION
    if not key:
        log.error("directory login refused: MAMORI_ORGANIZATION is not set")
        return None
    organization = Organization.objects.filter(key=key).first()
    if organization is None:
        log.error("directory login refused: no organisation with the key %r (MAMORI_ORGANIZATION)", key)
    return organization


def person_for_login(entry: DirectoryEntry, *, source: str) -> User | None:
    """The Mamori person ``entry`` logs in as: found and brought up to date, or created.

    None refuses the login; the reason goes to the log, never to the person trying.
    """
    if not entry.username or len(entry.username) > USERNAME_MAX_LENGTH:
        log.warning("%s refused: login name %r is empty or too long", source, entry.username[:200])
        return None
    organization = directory_organization()
    if organization is None:
        return None
    matches = list(User.objects.filter(username__iexact=entry.username)[:2])
    if len(matches) > 1:
        log.warning("%s of %s refused: several people have this name in another case", source, entry.username)
        return None
    try:
        if not matches:
            return _create(organization, entry, source)
        return _bring_up_to_date(matches[0], organization, entry, source)
    except IntegrityError as exc:
        # Someone took the name or the staff number between the checks and the save.
        log.warning("%s of %s refused: %s", source, entry.username, exc)
        return None


def _create(organization: Organization, entry: DirectoryEntry, source: str) -> User:
    employee_number = _free_employee_number(organization, entry, None, source)
    person = create_person(
        organization,
        actor=source,
        username=entry.username,
        display_name=entry.display_name,
        # Directory people have no Mamori password: the directory checks it, Mamori stores none.
        password=None,
        email=entry.email,
        employee_number=employee_number,
    )
    log.info("%s created %s in %s", source, person.username, organization.key)
    return person


def _bring_up_to_date(
    person: User, organization: Organization, entry: DirectoryEntry, source: str
) -> User | None:
    refusal = _refusal(person, organization)
    if refusal:
        log.warning("%s of %s refused: %s", source, person.username, refusal)
        return None
    said = {
        "display_name": entry.display_name,
        "email": entry.email,
        "employee_number": _free_employee_number(organization, entry, person, source),
    }
    # What the directory does not say is left as Mamori has it (an address typed in by hand stays).
    changes = {name: value for name, value in said.items() if value and getattr(person, name) != value}
    if changes:
        update_person(person, actor=source, **changes)
    return person


def _refusal(person: User, organization: Organization) -> str:
    if person.organization_id != organization.pk:
        return "this name belongs to a person of another organisation, or of none"
    if not person.is_active:
        return "the person is deactivated in Mamori"
    if person.is_staff or person.is_superuser:
        return "administrators of Mamori log in with their Mamori password"
    return ""


def _free_employee_number(
    organization: Organization, entry: DirectoryEntry, person: User | None, source: str
) -> str:
    """The directory's 職員番号, unless another person of the organisation holds it (it is unique)."""
    number = entry.employee_number
    if not number:
        return ""
    holders = User.objects.filter(organization=organization, employee_number=number)
    if person is not None:
        holders = holders.exclude(pk=person.pk)
    if holders.exists():
        log.warning(
            "%s: staff number %s of %s is held by another person; not taken over",
            source,
            number,
            entry.username,
        )
        return ""
    return number


def _first_text(value: Any) -> str:
    """Directories give lists (LDAP) or single values (OIDC claims); Mamori keeps one text."""
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    if isinstance(value, str):
        return value
    # An IdP may send the staff number as a number; booleans are ints too, and mean nothing here.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return ""


class LDAPDirectoryBackend(LDAPBackend):
    """django-auth-ldap checks the password against the directory; Mamori makes the person.

    ``get_or_build_user`` is django-auth-ldap's documented hook for making the user: it returns the
    person already saved (built=False), and with AUTH_LDAP_ALWAYS_UPDATE_USER off and an empty
    AUTH_LDAP_USER_ATTR_MAP the library itself changes and saves nothing.
    """

    def get_or_build_user(self, username: str, ldap_user: Any) -> tuple[User, bool]:
        # Set by config/directory.py whenever this backend is configured.
        attributes: dict[str, str] = getattr(settings, "MAMORI_LDAP_ATTRIBUTES", {})
        found = ldap_user.attrs or {}
        values = {field: _first_text(found.get(attribute)) for field, attribute in attributes.items()}
        person = person_for_login(DirectoryEntry.from_values(username, values), source=LDAP_SOURCE)
        if person is None:
            # The library's way to say no: it logs the reason at debug level and returns None.
            raise ldap_user.AuthenticationFailed("refused by Mamori (see the log of mamori.people.directory)")
        return person, False

    def populate_user(self, username: str) -> Any:
        # The library's bonus API would save the person outside the services. Mamori updates directory
        # people only when they log in, so it answers as the library does for "not populated".
        log.warning("populate_user(%r) refused: directory people are updated when they log in", username)
        return None

    def get_user(self, user_id: Any) -> User | None:
        # A deactivated person's open sessions end at their next request, as with ModelBackend.
        person = super().get_user(user_id)
        return person if person is not None and person.is_active else None


class OIDCDirectoryBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc runs the code flow and checks the id_token; Mamori makes the person."""

    def authenticate(self, request: Any, **credentials: Any) -> User | None:
        # Only the callback view passes a nonce. Without this check a password login to a URL
        # carrying ?code=&state= would make the server call the provider with a stranger's code.
        if "nonce" not in credentials:
            return None
        try:
            return super().authenticate(request, **credentials)
        except (SuspiciousOperation, jwt.PyJWTError, requests.RequestException) as exc:
            # A bad or expired token, or an unreachable provider, is a failed login, journaled like
            # any other, rather than an error page.
            log.warning("%s failed: %s", OIDC_SOURCE, exc)
            return None

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        payload = super().verify_token(token, **kwargs)
        # The library leaves the audience unchecked: a token the provider made for another
        # application must not log anyone in here (OpenID Connect Core 3.1.3.7).
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("id_token is for another client")
        return payload

    def get_userinfo(self, access_token: str, id_token: str, payload: dict[str, Any]) -> dict[str, Any]:
        """The id_token's claims, completed by the userinfo endpoint's.

        Entra ID's userinfo endpoint omits preferred_username, which its id_token carries; userinfo
        from another subject must not be used (OpenID Connect Core 5.3.2).
        """
        userinfo = super().get_userinfo(access_token, id_token, payload)
        if userinfo.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("userinfo is about another subject than the id_token")
        return {**payload, **userinfo}

    def _entry(self, claims: dict[str, Any]) -> DirectoryEntry:
        names: dict[str, str] = getattr(settings, "MAMORI_OIDC_CLAIMS", {})
        values = {field: _first_text(claims.get(claim)) for field, claim in names.items()}
        return DirectoryEntry.from_values(values.pop("username", ""), values)

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return bool(self._entry(claims).username)

    def describe_user_by_claims(self, claims: dict[str, Any]) -> str:
        return f"username {self._entry(claims).username}"

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        organization = directory_organization()
        if organization is None:
            return User.objects.none()
        return User.objects.filter(organization=organization, username__iexact=self._entry(claims).username)

    def create_user(self, claims: dict[str, Any]) -> User | None:
        return person_for_login(self._entry(claims), source=OIDC_SOURCE)

    def update_user(self, user: User, claims: dict[str, Any]) -> User | None:
        return person_for_login(self._entry(claims), source=OIDC_SOURCE)

    def get_user(self, user_id: Any) -> User | None:
        person = super().get_user(user_id)
        return person if person is not None and person.is_active else None


class OIDCCallbackView(OIDCAuthenticationCallbackView):
    """The library's callback, telling the person when the login did not succeed."""

    def login_failure(self) -> Any:
        messages.error(
            self.request,
            _(
                "Logging in with your organisation's account did not succeed. Try again, or ask "
                "the system administrator."
            ),
        )
        return super().login_failure()
