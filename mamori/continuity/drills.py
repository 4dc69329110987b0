"""Exercises of the plan (katsushika 6(4)): 机上訓練, 緊急連絡・安否確認訓練, システム復旧訓練 — the same flows
as a real emergency (declaration, roll-call, command chain, recovery checklist), flagged as a drill from
the first message on, kept in the training register with the minutes each step took."""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from mamori.incidents.errors import NotAllowed, WrongState
from mamori.journal.services import record
from mamori.paging.models import Escalation
from mamori.training.models import COURSE, TrainingSession
from mamori.training.services import Step, may_record

from . import services
from .choices import RecoveryStatus
from .models import Emergency, RecoveryItem, RollCallEntry


def exercise_runs_emergency(policy: Any, kind: str) -> bool:
    spec = policy.training
    exercise = next((e for e in spec.exercises if e.key == kind), None) if spec else None
    return bool(exercise and exercise.emergency and policy.bcp)


def start(session: TrainingSession, data: services.Declaration, *, actor: Any) -> Emergency:
    if not may_record(actor) or actor.organization_id != session.organization_id:
        raise NotAllowed()
    if session.kind == COURSE:
        raise WrongState(_("A training course has no drill; record an exercise."))
    with transaction.atomic():
        session = TrainingSession.objects.select_for_update().get(pk=session.pk)
        if session.drill_incident_id or Emergency.objects.filter(training_session=session).exists():
            raise WrongState(_("This exercise already has its drill."))
        data.is_drill = True
        emergency = services.declare(session.organization, data, actor=actor, training_session=session)
        record(
            actor=actor,
            action="training.drill_started",
            obj=session,
            data={"emergency": emergency.reference, "scenario": data.scope},
        )
    return emergency


def timings(emergency: Emergency) -> list[Step]:
    """How long each step of the drill took, from the emergency's own record."""
    start_at = emergency.declared_at
    entries = RollCallEntry.objects.filter(emergency=emergency)
    asked = entries.count()
    answered_at = sorted(a for a in entries.values_list("answered_at", flat=True) if a)
    half = answered_at[(asked + 1) // 2 - 1] if asked and len(answered_at) >= (asked + 1) // 2 else None
    everyone = answered_at[-1] if asked and len(answered_at) == asked else None
    command = (
        Escalation.objects.filter(emergency=emergency, key=services.COMMAND_KEY)
        .values_list("acknowledged_at", flat=True)
        .first()
    )
    items = RecoveryItem.objects.filter(emergency=emergency)
    checked = recovered = None
    if items.exists() and not items.filter(status=RecoveryStatus.UNCHECKED).exists():
        checked = items.aggregate(Max("checked_at"))["checked_at__max"]
    if (
        items.exists()
        and not items.exclude(status__in=[RecoveryStatus.RECOVERED, RecoveryStatus.UNAFFECTED]).exists()
    ):
        recovered = items.aggregate(Max("updated_at"))["updated_at__max"]

    def step(label: str, at: datetime | None) -> Step:
        return Step(label, at, round((at - start_at).total_seconds() / 60, 1) if at else None)

    return [
        step(pgettext("drill step", "Declared"), start_at),
        step(pgettext("drill step", "First roll-call answer"), answered_at[0] if answered_at else None),
        step(pgettext("drill step", "Half of the division answered"), half),
        step(pgettext("drill step", "Everyone answered"), everyone),
        step(pgettext("drill step", "Command taken"), command),
        step(pgettext("drill step", "Every system checked"), checked),
        step(pgettext("drill step", "Every system recovered"), recovered),
        step(pgettext("drill step", "Ended"), emergency.ended_at),
    ]
