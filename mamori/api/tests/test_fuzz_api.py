"""Fuzzing the HTTP API against its own OpenAPI schema: no input earns a 5xx or a response off-schema.

Schemathesis generates requests (valid and invalid) for every operation and sends them in-process to
the WSGI application, authenticated as the komae CSIRT manager. Most examples aim at a real incident
the operation can act on, with its current version, known-good words (transition, phase,
category…), a plausible time and odd characters in every text, so that the fuzzing reaches the
services, the database and the success responses, not only the 404, 409 and 422 answers.
"""

from datetime import timedelta

import hypothesis.core
import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.internal.cache import LRUCache
from hypothesis.internal.conjecture import providers
from hypothesis.internal.constants_ast import Constants
from hypothesis.vendor import pretty
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from mamori.api.auth import create_token
from mamori.incidents.choices import Phase, State
from mamori.incidents.models import Incident
from mamori.incidents.services import policy_of, transition
from mamori.incidents.tests.scenario import report, triage
from mamori.incidents.transitions import TRANSITIONS

pytestmark = pytest.mark.django_db

OPERATIONS = [
    ("POST", "/api/v1/reports"),
    ("GET", "/api/v1/incidents"),
    ("GET", "/api/v1/incidents/{incident_id}"),
    ("POST", "/api/v1/incidents/{incident_id}/triage"),
    ("POST", "/api/v1/incidents/{incident_id}/transitions"),
    ("POST", "/api/v1/incidents/{incident_id}/actions"),
    ("POST", "/api/v1/incidents/{incident_id}/evidence"),
]
CHECKS = [not_a_server_error, response_schema_conformance]
TIMES = {"discovered_at", "taken_at", "collected_at"}
# Characters that break storage or display more often than random text finds them in 25 tries,
# added to every text of an aimed example: NUL; or a right-to-left override, a zero-width space and
# a character outside the BMP.
ODD_CHARACTERS = ["\x00", "\u202e\u200b\U0001f4a5"]
FUZZ = hypothesis_settings(
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,  # a request writes the journal and pages; its time is not what is tested here
    # Generation time is measured by the clock; on a busy CI machine it must not fail the run.
    suppress_health_check=[HealthCheck.too_slow],
)
HANDLER = WSGIHandler()


def wsgi_app(environ, start_response):
    """The real WSGI handler, keeping the test's database connection across requests.

    At the end of a request Django closes a connection whose autocommit differs from its settings;
    inside the test's transaction that would close it under the test (on PostgreSQL; SQLite's
    in-memory test database ignores it). Django's test client disconnects these signals likewise.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        response = HANDLER(environ, start_response)
        content = b"".join(response)
        response.close()
        return [content]
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def hypothesis_reproducible(monkeypatch):
    """Derandomized Hypothesis that gives the same examples in any test order, and prints them.

    Hypothesis mixes in constants from the project modules imported so far, which depend on the order
    pytest-xdist ran the tests in; and schemathesis swaps in a printer that prints every failing
    example as empty (it saves time in schemathesis' own runs).
    """
    monkeypatch.setattr(providers, "_get_local_constants", Constants)
    monkeypatch.setattr(providers, "CONSTANTS_CACHE", LRUCache(1024))
    monkeypatch.setattr(hypothesis.core, "RepresentationPrinter", pretty.RepresentationPrinter)


@pytest.fixture
def api_schema(komae):
    return schemathesis.openapi.from_dict(Client().get("/api/openapi.json").json())


@pytest.fixture
def targets(komae) -> list[Incident]:
    """A fresh report in the queue, a triaged incident being responded to, and one in recovery."""
    responding = triage(komae, report(komae, description="ファイルサーバの暗号化を確認"))
    recovering = triage(komae, report(komae, description="基幹系端末でマルウェアを検知"))
    recovering = transition(
        recovering, "start_recovery", actor=komae.csirt_manager, expected_version=recovering.version
    )
    return [report(komae), responding, recovering]


def aims_for(path: str, targets: list[Incident]) -> list[Incident]:
    """The incidents an operation can act on: aiming elsewhere only earns the 409 others get."""
    if path.endswith("/triage"):
        return [t for t in targets if t.state == State.RECEIVED]
    if path.endswith(("/actions", "/evidence")):
        return [t for t in targets if t.state != State.RECEIVED]
    return targets


def known_words(incident: Incident) -> dict[str, list]:
    policy = policy_of(incident)
    possible = [t for t in TRANSITIONS.values() if t.generic and incident.state in t.sources]
    return {
        # Those that take a text first: they carry the fuzzed text into the database.
        "transition": [t.name for t in possible if t.requires] or [t.name for t in possible],
        "phase": list(Phase.values),
        "category": [c.key for c in policy.categories],
        "level": [level.value for level in policy.levels],
        "emergency_action": ["", *(action.key for action in policy.emergency_actions)],
        "channel": ["api"],  # the others need on_behalf and the log_report permission
    }


def aim_at(case, incident: Incident, draw) -> None:
    """Point a generated case at a real incident and fill it with words the services accept."""
    incident.refresh_from_db()
    if case.path_parameters and "incident_id" in case.path_parameters:
        case.path_parameters["incident_id"] = incident.pk
    if not isinstance(case.body, dict):
        return
    if "version" in case.body:
        case.body["version"] = incident.version
    words = known_words(incident)
    # In a fixed order: a set's order changes with the hash seed, and so would the draws.
    for name in sorted(words.keys() & case.body.keys()):
        case.body[name] = draw(st.sampled_from(words[name]), label=name)
    times = TIMES & case.body.keys()
    if case.operation.path == "/api/v1/reports":
        times.add("discovered_at")  # komae requires it of every reporter
    for name in sorted(times):
        minutes = draw(st.integers(0, 10**6), label=name)
        case.body[name] = (timezone.now() - timedelta(minutes=minutes)).isoformat()
    odd = draw(st.sampled_from(ODD_CHARACTERS), label="odd characters")
    for name, value in case.body.items():
        if isinstance(value, str) and name not in words and name not in times:
            case.body[name] = value + odd


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_answers_within_its_schema(settings, komae, api_schema, targets, method, path):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]  # schemathesis' WSGI host
    _token, clear = create_token(komae.csirt_manager, actor="test", name="fuzz")
    headers = {"Authorization": f"Bearer {clear}"}
    operation = api_schema[path][method]
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)
    )

    @FUZZ
    @given(case=cases, aim=st.sampled_from([None, *aims_for(path, targets)]), data=st.data())
    def run(case, aim, data):
        if aim is not None:
            aim_at(case, aim, data.draw)
        # Every example starts from the same incidents: what one example changed is rolled back.
        with transaction.atomic():
            response = case.call(app=wsgi_app, headers=headers)
            transaction.set_rollback(True)
        case.validate_response(response, checks=CHECKS, headers=headers)

    run()
