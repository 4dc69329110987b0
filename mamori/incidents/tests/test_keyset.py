"""Keyset pagination: every incident shown exactly once going older, and back again, with no total count."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from mamori.api.auth import create_token
from mamori.conftest import sign_in
from mamori.incidents import keyset, views
from mamori.incidents.errors import Invalid
from mamori.incidents.models import Incident

from .scenario import report


def many(org, n: int) -> list[int]:
    """``n`` incidents, two at a time opened in the same microsecond (ties are the hard case)."""
    start = timezone.now() - timedelta(days=1)
    for i in range(n):
        with time_machine.travel(start + timedelta(minutes=i // 2), tick=False):
            report(org, description=f"事象 {i}")
    return list(Incident.objects.order_by("-opened_at", "-pk").values_list("pk", flat=True))


def test_walking_older_then_newer_shows_each_incident_once(komae):
    expected = many(komae, 11)
    qs = Incident.objects.all()
    seen, page = [], keyset.paginate(qs, size=4)
    pages = [page]
    while True:
        seen += [i.pk for i in page]
        if not page.next_cursor:
            break
        page = keyset.paginate(qs, size=4, after=page.next_cursor)
        pages.append(page)
    assert seen == expected
    assert [len(p) for p in pages] == [4, 4, 3]
    back = keyset.paginate(qs, size=4, before=pages[-1].previous_cursor)
    assert [i.pk for i in back] == [i.pk for i in pages[1]]
    first = keyset.paginate(qs, size=4, before=back.previous_cursor)
    assert [i.pk for i in first] == [i.pk for i in pages[0]] and first.previous_cursor is None


def test_a_tampered_cursor_is_a_clear_error(komae):
    with pytest.raises(Invalid) as error:
        keyset.paginate(Incident.objects.all(), size=4, after="not-a-cursor")
    assert "cursor" in error.value.fields


def test_list_page_and_api_page_through_without_counting(komae, monkeypatch):
    many(komae, 7)
    monkeypatch.setattr(views, "PAGE_SIZE", 5)
    client = Client()
    sign_in(client, komae.csirt_manager)
    first = client.get("/incidents/").content.decode()
    cursor = first.split("after=")[1].split('"')[0]
    second = client.get("/incidents/", {"after": cursor}).content.decode()
    oldest = list(Incident.objects.order_by("opened_at", "pk").values_list("reference", flat=True))
    assert all(f">{ref}<" in second for ref in oldest[:2])  # the two oldest, on the second page only
    assert not any(f">{ref}<" in first for ref in oldest[:2])
    assert all(f">{ref}<" in first for ref in oldest[2:])
    assert "before=" in second and "after=" not in second
    assert client.get("/incidents/", {"after": "%%%"}).status_code == 400
    _token, clear = create_token(komae.csirt_manager, actor="test", name="t", scopes=["incidents:read"])
    api = Client(HTTP_AUTHORIZATION=f"Bearer {clear}")
    body = api.get("/api/v1/incidents", {"page_size": 5}).json()
    assert "count" not in body and len(body["results"]) == 5 and body["next_cursor"]
    rest = api.get("/api/v1/incidents", {"page_size": 5, "cursor": body["next_cursor"]}).json()
    assert len(rest["results"]) == 2 and rest["next_cursor"] is None
    ids = [r["id"] for r in body["results"] + rest["results"]]
    assert len(set(ids)) == 7
    assert api.get("/api/v1/incidents", {"cursor": "x"}).status_code in (400, 422)
