"""Outside reports with legal clocks: which are owed, their deadlines, reminders, overdue pages, closure."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from mamori.conftest import sign_in
from mamori.incidents import access, outside, services
from mamori.incidents.deadlines import add_business_days, due_at, is_business_day
from mamori.incidents.errors import Invalid, NotAllowed
from mamori.journal.models import JournalEntry
from mamori.paging.models import Escalation

from .scenario import report, triage

TOKYO = ZoneInfo("Asia/Tokyo")
# Friday 20 November 2026, 10:00: Monday 23 November is 勤労感謝の日.
AWARE = datetime(2026, 11, 20, 10, 0, tzinfo=TOKYO)


def test_business_days_skip_weekends_holidays_and_the_year_end():
    assert not is_business_day(date(2026, 11, 23))  # 勤労感謝の日
    assert add_business_days(date(2026, 11, 20), 1) == date(2026, 11, 24)
    assert not is_business_day(date(2026, 12, 29)) and not is_business_day(date(2027, 1, 3))
    assert add_business_days(date(2026, 12, 28), 1) == date(2027, 1, 4)


def test_periods_start_the_next_day_and_end_at_midnight_in_japan():
    # 民法第140条・第141条: 30 days from 20 November end when 20 December ends, Japan time.
    assert due_at(AWARE, days=30) == datetime(2026, 12, 20, 23, 59, 59, 999999, tzinfo=TOKYO)
    late_evening_utc = datetime(2026, 11, 20, 15, 30, tzinfo=ZoneInfo("UTC"))  # already 21 Nov in Tokyo
    assert due_at(late_evening_utc, days=1).date() == date(2026, 11, 22)
    assert due_at(AWARE, hours=24) == AWARE + timedelta(hours=24)


def personal_data_incident(org, **facts):
    with time_machine.travel(AWARE, tick=False):
        incident = triage(
            org, report(org, description="住民票の写しを誤送付した"), level=2, personal_data=True
        )
        responder = next(p for p in org.people.values() if access.can(p, "respond"))
        return outside.set_report_facts(
            incident, actor=responder, expected_version=incident.version, aware_at=AWARE, facts=facts
        )


@pytest.mark.django_db
def test_ppc_reports_are_owed_when_a_trigger_holds_with_their_legal_clocks(komae):
    incident = personal_data_incident(komae, persons_affected=150)
    reports = {r.kind: r for r in incident.external_reports.all()}
    assert set(reports) == {"preliminary", "final"}
    assert reports["preliminary"].due_at == datetime(2026, 11, 23, 23, 59, 59, 999999, tzinfo=TOKYO)
    assert reports["final"].due_at == datetime(2026, 12, 20, 23, 59, 59, 999999, tzinfo=TOKYO)
    assert reports["final"].basis == "個人情報保護法施行規則第44条第2項"


@pytest.mark.django_db
def test_unlawful_purpose_gives_sixty_days_for_the_final_report(komae):
    incident = personal_data_incident(komae, persons_affected=5, unlawful_purpose=True)
    final = incident.external_reports.get(kind="final")
    assert final.due_at.date() == date(2027, 1, 19)  # 60 days after 20 November
    incident = outside.set_report_facts(
        incident,
        actor=komae.handler,
        expected_version=incident.version,
        aware_at=None,
        facts={"unlawful_purpose": False, "sensitive": True},
    )
    final.refresh_from_db()
    assert final.due_at.date() == date(2026, 12, 20)
    assert JournalEntry.objects.filter(action="external_report.due_changed").exists()


@pytest.mark.django_db
def test_no_trigger_means_a_decision_not_a_report(komae):
    incident = personal_data_incident(komae, persons_affected=3)
    assert not incident.external_reports.exists()
    decision = incident.obligations.get(key="outside:ppc")
    assert "要配慮個人情報" in decision.text


@pytest.mark.django_db
def test_reminder_before_the_deadline_and_a_page_when_it_passes(komae, settings):
    settings.MAMORI_PAGE_CHANNELS = ["inbox"]
    incident = personal_data_incident(komae, sensitive=True)
    preliminary = incident.external_reports.get(kind="preliminary")
    with time_machine.travel(preliminary.due_at - timedelta(hours=23), tick=False):
        assert outside.check_report_clocks() >= 1
    reminder = Escalation.objects.get(key=f"outside:{preliminary.pk}:24h")
    assert reminder.role_key == "csirt_head" and "速報" in reminder.text
    with time_machine.travel(preliminary.due_at + timedelta(minutes=1), tick=False):
        outside.check_report_clocks()
    overdue = Escalation.objects.get(key=f"outside:{preliminary.pk}:overdue")
    assert overdue.pages.get().recipient == komae.csirt_head
    with time_machine.travel(preliminary.due_at + timedelta(hours=5), tick=False):
        assert outside.check_report_clocks() == 0  # paged once, not every pass


@pytest.mark.django_db
def test_the_ppc_draft_follows_the_nine_items_of_its_form(komae):
    incident = personal_data_incident(komae, persons_affected=150, ppc_items="氏名、住所、住民票コード")
    draft = outside.draft_text(incident.external_reports.get(kind="preliminary"))
    labels = list(outside.ppc_item_labels().values())
    positions = [draft.index(f"{n}. {label}") for n, label in enumerate(labels, 1)]
    assert positions == sorted(positions)
    assert "150" in draft and "氏名、住所、住民票コード" in draft


@pytest.mark.django_db
def test_closing_needs_every_outside_report_sent_or_waived(komae):
    incident = personal_data_incident(komae, sensitive=True)
    for name in ("start_recovery", "start_prevention"):
        incident.refresh_from_db()
        services.transition(incident, name, actor=komae.handler, expected_version=incident.version)
    approver = komae.csirt_head
    incident.refresh_from_db()
    approval = services.request_publication(
        incident,
        actor=komae.csirt_manager,
        expected_version=incident.version,
        decision="not_publish",
        reason="本人へ個別に通知",
    )
    services.decide_approval(approval, actor=approver, approve=True)
    for ob in incident.obligations.filter(done_at__isnull=True):
        services.complete_obligation(ob, actor=komae.handler, outcome="済")
    incident.refresh_from_db()
    with pytest.raises(Invalid) as exc:
        services.transition(
            incident,
            "close",
            actor=komae.csirt_manager,
            expected_version=incident.version,
            summary="s",
            root_cause="r",
            prevention_measures="p",
        )
    assert "external_reports" in exc.value.fields
    preliminary, final = incident.external_reports.order_by("due_at")
    with pytest.raises(NotAllowed):
        outside.waive(final, actor=komae.handler, reason="不要")  # komae 第12条: the CSIRT責任者 decides
    outside.mark_sent(preliminary, actor=komae.handler, sent_at=None, reference="PPC受付番号 123")
    with pytest.raises(Invalid):
        outside.waive(final, actor=approver, reason=" ")
    outside.waive(final, actor=approver, reason="速報で完結する旨を委員会に確認")
    incident.refresh_from_db()
    incident = services.transition(
        incident,
        "close",
        actor=komae.csirt_manager,
        expected_version=incident.version,
        summary="s",
        root_cause="r",
        prevention_measures="p",
    )
    assert incident.state == "closed"


@pytest.mark.parametrize("preset_org", ["tatebayashi"], indirect=True)
@pytest.mark.django_db
def test_tatebayashi_first_reports_count_business_days_across_a_holiday(preset_org):
    """tatebayashi 1(9)⑤: 総務省, 群馬県 and the member towns are told of every incident."""
    with time_machine.travel(AWARE, tick=False):
        incident = triage(preset_org, report(preset_org), level=1)
    bodies = {r.body_name: r for r in incident.external_reports.all()}
    assert {"総務省", "群馬県", "組合構成市町"} <= set(bodies)
    # Reported on Friday: Monday is a holiday, so the first report is due when Tuesday ends.
    assert bodies["総務省"].due_at == datetime(2026, 11, 24, 23, 59, 59, 999999, tzinfo=TOKYO)
    assert bodies["総務省"].basis == "対策基準 1(9)⑤"


@pytest.mark.parametrize("preset_org", ["mutsu", "katsushika", "edogawa"], indirect=True)
@pytest.mark.django_db
def test_each_preset_owes_the_ppc_reports_for_a_large_leak(preset_org):
    incident = personal_data_incident(preset_org, persons_affected=1000)
    kinds = set(incident.external_reports.filter(body_key="ppc").values_list("kind", flat=True))
    assert kinds == {"preliminary", "final"}


@pytest.mark.django_db
def test_the_incident_page_records_facts_drafts_and_sending(komae):
    incident = personal_data_incident(komae, persons_affected=150)
    client = Client()
    sign_in(client, komae.handler)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "個人情報保護委員会" in page and "速報" in page
    response = client.post(
        f"/incidents/{incident.pk}/outside/facts/",
        {"version": incident.version, "aware_at": "2026-11-20T10:00", "persons_affected": "-5"},
    )
    assert response.status_code == 400
    preliminary = incident.external_reports.get(kind="preliminary")
    assert (
        client.post(
            f"/incidents/{incident.pk}/outside/{preliminary.pk}/draft/", {"text": "1. 概要\n誤送付"}
        ).status_code
        == 302
    )
    assert (
        client.post(
            f"/incidents/{incident.pk}/outside/{preliminary.pk}/sent/", {"reference": "受付123"}
        ).status_code
        == 302
    )
    preliminary.refresh_from_db()
    assert preliminary.status == "sent" and preliminary.handled_by == komae.handler
    again = client.post(f"/incidents/{incident.pk}/outside/{preliminary.pk}/sent/", {"reference": "x"})
    assert again.status_code == 409


@pytest.mark.parametrize("preset_org", ["edogawa", "mutsu"], indirect=True)
@pytest.mark.django_db
def test_the_police_are_owed_a_report_when_a_crime_is_likely(preset_org):
    """edogawa 基準第25条第3項; mutsu 第2条第1号エ (警察機関等)."""
    org = preset_org
    category = "unauthorized_access" if org.organization.key == "edogawa" else "cyber_attack"
    responder = next(p for p in org.people.values() if access.can(p, "respond"))
    with time_machine.travel(AWARE, tick=False):
        incident = triage(org, report(org), level=2, category=category)
        assert not incident.external_reports.filter(body_key="police").exists()
        incident = outside.set_report_facts(
            incident,
            actor=responder,
            expected_version=incident.version,
            aware_at=AWARE,
            facts={"crime_likely": True},
        )
    police = incident.external_reports.get(body_key="police")
    assert police.due_at == datetime(2026, 11, 24, 23, 59, 59, 999999, tzinfo=TOKYO)  # next business day
