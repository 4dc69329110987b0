"""Training and exercises on the tatebayashi preset (5.2): the plan approved by the committee, sessions
with attendance per person and completion per department, and an exercise run as a drill incident
through the real workflow — left out of the statistics, present in the training record."""

from datetime import date, timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone, translation

from mamori import wareki
from mamori.conftest import make_org, sign_in
from mamori.incidents.errors import NotAllowed, WrongState
from mamori.incidents.tests.scenario import report, triage
from mamori.journal.models import JournalEntry
from mamori.journal.verify import verify_chain
from mamori.paging.models import Escalation, Page
from mamori.paging.services import acknowledge
from mamori.people.services import create_department, update_person
from mamori.statistics.figures import yearly_figures

from ..models import COURSE, TrainingSession
from ..services import (
    SessionInput,
    completion_by_department,
    drill_timings,
    record_approval,
    record_session,
    save_plan,
    start_drill,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(db):
    org = make_org("tatebayashi")
    keibou = create_department(org.organization, actor="test", name="警防課")
    soumu = create_department(org.organization, actor="test", name="総務課")
    for person in (org.system_admin, org.handler, org.staff):
        update_person(person, actor="test", department=keibou)
    for person in (org.security_manager, org.poc):
        update_person(person, actor="test", department=soumu)
    org.keibou, org.soumu = keibou, soumu
    return org


def test_the_plan_is_drafted_by_the_ciso_and_approved_by_the_committee(org):
    year = wareki.fiscal_year(timezone.localdate())
    with pytest.raises(NotAllowed):
        save_plan(org.organization, actor=org.staff, fiscal_year=year, title="計画", content="…")
    plan = save_plan(org.organization, actor=org.ciso, fiscal_year=year, title="令和8年度 情報セキュリティ研修計画",
                     content="全職員向け研修（6月）、新規採用職員研修（4月）、情報システム管理者向け研修、緊急時対応訓練（11月）")  # fmt: skip
    approved = record_approval(
        plan, actor=org.ciso, approved_on=timezone.localdate(), reference="第2回情報セキュリティ委員会 議事録"
    )
    assert approved.approved_on == timezone.localdate()
    with pytest.raises(WrongState):  # the committee approved that text
        save_plan(org.organization, actor=org.ciso, fiscal_year=year, title="変更", content="変更")
    entry = JournalEntry.objects.filter(action="training.plan_approved").get()
    assert entry.data["by"] == "情報セキュリティ委員会"


def test_attendance_per_person_and_completion_per_department(org):
    record_session(
        org.organization,
        actor=org.security_manager,
        data=SessionInput(
            kind=COURSE,
            title="全職員向け情報セキュリティ研修",
            held_on=timezone.localdate(),
            audience="全職員",
            minutes=60,
            attendees=[org.system_admin, org.staff, org.security_manager],
        ),  # fmt: skip
    )
    year = wareki.fiscal_year(timezone.localdate())
    rows = {r.department: (r.people, r.attended) for r in completion_by_department(org.organization, year)}
    assert rows["警防課"] == (3, 2)  # the handler did not attend
    assert rows["総務課"] == (2, 1)
    # The page, as the chief reads it.
    client = Client()
    sign_in(client, org.chief_security_officer)
    with translation.override("ja"):
        page = client.get("/training/")
    assert page.status_code == 200 and "全職員向け情報セキュリティ研修" in page.content.decode()
    # Staff do not read the training register.
    staff = Client()
    sign_in(staff, org.staff)
    assert staff.get("/training/").status_code == 403


def test_a_drill_incident_is_left_out_of_the_statistics_but_kept_in_the_training_record(org):
    real = triage(org, report(org), level=1)
    exercise = record_session(
        org.organization,
        actor=org.chief_security_officer,
        data=SessionInput(
            kind="tabletop",
            title="標的型メール対応 机上訓練",
            held_on=timezone.localdate(),
            attendees=[org.handler, org.csirt_manager],
        ),  # fmt: skip
    )
    with time_machine.travel(timezone.now(), tick=False) as clock:
        drill = start_drill(
            exercise, actor=org.chief_security_officer, scenario="職員が不審なメールの添付ファイルを開いた"
        )
        assert drill.is_drill
        # Paged like a real report, flagged as a drill.
        escalation = Escalation.objects.filter(incident=drill).first()
        assert escalation is not None
        clock.shift(timedelta(minutes=7))
        page = Page.objects.filter(escalation=escalation, state="open").first()
        acknowledge(page, actor=page.recipient, via="app")
        clock.shift(timedelta(minutes=8))
        drill = triage(org, drill, level=2)
    assert drill.is_drill  # triage keeps the flag

    figures = yearly_figures(org.organization, drill.fiscal_year)
    assert figures.incidents == 1 and figures.drills == 1  # the real one counted, the drill left out
    assert sum(row.count for row in figures.by_level) == 1

    exercise.refresh_from_db()
    assert exercise.drill_incident == drill
    with translation.override("ja"):
        timings = {str(step.label): step.minutes for step in drill_timings(drill)}
    assert timings["報告"] == 0.0 and timings["最初の受領確認"] == 7.0 and timings["評価"] == 15.0
    # The training record shows the drill and its timings; the year's list links it.
    client = Client()
    sign_in(client, org.chief_security_officer)
    session_page = client.get(f"/training/sessions/{exercise.pk}/")
    assert session_page.status_code == 200 and drill.reference in session_page.content.decode()
    year_page = client.get(f"/training/?year={drill.fiscal_year}")
    assert drill.reference in year_page.content.decode()
    assert real.reference not in year_page.content.decode()
    with pytest.raises(WrongState):
        start_drill(exercise, actor=org.chief_security_officer, scenario="もう一度")
    assert TrainingSession.objects.get(pk=exercise.pk).drill_incident_id == drill.pk
    assert verify_chain()[1] is None


def test_sessions_are_recorded_only_by_the_roles_the_policy_names(org):
    with pytest.raises(NotAllowed):
        record_session(
            org.organization,
            actor=org.staff,
            data=SessionInput(kind=COURSE, title="x", held_on=date(2026, 12, 1)),
        )
    client = Client()
    sign_in(client, org.security_manager)
    with translation.override("ja"):
        response = client.post(
            "/training/sessions/new/",
            {
                "kind": COURSE,
                "title": "新規採用職員研修",
                "held_on": "2026-04-03",
                "attendees": "tatebayashi-staff\n存在しない人",
            },
        )
    assert response.status_code == 400
    assert "2行目" in response.content.decode()
    assert not TrainingSession.objects.exists()
