"""The dashboard keeps what must not be forgotten in sight: pages and outside-report deadlines."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from mamori.conftest import sign_in
from mamori.incidents import outside
from mamori.incidents.tests.scenario import report, triage

pytestmark = pytest.mark.django_db
AWARE = datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


def leak(komae):
    incident = triage(komae, report(komae), level=3, personal_data=True)
    return outside.set_report_facts(
        incident,
        actor=komae.handler,
        expected_version=incident.version,
        aware_at=AWARE,
        facts={"sensitive": True},
    )


def test_the_head_sees_pages_and_reports_they_decide_on(komae, settings):
    settings.MAMORI_PAGE_CHANNELS = ["inbox"]
    with time_machine.travel(AWARE, tick=False):
        incident = leak(komae)
    with time_machine.travel(AWARE + timedelta(days=4), tick=False):
        client = Client()
        sign_in(client, komae.csirt_head)  # sessions expire: log in at the moment of the visit
        page = client.get("/").content.decode()
    assert 'id="my-pages"' in page and incident.reference in page
    mine = page.split('id="my-outside-reports"')[1].split("</section>")[0]
    assert "速報" in mine and 'class="overdue"' in mine  # 速報 was due after 3 days


def test_everyone_s_view_is_for_those_who_see_every_incident(komae, settings):
    settings.MAMORI_PAGE_CHANNELS = ["inbox"]
    with time_machine.travel(AWARE, tick=False):
        leak(komae)
        manager, staff = Client(), Client()
        sign_in(manager, komae.csirt_manager)
        sign_in(staff, komae.staff)
        assert 'id="all-pages"' in manager.get("/").content.decode()
        assert 'id="all-outside-reports"' in manager.get("/").content.decode()
        page = staff.get("/").content.decode()
    assert 'id="all-pages"' not in page and 'id="all-outside-reports"' not in page


def test_the_dashboard_runs_a_fixed_number_of_queries(komae, settings):
    settings.MAMORI_PAGE_CHANNELS = ["inbox"]
    client = Client()
    sign_in(client, komae.csirt_head)
    with time_machine.travel(AWARE, tick=False):
        leak(komae)
        client.get("/")
        with CaptureQueriesContext(connection) as few:
            client.get("/")
        for _ in range(4):
            leak(komae)
        with CaptureQueriesContext(connection) as many:
            client.get("/")
    assert len(few.captured_queries) == len(many.captured_queries)
