"""The statistics page: who may see it, what it shows, and a fixed number of queries."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from mamori.conftest import make_org, sign_in

from .steps import at, jst, not_an_incident, reported, triaged

pytestmark = pytest.mark.django_db


def client_for(person) -> Client:
    client = Client()
    sign_in(client, person)
    return client


@pytest.mark.parametrize("path", ["/statistics/", "/statistics/2026.xlsx"])
@pytest.mark.parametrize("who", ["staff", "system_admin"])
def test_people_without_view_all_get_404(komae, who, path):
    response = client_for(komae.people[who]).get(path)
    assert response.status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(db):
    response = Client().get("/statistics/")
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_the_nav_links_to_statistics_only_for_view_all(komae):
    assert 'href="/statistics/"' in client_for(komae.csirt_manager).get("/").content.decode()
    assert 'href="/statistics/"' not in client_for(komae.staff).get("/").content.decode()


def test_page_shows_the_current_fiscal_year_by_default_with_the_drills_note(komae):
    incident = reported(komae, jst(2026, 5, 1, 9))
    triaged(komae, incident, jst(2026, 5, 1, 11), category="cyber_attack", level=2)
    with at(jst(2026, 12, 1, 9)):
        response = client_for(komae.csirt_manager).get("/statistics/")
    assert response.status_code == 200
    page = response.content.decode()
    figures = response.context["figures"]
    assert figures.fiscal_year == 2026
    assert "令和8年度" in page
    assert 'id="drills-note"' in page
    assert "外部からのサイバー攻撃" in page
    assert page.count('role="img"') == 4
    assert 'href="/statistics/2026.xlsx"' in page
    assert "style=" not in page.split("<main", 1)[1]


def test_fiscal_years_across_the_change_of_era(komae):
    reported(komae, jst(2019, 3, 31, 12))  # FY2018: 平成30年度
    reported(komae, jst(2019, 4, 1, 9))  # FY2019, named by its end: 令和元年度
    client = client_for(komae.csirt_manager)

    page = client.get("/statistics/", {"fy": "2018"}).content.decode()
    assert '<option value="2018" selected>平成30年度</option>' in page
    assert '<option value="2019">令和元年度</option>' in page
    assert "<h1>" in page and "平成30年度</span></h1>" in page

    page = client.get("/statistics/", {"fy": "2019"}).content.decode()
    assert "令和元年度</span></h1>" in page

    komae.csirt_manager.date_style = "seireki"
    komae.csirt_manager.save(update_fields=["date_style"])
    page = client.get("/statistics/", {"fy": "2019"}).content.decode()
    assert "2019年度</span></h1>" in page


def test_a_year_without_incidents_is_not_offered(komae):
    reported(komae, jst(2024, 6, 1, 9))
    response = client_for(komae.csirt_manager).get("/statistics/", {"fy": "2021"})
    assert response.status_code == 400
    assert response.context["figures"].fiscal_year != 2021


def test_another_organisation_is_never_counted_or_offered(komae):
    mutsu = make_org("mutsu")
    reported(mutsu, jst(2023, 6, 1, 9))
    reported(komae, jst(2026, 6, 1, 9))
    client = client_for(komae.csirt_manager)
    page = client.get("/statistics/").content.decode()
    assert 'value="2023"' not in page
    assert client.get("/statistics/", {"fy": "2023"}).status_code == 400
    # Asked for by address, the year of the other organisation shows komae's own (empty) figures.
    assert client.get("/statistics/2023.xlsx").status_code == 200


def make_incidents(org, n: int, start_day: int) -> None:
    for i in range(n):
        incident = reported(org, jst(2026, 6, start_day + i, 9))
        if i % 3 == 1:
            triaged(org, incident, jst(2026, 6, start_day + i, 10), level=i % 4)
        elif i % 3 == 2:
            not_an_incident(org, incident, jst(2026, 6, start_day + i, 10))


def count_queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    ("path", "pinned"),
    [
        # 8 to load the session, the person and their permissions; 1 for the years offered; 8 for the
        # figures (the policy's labels, then 7); 2 for the banner and the inbox badge of base.html.
        ("/statistics/?fy=2026", 19),
        # No years offered nor base.html, but the journal entry: savepoint, head, entry, head, release.
        ("/statistics/2026.xlsx", 21),
    ],
)
def test_queries_do_not_grow_with_incidents(komae, path, pinned):
    client = client_for(komae.csirt_manager)
    client.get(path)  # the first visit also records the session's activity (idle timeout)
    make_incidents(komae, 3, start_day=1)
    few = count_queries(client, path)
    make_incidents(komae, 12, start_day=10)
    many = count_queries(client, path)
    assert few == many, (few, many)
    assert many <= pinned, many
