"""Whatever a reporter types, the public form and ``submit_report`` answer calmly and save all or nothing.

Hypothesis sends arbitrary unicode (NUL, direction marks, lone surrogates where the transport can
carry them, strings around and far beyond every limit) and odd times. The public form must answer
200/302/400/422/429 and never 5xx; a refused report leaves no Report and no Incident behind, an
accepted one exactly one of each.
"""

import time
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote_from_bytes

import hypothesis.core
import pytest
from django.core import signing
from django.db import transaction
from django.test import Client
from django.utils import timezone as django_timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.internal.cache import LRUCache
from hypothesis.internal.conjecture import providers
from hypothesis.internal.constants_ast import Constants
from hypothesis.vendor import pretty

from mamori.incidents.errors import ServiceError
from mamori.incidents.models import Incident
from mamori.intake.choices import Channel
from mamori.intake.forms import FORM_SALT
from mamori.intake.models import Report
from mamori.intake.services import ReportInput, submit_report

pytestmark = pytest.mark.django_db

FUZZ = hypothesis_settings(
    max_examples=100,
    derandomize=True,
    database=None,
    deadline=None,  # each example renders a page or writes a report; its time is not what is tested
    # Every example runs in a savepoint rolled back at its end, so the function-scoped komae
    # organisation and settings are the same for each example.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
# NUL, right-to-left mark and override, zero-width space, BOM, an astral character, line breaks
# str.splitlines() knows of, and the ideographic space.
ODD = "\x00\u200f\u202e\u200b\ufeff\U0001f4a5\r\n\x0b\x85\u2028\t \u3000"
# Lone surrogates are no text a Python caller can hand over (every caller decodes with replacement),
# but a client can send their bytes: only the public form gets them.
LONE_SURROGATES = "\ud800\udfff"
LIMITS = [199, 200, 201, 299, 300, 301, 1999, 2000, 2001, 19999, 20000, 20001, 100_000]


def texts(odd: str) -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(),
        st.text(alphabet=st.sampled_from(odd) | st.characters(), max_size=40),
        st.builds(
            str.__mul__, st.sampled_from(["a", "あ", " ", "\x00", "\U0001f4a5"]), st.sampled_from(LIMITS)
        ),
    )


TEXT = texts(ODD)
SENT_TEXT = texts(ODD + LONE_SURROGATES)
ZONES = (
    st.none() | st.just(UTC) | st.builds(timezone, st.timedeltas(-timedelta(hours=23), timedelta(hours=23)))
)
MOMENTS = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=ZONES)
# What a browser, a script or a mistyping person might put in the datetime-local field.
TIME_TEXT = st.one_of(
    MOMENTS.map(lambda d: d.isoformat()),
    MOMENTS.map(lambda d: d.strftime("%Y-%m-%dT%H:%M")),
    st.builds(
        "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}".format, *(st.integers(0, n) for n in (9999, 19, 39, 29, 69))
    ),
    SENT_TEXT,
)
# A report komae accepts; each example keeps, replaces or extends each of its values.
PLAUSIBLE = {
    "location": "市ホームページ",
    "description": "トップページが見知らぬ画像に書き換えられています",
    "suspected_cause": "",
    "impact_scope": "",
    "affected_systems": "",
    "reporter_name": "市民 太郎",
    "reporter_contact": "taro@example.jp",
}


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


def rows() -> tuple[int, int]:
    return Report.objects.count(), Incident.objects.count()


def started(seconds_ago: float = 10) -> str:
    """A form stamp signed as if the page had been open ``seconds_ago`` (see sign_form_start)."""
    return signing.Signer(salt=FORM_SALT).sign(str(time.time() - seconds_ago))


def urlencoded(fields: dict[str, str]) -> bytes:
    # Encoded by hand: lone surrogates travel as the bytes a careless client would send.
    return b"&".join(
        quote_from_bytes(k.encode()).encode()
        + b"="
        + quote_from_bytes(v.encode("utf-8", "surrogatepass")).encode()
        for k, v in fields.items()
    )


def fuzzed(draw, name: str, plausible: str, fuzz: st.SearchStrategy[str] = TEXT) -> str:
    how = draw(st.sampled_from(["keep", "keep", "keep", "replace", "extend"]), label=f"{name} is")
    if how == "keep":
        return plausible
    value = draw(fuzz, label=name)
    return value if how == "replace" else plausible + value


def an_hour_ago() -> datetime:
    return django_timezone.now() - timedelta(hours=1)


@st.composite
def public_form_posts(draw) -> dict[str, str]:
    post = {name: fuzzed(draw, name, value, SENT_TEXT) for name, value in PLAUSIBLE.items()}
    when = django_timezone.localtime(an_hour_ago()).strftime("%Y-%m-%dT%H:%M")
    post["discovered_at"] = fuzzed(draw, "discovered_at", when, TIME_TEXT)
    post["website"] = fuzzed(draw, "website", "", SENT_TEXT)
    post["started"] = fuzzed(draw, "started", started(), st.just(started(seconds_ago=0.5)) | SENT_TEXT)
    return post


@FUZZ
@given(post=public_form_posts())
def test_public_form_answers_calmly_and_saves_all_or_nothing(komae, settings, post):
    settings.MAMORI_PUBLIC_REPORTS_PER_HOUR = 10**6
    before = rows()
    with transaction.atomic():
        response = Client().post(
            "/report/", urlencoded(post), "application/x-www-form-urlencoded", REMOTE_ADDR="203.0.113.9"
        )
        assert response.status_code in (200, 302, 400, 422, 429), response.status_code
        accepted = response.status_code == 302
        assert rows() == ((before[0] + 1, before[1] + 1) if accepted else before)
        transaction.set_rollback(True)


@st.composite
def report_inputs(draw) -> ReportInput:
    return ReportInput(
        **{name: fuzzed(draw, name, value) for name, value in PLAUSIBLE.items()},
        discovered_at=draw(st.just(an_hour_ago()) | st.none() | MOMENTS, label="discovered_at"),
        raw_text=draw(st.just("") | TEXT, label="raw_text"),
        message_id=draw(st.just("") | TEXT, label="message_id"),
    )


@FUZZ
@given(data=report_inputs(), channel=st.sampled_from(Channel.values), address=st.just("") | TEXT)
def test_submit_report_accepts_or_refuses_whole(komae, data, channel, address):
    staff = channel in (Channel.STAFF_FORM, Channel.API)
    before = rows()
    with transaction.atomic():
        try:
            submit_report(
                komae.organization,
                data,
                channel=channel,
                actor=komae.staff if staff else None,
                client_address=address,
            )
        except ServiceError:
            assert rows() == before
        else:
            assert rows() == (before[0] + 1, before[1] + 1)
        transaction.set_rollback(True)
