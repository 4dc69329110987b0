"""Logging in with an OpenID Connect provider (Entra ID, Keycloak), over a real round trip.

The provider is a small HTTP server on 127.0.0.1 started by the test: it checks the code, the client
secret and the PKCE verifier at /token, answers /userinfo for its access tokens and publishes its
RSA key at /jwks. Mamori's backend fetches all three over real HTTP and verifies the id_token's
signature; the person is made by the people services, as with LDAP.
"""

import base64
import hashlib
import json
import secrets
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import reverse

from config import directory
from config.directory import LDAP_BACKEND, OIDC_BACKEND, directory_settings
from mamori.conftest import PASSWORD
from mamori.journal.models import JournalEntry
from mamori.people.directory import OIDC_SOURCE
from mamori.people.models import User

pytestmark = pytest.mark.django_db

AXES = "axes.backends.AxesStandaloneBackend"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
WITHOUT_DIRECTORY = [AXES, MODEL_BACKEND]
CLIENT_ID = "mamori-komae"
CLIENT_SECRET = "client-secret-for-tests"
KID = "test-key-1"


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class Person:
    """Someone with an account at the provider: what goes into the id_token and userinfo."""

    sub: str
    id_token_claims: dict[str, Any]
    userinfo_claims: dict[str, Any]


@dataclass
class Grant:
    person: Person
    nonce: str
    redirect_uri: str
    code_challenge: str


@dataclass
class Provider:
    """A minimal OpenID provider. ``spoil`` makes it misbehave in one named way."""

    key: rsa.RSAPrivateKey
    base_url: str = ""
    grants: dict[str, Grant] = field(default_factory=dict)
    access_tokens: dict[str, Person] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    spoil: str = ""

    def mamori_values(self) -> dict[str, str]:
        """MAMORI_OIDC_* values as an office would set them for this provider."""
        return {
            "MAMORI_OIDC_CLIENT_ID": CLIENT_ID,
            "MAMORI_OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "MAMORI_OIDC_AUTHORIZATION_ENDPOINT": f"{self.base_url}/authorize",
            "MAMORI_OIDC_TOKEN_ENDPOINT": f"{self.base_url}/token",
            "MAMORI_OIDC_USERINFO_ENDPOINT": f"{self.base_url}/userinfo",
            "MAMORI_OIDC_JWKS_ENDPOINT": f"{self.base_url}/jwks",
            "MAMORI_OIDC_EMPLOYEE_NUMBER_CLAIM": "employee_number",
            "MAMORI_DIRECTORY_TIMEOUT": "5",
        }

    def approve(self, authorize_url: str, person: Person) -> str:
        """The person logs in at the provider and agrees: the code it sends the browser back with."""
        assert authorize_url.startswith(f"{self.base_url}/authorize?")
        query = {name: values[0] for name, values in parse_qs(urlsplit(authorize_url).query).items()}
        assert query["client_id"] == CLIENT_ID
        assert query["response_type"] == "code"
        assert query["scope"].split() == ["openid", "email", "profile"]
        assert query["code_challenge_method"] == "S256"
        code = secrets.token_urlsafe(16)
        self.grants[code] = Grant(person, query["nonce"], query["redirect_uri"], query["code_challenge"])
        return code

    def id_token(self, grant: Grant) -> str:
        now = int(time.time())
        claims = {
            "iss": self.base_url,
            "sub": grant.person.sub,
            "aud": "another-application" if self.spoil == "audience" else CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": grant.nonce,
            **grant.person.id_token_claims,
        }
        token = jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": KID})
        if self.spoil == "signature":
            # Someone on the way makes themselves another person; the signature no longer fits.
            header, _payload, signature = token.split(".")
            forged = {**claims, "preferred_username": "komae-system_admin"}
            payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
            token = f"{header}.{payload}.{signature}"
        return token

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self.token_requests.append(form)
        grant = self.grants.pop(form.get("code", ""), None)  # a code is good once
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if (
            grant is None
            or form.get("grant_type") != "authorization_code"
            or form.get("client_id") != CLIENT_ID
            or form.get("client_secret") != CLIENT_SECRET
            or form.get("redirect_uri") != grant.redirect_uri
            or challenge != grant.code_challenge
        ):
            return 400, {"error": "invalid_grant"}
        access_token = secrets.token_urlsafe(16)
        self.access_tokens[access_token] = grant.person
        return 200, {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": self.id_token(grant),
        }

    def userinfo(self, authorization: str) -> tuple[int, dict[str, Any]]:
        person = self.access_tokens.get(authorization.removeprefix("Bearer "))
        if person is None:
            return 401, {"error": "invalid_token"}
        sub = "someone-else" if self.spoil == "userinfo subject" else person.sub
        return 200, {"sub": sub, **person.userinfo_claims}

    def jwks(self) -> tuple[int, dict[str, Any]]:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return 200, {"keys": [{**public, "kid": KID, "alg": "RS256", "use": "sig"}]}


def _handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/jwks":
                self._answer(*provider.jwks())
            elif self.path == "/userinfo":
                self._answer(*provider.userinfo(self.headers.get("Authorization", "")))
            else:
                self._answer(404, {"error": "not_found"})

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
            form = {name: values[0] for name, values in parse_qs(body).items()}
            if self.path == "/token":
                self._answer(*provider.token(form))
            else:
                self._answer(404, {"error": "not_found"})

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 -- the base class's name
            pass  # keep the test output clean

    return Handler


@pytest.fixture
def provider(signing_key: rsa.RSAPrivateKey) -> Iterator[Provider]:
    found = Provider(key=signing_key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(found))
    found.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    # A short poll keeps shutdown() quick; the default half second is paid at every test's end.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def oidc_login(provider: Provider, organization: str = "komae") -> Iterator[None]:
    found = directory_settings(provider.mamori_values().get, WITHOUT_DIRECTORY)
    with override_settings(
        MAMORI_ORGANIZATION=organization,
        ROOT_URLCONF="mamori.people.tests.oidc_urls",
        # A proxy set in the environment must not be asked for 127.0.0.1.
        OIDC_PROXY={"http": None, "https": None},
        **found,
    ):
        yield


@pytest.fixture
def oidc_on(provider: Provider, komae) -> Iterator[None]:
    with oidc_login(provider):
        yield


YAMADA = Person(
    sub="8f3a0c52-6d1e-4b1a-9a55-1d2c3b4a5f60",
    # Entra ID puts preferred_username in the id_token and leaves it out of userinfo.
    id_token_claims={"preferred_username": "Yamada@city.komae.example"},
    userinfo_claims={"name": "山田 花子", "email": "yamada@city.komae.example", "employee_number": "001234"},
)


def round_trip(person: Person, provider: Provider) -> tuple[Client, HttpResponse]:
    """Log in as a browser does: Mamori -> provider -> back to Mamori's callback with the code."""
    client = Client(REMOTE_ADDR="192.0.2.30")
    start = client.get(reverse("oidc_authentication_init"))
    assert start.status_code == 302
    code = provider.approve(start["Location"], person)
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    return client, client.get(reverse("oidc_authentication_callback"), {"code": code, "state": state})


def logged_in(client: Client) -> User | None:
    if "_auth_user_id" not in client.session:
        return None
    return User.objects.get(pk=client.session["_auth_user_id"])


def test_the_round_trip_logs_in_and_creates_the_person_through_the_service(oidc_on, provider, komae):
    client, _response = round_trip(YAMADA, provider)

    person = logged_in(client)
    assert person is not None
    assert client.session["_auth_user_backend"] == OIDC_BACKEND
    assert person.organization == komae.organization
    assert person.username == "yamada@city.komae.example"
    assert (person.display_name, person.email, person.employee_number) == (
        "山田 花子",
        "yamada@city.komae.example",
        "001234",
    )
    assert not person.has_usable_password()
    assert not person.is_staff and not person.is_superuser
    created = JournalEntry.objects.get(action="person.created", object_id=str(person.pk))
    assert created.actor_label == OIDC_SOURCE and created.data["password_usable"] is False
    assert JournalEntry.objects.filter(action="access.login", actor=person).count() == 1
    # The secret went to the token endpoint only, with the PKCE verifier.
    [token_request] = provider.token_requests
    assert token_request["client_secret"] == CLIENT_SECRET and token_request["code_verifier"]


def test_a_later_round_trip_updates_the_same_person(oidc_on, provider):
    first = logged_in(round_trip(YAMADA, provider)[0])
    renamed = Person(
        YAMADA.sub,
        YAMADA.id_token_claims,
        {**YAMADA.userinfo_claims, "name": "山田 はな子", "email": "hanako.yamada@city.komae.example"},
    )

    again = logged_in(round_trip(renamed, provider)[0])

    assert first is not None and again == first
    assert User.objects.filter(username="yamada@city.komae.example").count() == 1
    updated = JournalEntry.objects.get(action="person.updated", object_id=str(first.pk))
    assert updated.actor_label == OIDC_SOURCE
    assert updated.data == {
        "display_name": ["山田 花子", "山田 はな子"],
        "email": ["yamada@city.komae.example", "hanako.yamada@city.komae.example"],
    }


@pytest.mark.parametrize("spoil", ["signature", "audience", "userinfo subject"])
def test_a_token_that_does_not_check_out_logs_nobody_in(oidc_on, provider, komae, spoil):
    provider.spoil = spoil

    client, response = round_trip(YAMADA, provider)

    assert logged_in(client) is None
    assert not User.objects.filter(username="yamada@city.komae.example").exists()
    # A failed login like any other: on the trail, and told on the login page.
    assert JournalEntry.objects.filter(action="access.login_failed").count() == 1
    assert response.status_code == 302 and response["Location"] == reverse("login")
    page = client.get(response["Location"])
    assert [m.level_tag for m in get_messages(page.wsgi_request)] == ["error"]


def test_an_unreachable_provider_is_a_failed_login_not_an_error_page(oidc_on, provider):
    client = Client(REMOTE_ADDR="192.0.2.30")
    start = client.get(reverse("oidc_authentication_init"))
    code = provider.approve(start["Location"], YAMADA)
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]

    with override_settings(OIDC_OP_TOKEN_ENDPOINT=f"http://127.0.0.1:{closed_port}/token"):
        response = client.get(reverse("oidc_authentication_callback"), {"code": code, "state": state})

    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert logged_in(client) is None


def test_password_logins_never_reach_the_provider(oidc_on, provider, komae):
    client = Client(REMOTE_ADDR="192.0.2.30")
    client.post(
        f"{reverse('login')}?code=stolen&state=x", {"username": komae.handler.username, "password": PASSWORD}
    )

    assert logged_in(client) == komae.handler
    assert provider.token_requests == []


def test_no_organisation_configured_refuses(provider, komae, caplog):
    with oidc_login(provider, organization=""), caplog.at_level("ERROR", logger="mamori.people.directory"):
        assert logged_in(round_trip(YAMADA, provider)[0]) is None
    assert "MAMORI_ORGANIZATION is not set" in caplog.text


# Settings: what an office writes, and what it is told when it writes it wrong.

ENTRA = {
    "MAMORI_OIDC_CLIENT_ID": "00000000-1111-2222-3333-444444444444",
    "MAMORI_OIDC_CLIENT_SECRET": "secret",
    "MAMORI_OIDC_AUTHORIZATION_ENDPOINT": "https://login.microsoftonline.com/TENANT/oauth2/v2.0/authorize",
    "MAMORI_OIDC_TOKEN_ENDPOINT": "https://login.microsoftonline.com/TENANT/oauth2/v2.0/token",
    "MAMORI_OIDC_USERINFO_ENDPOINT": "https://graph.microsoft.com/oidc/userinfo",
    "MAMORI_OIDC_JWKS_ENDPOINT": "https://login.microsoftonline.com/TENANT/discovery/v2.0/keys",
}


def test_both_directories_sit_between_axes_and_the_local_passwords():
    values = {
        **ENTRA,
        "MAMORI_LDAP_SERVER_URI": "ldaps://dc1.city.komae.example",
        "MAMORI_LDAP_USER_SEARCH_BASE": "dc=city,dc=komae,dc=example",
    }
    found = directory_settings(values.get, WITHOUT_DIRECTORY)

    assert found["AUTHENTICATION_BACKENDS"] == [AXES, LDAP_BACKEND, OIDC_BACKEND, MODEL_BACKEND]
    assert found["OIDC_RP_SIGN_ALGO"] == "RS256"
    assert found["OIDC_USE_PKCE"] is True
    assert found["MAMORI_OIDC_CLAIMS"] == {
        "username": "preferred_username",
        "display_name": "name",
        "email": "email",
    }


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"MAMORI_OIDC_CLIENT_SECRET": ""}, "MAMORI_OIDC_CLIENT_SECRET must be set"),
        ({"MAMORI_OIDC_JWKS_ENDPOINT": ""}, "MAMORI_OIDC_JWKS_ENDPOINT must be set"),
        (
            {"MAMORI_OIDC_TOKEN_ENDPOINT": "http://idp.city.komae.example/token"},
            "must be an https:// address",
        ),
        ({"MAMORI_OIDC_SIGN_ALGO": "HS256"}, "must be one of RS256"),
        ({"MAMORI_OIDC_SCOPES": "email profile"}, "must include openid"),
        ({"MAMORI_OIDC_USERNAME_CLAIM": ""}, "cannot be empty"),
        ({"MAMORI_OIDC_EMAIL_CLAIM": "e mail"}, "a claim name"),
    ],
)
def test_malformed_values_are_refused_with_a_clear_message(values, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        directory_settings({**ENTRA, **values}.get, WITHOUT_DIRECTORY)


def test_missing_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "mozilla_django_oidc", None)  # as if not installed
    with pytest.raises(ImproperlyConfigured, match=r"pip install -e '\.\[directory\]'"):
        directory_settings(ENTRA.get, WITHOUT_DIRECTORY)


def test_oidc_addresses_exist_only_when_configured():
    assert not hasattr(settings, "OIDC_RP_CLIENT_ID")
    assert directory.urlpatterns() == []
    with override_settings(**directory_settings(ENTRA.get, WITHOUT_DIRECTORY)):
        [oidc] = directory.urlpatterns()
    assert str(oidc.pattern) == "oidc/"
