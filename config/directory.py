"""Directory login settings (LDAP / Active Directory, OpenID Connect), read from MAMORI_LDAP_* and
MAMORI_OIDC_* environment variables. Each backend is on only when its variables are set.

The settings are built from a reader (``name -> value or None``) rather than from ``os.environ``
itself, so the tests build them from a plain mapping that points at the servers they start.
docs/directory-login.md describes every variable.
"""

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.urls import include, path, reverse_lazy

Read = Callable[[str], str | None]

LDAP_BACKEND = "mamori.people.directory.LDAPDirectoryBackend"
OIDC_BACKEND = "mamori.people.directory.OIDCDirectoryBackend"
INSTALL_HINT = "install the directory extra: pip install -e '.[directory]'"

# Mamori field -> (variable naming the directory's attribute or claim, default). An empty value
# turns one mapping off; the username is never off.
LDAP_ATTRIBUTES = {
    "display_name": ("MAMORI_LDAP_DISPLAY_NAME_ATTR", "displayName"),
    "email": ("MAMORI_LDAP_EMAIL_ATTR", "mail"),
    "employee_number": ("MAMORI_LDAP_EMPLOYEE_NUMBER_ATTR", "employeeNumber"),
}
OIDC_CLAIMS = {
    "username": ("MAMORI_OIDC_USERNAME_CLAIM", "preferred_username"),
    "display_name": ("MAMORI_OIDC_DISPLAY_NAME_CLAIM", "name"),
    "email": ("MAMORI_OIDC_EMAIL_CLAIM", "email"),
    "employee_number": ("MAMORI_OIDC_EMPLOYEE_NUMBER_CLAIM", ""),
}
OIDC_ENDPOINTS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "MAMORI_OIDC_AUTHORIZATION_ENDPOINT",
    "OIDC_OP_TOKEN_ENDPOINT": "MAMORI_OIDC_TOKEN_ENDPOINT",
    "OIDC_OP_USER_ENDPOINT": "MAMORI_OIDC_USERINFO_ENDPOINT",
    "OIDC_OP_JWKS_ENDPOINT": "MAMORI_OIDC_JWKS_ENDPOINT",
}
# Keys published on the provider's JWKS endpoint; a shared-secret algorithm (HS256) would let anyone
# holding the client secret mint tokens, so it is not offered.
OIDC_SIGN_ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512")
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
ATTRIBUTE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]*$")
CLAIM_NAME = re.compile(r"^[A-Za-z0-9_.:/-]+$")


def configure(
    namespace: dict[str, Any], env: Callable[..., str | None], env_bool: Callable[..., bool]
) -> None:
    """Add the directory backends and their settings to ``namespace`` (the settings module).

    ``env_bool`` is not needed: flags are parsed here with the same rules, so that the tests can
    build the settings from a plain mapping.
    """
    namespace.update(directory_settings(env, namespace["AUTHENTICATION_BACKENDS"]))


def directory_settings(read: Read, backends: list[str]) -> dict[str, Any]:
    """The settings the MAMORI_LDAP_* / MAMORI_OIDC_* values give; empty when neither is set.

    ``backends`` is the AUTHENTICATION_BACKENDS list without directory login. The directory backends
    go right after its first entry, axes, which must refuse a locked-out name before any backend
    asks a server; Django's ModelBackend stays last, so local accounts work while a directory is down.
    """
    found: dict[str, Any] = {}
    added: list[str] = []
    if _text(read, "MAMORI_LDAP_SERVER_URI"):
        found.update(ldap_settings(read))
        added.append(LDAP_BACKEND)
    if _text(read, "MAMORI_OIDC_CLIENT_ID"):
        found.update(oidc_settings(read))
        added.append(OIDC_BACKEND)
    if added:
        found["AUTHENTICATION_BACKENDS"] = [*backends[:1], *added, *backends[1:]]
    return found


def ldap_settings(read: Read) -> dict[str, Any]:
    """AUTH_LDAP_* settings for django-auth-ldap, and the attribute map Mamori reads itself."""
    try:
        import ldap
        from django_auth_ldap.config import LDAPSearch
    except ImportError:
        raise ImproperlyConfigured(
            f"MAMORI_LDAP_SERVER_URI is set but django-auth-ldap or python-ldap is missing; {INSTALL_HINT}"
        ) from None

    uris = _text(read, "MAMORI_LDAP_SERVER_URI").split()
    for uri in uris:
        if not uri.lower().startswith(("ldap://", "ldaps://")):
            raise ImproperlyConfigured(
                f"MAMORI_LDAP_SERVER_URI must hold ldap:// or ldaps:// addresses, not {uri!r}"
            )
    start_tls = _flag(read, "MAMORI_LDAP_STARTTLS")
    if start_tls and any(uri.lower().startswith("ldaps://") for uri in uris):
        raise ImproperlyConfigured(
            "MAMORI_LDAP_STARTTLS is for ldap:// addresses; an ldaps:// address is encrypted already"
        )

    ca_file = _text(read, "MAMORI_LDAP_CA_FILE")
    if ca_file and not Path(ca_file).is_file():
        raise ImproperlyConfigured(f"MAMORI_LDAP_CA_FILE names no readable file: {ca_file!r}")

    bind_dn = _text(read, "MAMORI_LDAP_BIND_DN")
    bind_password = _text(read, "MAMORI_LDAP_BIND_PASSWORD")
    # A DN without a password is an "unauthenticated bind" that many servers accept as anonymous:
    # a typo in the secret's file would silently turn the service account off.
    if bool(bind_dn) != bool(bind_password):
        raise ImproperlyConfigured("MAMORI_LDAP_BIND_DN and MAMORI_LDAP_BIND_PASSWORD must be set together")

    search_base = _text(read, "MAMORI_LDAP_USER_SEARCH_BASE")
    dn_template = _text(read, "MAMORI_LDAP_USER_DN_TEMPLATE")
    if bool(search_base) == bool(dn_template):
        raise ImproperlyConfigured(
            "Set one of MAMORI_LDAP_USER_SEARCH_BASE (with MAMORI_LDAP_USER_FILTER) "
            "or MAMORI_LDAP_USER_DN_TEMPLATE"
        )

    attributes = _mapping(read, LDAP_ATTRIBUTES, ATTRIBUTE_NAME, "an LDAP attribute name")
    # Only what Mamori reads; "1.1" asks for no attributes at all (RFC 4511 4.5.1.8).
    attrlist = sorted(set(attributes.values())) or ["1.1"]
    timeout = _seconds(read, "MAMORI_DIRECTORY_TIMEOUT", 10)

    options: dict[int, Any] = {
        # Active Directory answers a search at the domain root with referrals to other partitions;
        # following them fails with "Operations error".
        ldap.OPT_REFERRALS: 0,
        # A dead server must not hold the login page (and local accounts behind it) for minutes.
        ldap.OPT_NETWORK_TIMEOUT: timeout,
        ldap.OPT_TIMEOUT: timeout,
    }
    if ca_file:
        # The office's own CA, for this connection only; NEWCTX (last) makes libldap take it up.
        options[ldap.OPT_X_TLS_CACERTFILE] = ca_file
        options[ldap.OPT_X_TLS_REQUIRE_CERT] = ldap.OPT_X_TLS_DEMAND
        options[ldap.OPT_X_TLS_NEWCTX] = 0

    found: dict[str, Any] = {
        "AUTH_LDAP_SERVER_URI": " ".join(uris),
        "AUTH_LDAP_START_TLS": start_tls,
        "AUTH_LDAP_BIND_DN": bind_dn,
        "AUTH_LDAP_BIND_PASSWORD": bind_password,
        "AUTH_LDAP_CONNECTION_OPTIONS": options,
        # Mamori creates and updates people itself, through its services, so that every change is
        # journaled (mamori/people/directory.py); django-auth-ldap must not save attributes itself.
        "AUTH_LDAP_USER_ATTR_MAP": {},
        "AUTH_LDAP_ALWAYS_UPDATE_USER": False,
        "AUTH_LDAP_USER_ATTRLIST": attrlist,
        "MAMORI_LDAP_ATTRIBUTES": attributes,
    }
    if search_base:
        user_filter = _text(read, "MAMORI_LDAP_USER_FILTER") or "(uid=%(user)s)"
        _check_user_placeholder("MAMORI_LDAP_USER_FILTER", user_filter)
        if not (user_filter.startswith("(") and user_filter.endswith(")")):
            raise ImproperlyConfigured(
                f"MAMORI_LDAP_USER_FILTER must be an LDAP filter in parentheses, not {user_filter!r}"
            )
        found["AUTH_LDAP_USER_SEARCH"] = LDAPSearch(search_base, ldap.SCOPE_SUBTREE, user_filter, attrlist)
    else:
        _check_user_placeholder("MAMORI_LDAP_USER_DN_TEMPLATE", dn_template)
        found["AUTH_LDAP_USER_DN_TEMPLATE"] = dn_template
        # Without a service account the person reads their own entry, bound as themselves.
        found["AUTH_LDAP_BIND_AS_AUTHENTICATING_USER"] = not bind_dn
    return found


def oidc_settings(read: Read) -> dict[str, Any]:
    """OIDC_* settings for mozilla-django-oidc, and the claim map Mamori reads itself."""
    try:
        import mozilla_django_oidc  # noqa: F401 -- only to say clearly that it is missing
    except ImportError:
        raise ImproperlyConfigured(
            f"MAMORI_OIDC_CLIENT_ID is set but mozilla-django-oidc is missing; {INSTALL_HINT}"
        ) from None

    client_secret = _text(read, "MAMORI_OIDC_CLIENT_SECRET")
    if not client_secret:
        raise ImproperlyConfigured(
            "MAMORI_OIDC_CLIENT_ID is set, so MAMORI_OIDC_CLIENT_SECRET must be set too"
        )
    found: dict[str, Any] = {setting: _endpoint(read, name) for setting, name in OIDC_ENDPOINTS.items()}

    algorithm = _text(read, "MAMORI_OIDC_SIGN_ALGO") or "RS256"
    if algorithm not in OIDC_SIGN_ALGORITHMS:
        raise ImproperlyConfigured(
            f"MAMORI_OIDC_SIGN_ALGO must be one of {', '.join(OIDC_SIGN_ALGORITHMS)}, not {algorithm!r}"
        )
    scopes = " ".join((_text(read, "MAMORI_OIDC_SCOPES") or "openid email profile").split())
    if "openid" not in scopes.split():
        raise ImproperlyConfigured(f"MAMORI_OIDC_SCOPES must include openid, not {scopes!r}")
    claims = _mapping(read, OIDC_CLAIMS, CLAIM_NAME, "a claim name")
    if not claims.get("username"):
        raise ImproperlyConfigured("MAMORI_OIDC_USERNAME_CLAIM cannot be empty")

    found.update(
        {
            "OIDC_RP_CLIENT_ID": _text(read, "MAMORI_OIDC_CLIENT_ID"),
            "OIDC_RP_CLIENT_SECRET": client_secret,
            "OIDC_RP_SIGN_ALGO": algorithm,
            "OIDC_RP_SCOPES": scopes,
            # PKCE binds the code to this browser's login; providers that do not know it ignore it.
            "OIDC_USE_PKCE": True,
            "OIDC_TIMEOUT": _seconds(read, "MAMORI_DIRECTORY_TIMEOUT", 10),
            "LOGIN_REDIRECT_URL_FAILURE": reverse_lazy("login"),
            # Tells the person on the login page that the round trip did not succeed.
            "OIDC_CALLBACK_CLASS": "mamori.people.directory.OIDCCallbackView",
            "MAMORI_OIDC_CLAIMS": claims,
        }
    )
    return found


def oidc_enabled() -> bool:
    from django.conf import settings

    return bool(getattr(settings, "OIDC_RP_CLIENT_ID", ""))


def urlpatterns() -> list[Any]:
    """The OpenID Connect login and callback addresses, only when OIDC is configured."""
    if not oidc_enabled():
        return []
    return [path("oidc/", include("mozilla_django_oidc.urls"))]


def _text(read: Read, name: str) -> str:
    return (read(name) or "").strip()


def _flag(read: Read, name: str) -> bool:
    # The same words as env_bool in config/settings.py.
    value = _text(read, name)
    if value.lower() in ("", "0", "false", "no", "off"):
        return False
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def _seconds(read: Read, name: str, default: int) -> int:
    value = _text(read, name)
    if not value:
        return default
    if not value.isdigit() or int(value) == 0:
        raise ImproperlyConfigured(f"{name} must be a whole number of seconds above 0, not {value!r}")
    return int(value)


def _mapping(
    read: Read, fields: dict[str, tuple[str, str]], pattern: re.Pattern[str], what: str
) -> dict[str, str]:
    """Mamori field -> directory attribute or claim; a variable set to nothing leaves the field out."""
    found: dict[str, str] = {}
    for field, (name, default) in fields.items():
        value = read(name)
        value = default if value is None else value.strip()
        if not value:
            continue
        if not pattern.match(value):
            raise ImproperlyConfigured(f"{name} must be {what}, not {value!r}")
        found[field] = value
    return found


def _check_user_placeholder(name: str, value: str) -> None:
    if "%(user)s" not in value:
        raise ImproperlyConfigured(f"{name} must contain %(user)s where the login name goes, not {value!r}")
    try:
        value % {"user": "x"}
    except (KeyError, ValueError, TypeError):
        raise ImproperlyConfigured(
            f"{name} may contain no % other than %(user)s (write %% for a percent sign): {value!r}"
        ) from None


def _endpoint(read: Read, name: str) -> str:
    value = _text(read, name)
    if not value:
        raise ImproperlyConfigured(f"MAMORI_OIDC_CLIENT_ID is set, so {name} must be set too")
    parts = urlsplit(value)
    # The client secret and the tokens travel to these addresses: plain http only on this machine.
    if not parts.hostname or not (
        parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS)
    ):
        raise ImproperlyConfigured(
            f"{name} must be an https:// address (http:// only for 127.0.0.1 or localhost), not {value!r}"
        )
    return value
