"""The incident pages and the API list run a fixed number of queries, whatever the number of incidents:
each is pinned here (as NetBox pins its query counts), so a query added to a page is a decision made
in this file, not a surprise found in production."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mamori import wareki
from mamori.api.auth import create_token
from mamori.conftest import sign_in

from .scenario import report, triage

pytestmark = pytest.mark.django_db


def count_queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = fn()
    assert response.status_code == 200
    return len(ctx.captured_queries)


def make_incidents(org, n: int) -> None:
    for i in range(n):
        incident = report(org, description=f"事象 {i}")
        if i % 2:
            triage(org, incident, level=i % 4)


@pytest.mark.parametrize("path", ["/incidents/", "/incidents/?state=open&q=事象", "/incidents/queue/"])
def test_list_pages_do_not_grow_with_incidents(komae, path):
    client = Client()
    sign_in(client, komae.csirt_manager)
    client.get(path)  # the first visit also records the session's activity (idle timeout)
    make_incidents(komae, 3)
    few = count_queries(lambda: client.get(path))
    make_incidents(komae, 12)
    many = count_queries(lambda: client.get(path))
    assert few == many, (few, many)


def test_api_list_does_not_grow_with_incidents(komae):
    _token, clear = create_token(komae.csirt_manager, actor="test", name="t")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {clear}")
    client.get("/api/v1/incidents")  # the first call records the token's last use
    make_incidents(komae, 3)
    few = count_queries(lambda: client.get("/api/v1/incidents"))
    make_incidents(komae, 12)
    many = count_queries(lambda: client.get("/api/v1/incidents"))
    assert few == many, (few, many)
    # The token's call counter is one statement (accounts/ratelimit.py), the rest is the page.
    assert many == 7


def test_detail_page_does_not_grow_with_its_timeline(komae):
    from .scenario import act

    incident = triage(komae, report(komae), level=2)
    client = Client()
    sign_in(client, komae.csirt_manager)
    path = f"/incidents/{incident.pk}/"
    client.get(path)
    for i in range(3):
        act(komae, incident, f"対応 {i}")
    few = count_queries(lambda: client.get(path))
    for i in range(20):
        act(komae, incident, f"対応 {i}")
    many = count_queries(lambda: client.get(path))
    assert few == many, (few, many)


def test_dashboard_does_not_grow_with_incidents(komae):
    client = Client()
    sign_in(client, komae.csirt_manager)
    client.get("/")
    make_incidents(komae, 3)
    few = count_queries(lambda: client.get("/"))
    make_incidents(komae, 12)
    many = count_queries(lambda: client.get("/"))
    assert few == many, (few, many)


# Queries of each page for the CSIRT manager, once the session is warm. Session, person, second
# factor, organisation, policy and roles are 6 of them on every page; the banner and the count of
# one's own open pages 2 more. Search adds the index's answer (on PostgreSQL also its work_mem and a
# sample, ADR 0008).
PINNED = {
    "/incidents/": 10,
    "/incidents/?state=responding&level=2&fiscal_year={this_year}": 10,
    "/incidents/?state=open&q=事象": {"sqlite": 11, "postgresql": 14},
    "/incidents/queue/": 9,
    "detail": 22,
    "/": 15,
}


@pytest.mark.parametrize("path", list(PINNED))
def test_each_page_runs_its_pinned_number_of_queries(komae, path):
    from .scenario import act

    incident = triage(komae, report(komae, description="事象"), level=2)
    for i in range(3):
        act(komae, incident, f"対応 {i}")
    this_year = wareki.fiscal_year(timezone.now())
    url = f"/incidents/{incident.pk}/" if path == "detail" else path.format(this_year=this_year)
    client = Client()
    sign_in(client, komae.csirt_manager)
    client.get(url)
    expected = PINNED[path]
    if isinstance(expected, dict):
        expected = expected[connection.vendor]
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    assert len(ctx.captured_queries) == expected
    # Reading a page writes nothing: on SQLite a transaction begins IMMEDIATE, i.e. takes the one write
    # lock, and the page would wait behind every report being filed (PostgreSQL shows no BEGIN here).
    assert not [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("BEGIN")]
