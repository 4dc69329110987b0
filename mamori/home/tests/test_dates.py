"""和暦/西暦 by preference; fiscal years April–March; report numbers by fiscal year and era."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from mamori import wareki
from mamori.conftest import sign_in
from mamori.incidents.tests.scenario import report

TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.mark.parametrize(
    "day,expected",
    [
        (date(2019, 4, 30), "平成31年4月30日"),
        (date(2019, 5, 1), "令和元年5月1日"),
        (date(2026, 11, 22), "令和8年11月22日"),
        (date(1989, 1, 7), "昭和64年1月7日"),
    ],
)
def test_wareki_dates(day, expected):
    assert wareki.format_date(day) == expected
    assert wareki.format_date(day, "seireki") == f"{day.year}年{day.month}月{day.day}日"


@pytest.mark.parametrize(
    "moment,fy",
    [
        (datetime(2027, 3, 31, 23, 59, tzinfo=TOKYO), 2026),
        (datetime(2027, 4, 1, 0, 0, tzinfo=TOKYO), 2027),
        # 2026-03-31 15:30 UTC is already 1 April in Tokyo: the fiscal year follows local time.
        (datetime(2026, 3, 31, 15, 30, tzinfo=ZoneInfo("UTC")), 2026),
    ],
)
def test_fiscal_year_runs_april_to_march_in_japan(moment, fy):
    assert wareki.fiscal_year(moment) == fy


def test_fiscal_year_labels_and_prefixes():
    assert wareki.fiscal_year_label(2019) == "令和元年度"
    assert wareki.fiscal_year_label(2026) == "令和8年度"
    assert wareki.fiscal_year_label(2026, "seireki") == "2026年度"
    assert wareki.reference_prefix(2026) == "R8"
    assert wareki.reference_prefix(2018) == "H30"


@pytest.mark.django_db
def test_report_numbers_restart_each_fiscal_year(komae):
    with time_machine.travel(datetime(2027, 3, 31, 23, 50, tzinfo=TOKYO), tick=False):
        first = report(komae)
        second = report(komae)
    with time_machine.travel(datetime(2027, 4, 1, 0, 10, tzinfo=TOKYO), tick=False):
        third = report(komae)
    assert [first.reference, second.reference, third.reference] == ["R8-0001", "R8-0002", "R9-0001"]
    assert (first.fiscal_year, third.fiscal_year) == (2026, 2027)


@pytest.mark.django_db
def test_each_person_sees_dates_and_language_as_they_prefer(komae):
    with time_machine.travel(datetime(2026, 11, 20, 10, 0, tzinfo=TOKYO), tick=False):
        incident = report(komae)
    client = Client()
    sign_in(client, komae.csirt_manager)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "令和8年11月20日" in page and "報告" in page
    response = client.post("/preferences/", {"date_style": "seireki", "language": "en"})
    assert response.status_code == 302
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "2026年11月20日" in page and "Reports" in page and '<html lang="en">' in page
