"""Declaring an emergency under katsushika's ICT-BCP: who is called in (5(1)ア), the roll-call, the command
chain with 代行者1・2・3, and the end. Mail goes through a real SMTP server (aiosmtpd)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from mamori.continuity import rollcall
from mamori.continuity.choices import Convening, Safety
from mamori.continuity.models import Emergency, RollCallEntry, RollCallNotice
from mamori.continuity.services import COMMAND_KEY, Declaration, command_of, declare, end
from mamori.incidents.errors import Invalid, NotAllowed, WrongState
from mamori.journal.models import JournalEntry
from mamori.paging.choices import EscalationState, PageState
from mamori.paging.models import Escalation
from mamori.paging.services import advance_due, is_absent

from .conftest import division_members

pytestmark = pytest.mark.django_db


def earthquake(intensity: str, *, headquarters: bool = False, **extra) -> Declaration:
    return Declaration(
        kind="earthquake",
        intensity=intensity,
        headquarters=headquarters,
        occurred_at=timezone.now() - timedelta(minutes=3),
        scope="区内で強い揺れ。本庁舎の被害は確認中。",
        **extra,
    )


def test_intensity_6_lower_calls_in_every_member_of_the_division(katsushika, smtp_server, settings):
    settings.MAMORI_PAGE_CHANNELS = ["inbox", "email"]
    emergency = declare(katsushika.organization, earthquake("6-"), actor=katsushika.chief_system_officer)

    members = division_members(katsushika)
    entries = RollCallEntry.objects.filter(emergency=emergency)
    assert {e.person_id for e in entries} == {p.pk for p in members}
    assert all(e.must_convene for e in entries)
    assert emergency.convening["convene"] == "all"
    assert emergency.convening["basis"] == "ICT-BCP 5(1)ア(ア)"
    assert (emergency.convening["members"], emergency.convening["required"]) == (13, 13)

    assert rollcall.send_due() == 13
    for person in members:
        (body,) = smtp_server.mailbox.bodies_to(person.email)
        assert "参集してください" in body
        assert "/rollcall/" in body
    # Not the other staff of the ward, nor the CSIRT.
    assert not smtp_server.mailbox.bodies_to(katsushika.staff.email)
    assert not smtp_server.mailbox.bodies_to(katsushika.csirt_member.email)
    entry = JournalEntry.objects.get(action="emergency.declared")
    assert entry.data["convening"]["required"] == 13


def test_intensity_5_upper_with_headquarters_calls_in_the_policys_share(katsushika, smtp_server, settings):
    settings.MAMORI_PAGE_CHANNELS = ["email"]
    emergency = declare(
        katsushika.organization, earthquake("5+", headquarters=True), actor=katsushika.chief_system_officer
    )

    # 40 % of 13, rounded up: the command chain first, then the teams in turn (docs/adr/0010).
    called = RollCallEntry.objects.filter(emergency=emergency, must_convene=True)
    assert emergency.convening == {
        "convene": "share",
        "basis": "ICT-BCP 5(1)ア(ア)",
        "share_percent": 40,
        "teams": [],
        "members": 13,
        "required": 6,
    }
    assert {e.person_id for e in called} == {
        katsushika.system_admin.pk,
        katsushika.deputy_1.pk,
        katsushika.deputy_2.pk,
        katsushika.deputy_3.pk,
        katsushika.liaison_team.pk,
        katsushika.infrastructure_team.pk,
    }
    rollcall.send_due()
    # Everyone is asked whether they are safe; only the share is told to come.
    assert len(smtp_server.mailbox.messages) == 13
    told_to_come = [
        m for m in smtp_server.mailbox.messages if "参集してください" in m.get_body(("plain",)).get_content()
    ]
    assert len(told_to_come) == 6


def test_intensity_5_upper_without_headquarters_calls_nobody_in(katsushika):
    emergency = declare(katsushika.organization, earthquake("5+"), actor=katsushika.chief_system_officer)
    assert emergency.convening["convene"] == "none"
    assert not RollCallEntry.objects.filter(emergency=emergency, must_convene=True).exists()
    assert RollCallEntry.objects.filter(emergency=emergency).count() == 13


def test_a_security_event_calls_in_the_teams_the_person_declaring_chooses(katsushika):
    data = Declaration(
        kind="security_event",
        occurred_at=timezone.now(),
        scope="ランサムウェアの疑い",
        convene="teams",
        convene_teams=["infrastructure"],
    )
    emergency = declare(katsushika.organization, data, actor=katsushika.system_admin)
    called = RollCallEntry.objects.filter(emergency=emergency, must_convene=True)
    assert {e.team for e in called} == {"infrastructure"}
    assert called.count() == 3
    # The 電算機管理者 declared it: they command at once.
    command = command_of(emergency)
    assert command.settled and command.person == katsushika.system_admin and command.acting_for is None


def test_cannot_convene_makes_the_command_chain_skip_that_person(katsushika, settings):
    settings.MAMORI_PAGE_CHANNELS = ["inbox"]
    emergency = declare(katsushika.organization, earthquake("6+"), actor=katsushika.chief_system_officer)
    chain = Escalation.objects.get(emergency=emergency, key=COMMAND_KEY)
    assert chain.pages.get(state=PageState.OPEN).recipient == katsushika.system_admin

    entry = RollCallEntry.objects.get(emergency=emergency, person=katsushika.system_admin)
    rollcall.answer(
        entry,
        rollcall.Answer(safety=Safety.INJURED, convening=Convening.CANNOT, message="足を負傷、自宅待機"),
        actor=katsushika.system_admin,
        via="link",
    )

    # 代行者1 is paged at once, without waiting for the 15 minutes to pass.
    chain.refresh_from_db()
    assert chain.pages.get(recipient=katsushika.system_admin).state == PageState.SKIPPED
    current = chain.pages.get(state=PageState.OPEN)
    assert current.recipient == katsushika.deputy_1
    assert current.acting_for == katsushika.system_admin
    command = command_of(emergency)
    assert command.person == katsushika.deputy_1 and not command.settled
    skipped = JournalEntry.objects.get(action="page.skipped_absent")
    assert skipped.data["emergency"] == emergency.reference
    assert "参集できない" in skipped.data["reason"]

    # 代行者1 cannot come either: 代行者2 is next.
    entry = RollCallEntry.objects.get(emergency=emergency, person=katsushika.deputy_1)
    rollcall.answer(
        entry,
        rollcall.Answer(safety=Safety.SAFE, convening=Convening.CANNOT),
        actor=katsushika.deputy_1,
        via="link",
    )
    assert chain.pages.get(state=PageState.OPEN).recipient == katsushika.deputy_2

    # While the emergency lasts, they are skipped by an incident's chain too; after it, no longer.
    assert is_absent(katsushika.system_admin.pk, timezone.now())
    end(emergency, actor=katsushika.chief_system_officer, note="余震収束")
    assert not is_absent(katsushika.system_admin.pk, timezone.now() + timedelta(seconds=2))
    chain.refresh_from_db()
    assert chain.state == EscalationState.CANCELLED


def test_coming_later_is_absent_until_then_and_the_chain_moves_on_by_deadline(katsushika, settings):
    settings.MAMORI_PAGE_CHANNELS = ["inbox"]
    emergency = declare(katsushika.organization, earthquake("7"), actor=katsushika.chief_system_officer)
    arrives = timezone.now() + timedelta(hours=2)
    entry = RollCallEntry.objects.get(emergency=emergency, person=katsushika.system_admin)
    rollcall.answer(
        entry,
        rollcall.Answer(safety=Safety.SAFE, convening=Convening.LATER, arrives_at=arrives, remote=True),
        actor=katsushika.system_admin,
        via="app",
    )
    assert is_absent(katsushika.system_admin.pk, timezone.now())
    assert not is_absent(katsushika.system_admin.pk, arrives + timedelta(minutes=1))
    chain = Escalation.objects.get(emergency=emergency)
    page = chain.pages.get(state=PageState.OPEN)
    assert page.recipient == katsushika.deputy_1
    # 代行者1 does not answer within 15 minutes: 代行者2 is paged by the worker.
    Escalation.objects.filter(pk=chain.pk).update(next_check_at=timezone.now() - timedelta(seconds=1))
    advance_due()
    assert chain.pages.get(state=PageState.OPEN).recipient == katsushika.deputy_2


def test_reminders_go_to_those_who_have_not_answered(katsushika, settings):
    settings.MAMORI_PAGE_CHANNELS = ["email"]
    emergency = declare(katsushika.organization, earthquake("6-"), actor=katsushika.chief_system_officer)
    answered = RollCallEntry.objects.get(emergency=emergency, person=katsushika.deputy_2)
    rollcall.answer(
        answered,
        rollcall.Answer(safety=Safety.SAFE, convening=Convening.NOW),
        actor=katsushika.deputy_2,
        via="link",
    )
    # 30 minutes later (policy: reminders at 30 and 60 minutes).
    RollCallEntry.objects.filter(emergency=emergency, answered_at__isnull=True).update(
        next_reminder_at=timezone.now() - timedelta(seconds=1)
    )
    assert rollcall.send_reminders() == 12
    reminders = RollCallNotice.objects.filter(entry__emergency=emergency, kind="reminder")
    assert reminders.count() == 12
    assert not reminders.filter(entry=answered).exists()
    silent = RollCallEntry.objects.get(emergency=emergency, person=katsushika.system_admin)
    assert silent.reminders == 1
    assert silent.next_reminder_at == silent.asked_at + timedelta(minutes=60)
    # Run twice, the worker reminds nobody twice.
    assert rollcall.send_reminders() == 0


def test_bad_declarations_are_refused_in_japanese_and_save_nothing(katsushika):
    with pytest.raises(Invalid) as err:
        declare(katsushika.organization, earthquake(""), actor=katsushika.chief_system_officer)
    assert err.value.fields["intensity"] == "震度を入力してください。"
    with pytest.raises(Invalid) as err:
        declare(
            katsushika.organization,
            Declaration(kind="security_event", occurred_at=timezone.now(), convene="teams", convene_teams=[]),
            actor=katsushika.system_admin,
        )
    assert "convene_teams" in err.value.fields
    with pytest.raises(Invalid) as err:
        declare(
            katsushika.organization,
            Declaration(kind="volcano", occurred_at=timezone.now() + timedelta(hours=1)),
            actor=katsushika.system_admin,
        )
    assert set(err.value.fields) == {"kind", "occurred_at"}
    # A member of a team may not declare (declare_roles).
    with pytest.raises(NotAllowed):
        declare(katsushika.organization, earthquake("6-"), actor=katsushika.liaison_team)
    assert not Emergency.objects.exists()
    assert not RollCallEntry.objects.exists()


def test_answers_are_checked(katsushika):
    emergency = declare(katsushika.organization, earthquake("6-"), actor=katsushika.chief_system_officer)
    entry = RollCallEntry.objects.get(emergency=emergency, person=katsushika.deputy_3)
    with pytest.raises(Invalid) as err:
        rollcall.answer(
            entry,
            rollcall.Answer(safety="", convening=Convening.LATER),
            actor=katsushika.deputy_3,
            via="link",
        )
    assert set(err.value.fields) == {"safety", "arrives_at"}
    # Someone else cannot answer for them, except a member of the division recording a phone call.
    with pytest.raises(NotAllowed):
        rollcall.answer(
            entry,
            rollcall.Answer(safety=Safety.SAFE, convening=Convening.NOW),
            actor=katsushika.staff,
            via="link",
        )
    rollcall.answer(
        entry,
        rollcall.Answer(safety=Safety.SAFE, convening=Convening.NOW),
        actor=katsushika.liaison_team,
        via="proxy",
    )
    entry.refresh_from_db()
    assert entry.answered_by == katsushika.liaison_team
    teams, _entries = rollcall.board(emergency)
    command = next(t for t in teams if t.key == "")
    assert (command.asked, command.answered, command.coming_now) == (4, 1, 1)


def test_a_roll_call_exercise_runs_as_a_drill_and_its_timings_are_kept(katsushika, settings):
    from mamori.continuity import drills
    from mamori.continuity import recovery as checklist
    from mamori.training import services as training

    from .conftest import add_system

    settings.MAMORI_PAGE_CHANNELS = ["inbox"]
    add_system(katsushika, "S-1", "住民記録システム", "2")
    session = training.record_session(
        katsushika.organization,
        actor=katsushika.system_admin,
        data=training.SessionInput(
            kind="contact_rollcall", title="緊急連絡・安否確認訓練", held_on=timezone.localdate()
        ),
    )
    emergency = drills.start(
        session,
        Declaration(
            kind="earthquake", intensity="6-", occurred_at=timezone.now(), scope="首都直下地震を想定"
        ),
        actor=katsushika.system_admin,
    )
    assert emergency.is_drill and emergency.training_session == session
    message = katsushika.deputy_1.inbox.get()
    assert message.subject.startswith("【訓練】")
    for person in division_members(katsushika):
        entry = RollCallEntry.objects.get(emergency=emergency, person=person)
        rollcall.answer(
            entry, rollcall.Answer(safety=Safety.SAFE, convening=Convening.NOW), actor=person, via="link"
        )
    item = emergency.recovery.get()
    checklist.update_item(
        item, checklist.ItemUpdate("recovered"), actor=katsushika.infrastructure_team, version=1
    )
    emergency = end(emergency, actor=katsushika.system_admin)

    steps = {s.label: s for s in drills.timings(emergency)}
    assert list(steps) == [
        "宣言", "最初の安否回答", "課の半数が回答", "全員が回答", "指揮者の確定", "全システムの確認完了", "全システムの復旧", "解除",
    ]  # fmt: skip
    assert all(s.minutes is not None and s.minutes >= 0 for s in steps.values())
    # A second drill of the same exercise is refused, as an incident drill would be.
    with pytest.raises(WrongState):
        drills.start(session, earthquake("6-"), actor=katsushika.system_admin)
    with pytest.raises(WrongState):
        training.start_drill(session, actor=katsushika.system_admin, scenario="x")


def test_someone_who_cannot_come_is_skipped_by_an_incidents_chain_too(katsushika, settings):
    """A cyber attack during the earthquake: the incident's page to the 電算機管理者 moves on to 代行者1 as soon
    as the roll-call says the 電算機管理者 cannot come (katsushika 4 前文: both bodies work side by side)."""
    from mamori.incidents.tests.scenario import report, triage

    settings.MAMORI_PAGE_CHANNELS = ["inbox"]
    incident = triage(katsushika, report(katsushika), level=2, category="cyber_attack")
    chain = Escalation.objects.get(incident=incident, role_key="system_admin")
    assert chain.pages.get(state=PageState.OPEN).recipient == katsushika.system_admin

    emergency = declare(
        katsushika.organization,
        Declaration(
            kind="earthquake",
            intensity="6-",
            occurred_at=timezone.now(),
            incident_reference=incident.reference,
        ),
        actor=katsushika.chief_system_officer,
    )
    assert emergency.incident == incident
    entry = RollCallEntry.objects.get(emergency=emergency, person=katsushika.system_admin)
    rollcall.answer(
        entry,
        rollcall.Answer(safety=Safety.SERIOUSLY_INJURED, convening=Convening.CANNOT),
        actor=katsushika.liaison_team,
        via="proxy",
    )
    page = chain.pages.get(state=PageState.OPEN)
    assert (page.recipient, page.acting_for) == (katsushika.deputy_1, katsushika.system_admin)
    skipped = JournalEntry.objects.filter(
        action="page.skipped_absent", data__incident=incident.reference
    ).get()
    assert skipped.data["recipient"] == katsushika.system_admin.username


def test_the_roll_call_goes_to_the_chat_webhook_signed(katsushika, webhook_receiver, settings):
    from mamori.paging.transports import sign

    settings.MAMORI_PAGE_CHANNELS = ["webhook"]
    emergency = declare(
        katsushika.organization, earthquake("5+", headquarters=True), actor=katsushika.chief_system_officer
    )
    assert rollcall.send_due() == 13
    assert len(webhook_receiver.requests) == 13
    posted = {r.json["recipient"]: r for r in webhook_receiver.requests}
    called = posted[katsushika.system_admin.username]
    assert called.json["emergency"] == emergency.reference and called.json["must_convene"] is True
    assert called.json["answer_url"] in called.json["text"] and "安否確認" in called.json["text"]
    assert posted[katsushika.business_system_team.username].json["must_convene"] is False
    timestamp = called.headers["X-Mamori-Timestamp"]
    assert called.headers["X-Mamori-Signature"] == f"sha256={sign(timestamp, called.body)}"
