"""安否確認 (katsushika 4(2) 連絡調整チーム: 職員の安否確認; 6(1) 職員安否確認票（参集予測票）).

Every member of the division is asked, on every configured channel, with a link that works from a phone
without logging in: are you safe, is your family, can you come and when, can you work remotely. Those who
have not answered are reminded at the policy's intervals. An answer "cannot come" (or "later") makes the
person absent for paging until they can come: each chain waiting on them — the emergency's command chain,
an incident's — pages the next deputy at once (paging.services.skip_now).
"""

import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from mamori import wareki
from mamori.incidents.errors import Invalid, NotAllowed, WrongState
from mamori.journal.services import record
from mamori.paging.choices import Channel, DeliveryState
from mamori.paging.claims import claim
from mamori.paging.delivery import PENDING, mark_cancelled, mark_failed, mark_sent
from mamori.paging.models import Absence, InboxMessage
from mamori.paging.services import declare_absence, end_absence, skip_now
from mamori.paging.tokens import new_salt, rollcall_token, token_hash
from mamori.paging.transports import Message, TransportError, channels_in_use, post_webhook, send_mail
from mamori.people.models import User
from mamori.policy.schema_bcp import BcpSpec
from mamori.policy.services import document_of

from . import access
from .choices import AnsweredVia, Convening, Family, NoticeKind, Safety
from .convening import Member
from .models import Emergency, RollCallEntry, RollCallNotice

SYSTEM = "Mamori (roll-call)"
MESSAGE_MAX = 2000
# Sent by the worker; the in-app inbox is written at once (it is our own table).
SENT_CHANNELS = (Channel.EMAIL, Channel.WEBHOOK)


def answer_url(entry: RollCallEntry) -> str:
    """The one-tap link. ``MAMORI_LINK_BASE_URL`` may name the relay on the internet-facing segment
    (docs/operations.md), so that a phone outside the closed network can answer."""
    return settings.MAMORI_LINK_BASE_URL + reverse("rollcall:answer", args=[rollcall_token(entry.token_salt)])


def open_rollcall(emergency: Emergency, plan: BcpSpec, members: list[Member], *, now: datetime) -> None:
    """Ask every member (inside the declaration's transaction)."""
    first_reminder = plan.rollcall.reminder_minutes[:1]
    entries = []
    for member in members:
        salt = new_salt()
        entries.append(
            RollCallEntry(
                emergency=emergency,
                person_id=member.person_id,
                team=member.team,
                must_convene=member.must_convene,
                token_salt=salt,
                token_hash=token_hash(rollcall_token(salt)),
                token_expires_at=now + timedelta(hours=plan.rollcall.link_hours),
                asked_at=now,
                next_reminder_at=now + timedelta(minutes=first_reminder[0]) if first_reminder else None,
            )
        )
    RollCallEntry.objects.bulk_create(entries)
    created = list(RollCallEntry.objects.filter(emergency=emergency).select_related("person"))
    _queue(created, NoticeKind.FIRST, now=now)
    record(
        actor=SYSTEM,
        action="rollcall.opened",
        obj=emergency,
        data={
            "asked": [e.person.username for e in created],
            "must_convene": [e.person.username for e in created if e.must_convene],
        },
    )


def _queue(entries: list[RollCallEntry], kind: str, *, now: datetime) -> None:
    channels = channels_in_use()
    RollCallNotice.objects.bulk_create(
        [
            RollCallNotice(
                entry=entry, kind=kind, channel=channel, next_attempt_at=now, idempotency_key=uuid.uuid4().hex
            )
            for entry in entries
            for channel in channels
            if channel in SENT_CHANNELS
        ]
    )
    if Channel.INBOX in channels:
        messages = [(entry, compose(entry, kind)) for entry in entries]
        InboxMessage.objects.bulk_create(
            InboxMessage(recipient=entry.person, subject=m.subject[:300], body=m.body, created_at=now)
            for entry, m in messages
        )


def compose(entry: RollCallEntry, kind: str) -> Message:
    emergency = entry.emergency
    person = entry.person
    url = answer_url(entry)
    with translation.override(person.language or "ja"):
        drill = _("[DRILL] ") if emergency.is_drill else ""
        again = _("(reminder) ") if kind == NoticeKind.REMINDER else ""
        subject = _("%(drill)s%(again)s[Mamori] Safety roll-call %(emergency)s: please answer") % {
            "drill": drill,
            "again": again,
            "emergency": emergency,
        }
        basis = emergency.convening.get("basis") or "-"
        lines = [
            _("An emergency has been declared: %(emergency)s (occurred %(at)s).")
            % {
                "emergency": emergency,
                "at": wareki.format_datetime(emergency.occurred_at, person.date_style),
            },
            emergency.scope,
            "",
            _("You must come to your post (basis: %(basis)s).") % {"basis": basis}
            if entry.must_convene
            else _("You are not called in now: answer, and stand by."),
            "",
            _("Answer whether you are safe and whether you can come (one tap, from a phone too): %(url)s")
            % {"url": url},
        ]
    payload = {
        "emergency": emergency.reference,
        "recipient": person.username,
        "must_convene": entry.must_convene,
        "answer_url": url,
        "drill": emergency.is_drill,
    }
    return Message(
        subject=subject,
        body="\n".join(line for line in lines if line is not None),
        ack_url=url,
        payload=payload,
    )


def entry_for_token(token: str) -> RollCallEntry | None:
    if not token or len(token) > 100:
        return None
    return (
        RollCallEntry.objects.select_related("emergency", "person")
        .filter(token_hash=token_hash(token))
        .first()
    )


@dataclass
class Answer:
    safety: str
    convening: str
    family: str = Family.UNKNOWN
    arrives_at: datetime | None = None
    remote: bool | None = None
    message: str = ""

    def as_payload(self) -> dict[str, Any]:
        """As JSON, for the relay to keep until the main instance collects it."""
        return {**asdict(self), "arrives_at": self.arrives_at.isoformat() if self.arrives_at else None}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> "Answer":
        arrives = payload.get("arrives_at")
        return cls(
            safety=str(payload.get("safety", "")),
            convening=str(payload.get("convening", "")),
            family=str(payload.get("family", Family.UNKNOWN)),
            arrives_at=datetime.fromisoformat(arrives) if isinstance(arrives, str) and arrives else None,
            remote=payload.get("remote") if isinstance(payload.get("remote"), bool) else None,
            message=str(payload.get("message", ""))[: MESSAGE_MAX + 1],
        )

    @classmethod
    def from_form(cls, data: dict[str, Any]) -> "Answer":
        return cls(
            safety=data["safety"],
            convening=data["convening"],
            family=data["family"],
            arrives_at=data["arrives_at"],
            remote=data["remote"],
            message=data["message"],
        )


def check_answer(answer: Answer, now: datetime) -> None:
    """What every answer must be, wherever it is given (here, or on the relay: mamori/relay)."""
    errors: dict[str, str] = {}
    if answer.safety not in Safety.values:
        errors["safety"] = _("Say whether you are safe.")
    if answer.convening not in Convening.values:
        errors["convening"] = _("Say whether you can come.")
    if answer.family not in Family.values:
        errors["family"] = _("Choose one of the answers.")
    if answer.convening == Convening.LATER:
        if answer.arrives_at is None:
            errors["arrives_at"] = _("Say when you can come.")
        elif answer.arrives_at <= now:
            errors["arrives_at"] = _("The time you can come must be in the future.")
    if len(answer.message) > MESSAGE_MAX:
        errors["message"] = _("At most %(n)s characters.") % {"n": MESSAGE_MAX}
    if errors:
        raise Invalid(fields=errors)


def answer(entry: RollCallEntry, data: Answer, *, actor: Any, via: str) -> RollCallEntry:
    """Record (or correct) an answer. ``actor`` is the person themself (link, app, relay) or a member of
    the division who took it by phone (``via=proxy``)."""
    now = timezone.now()
    if via == AnsweredVia.PROXY:
        if getattr(actor, "organization_id", None) != entry.emergency.organization_id or not access.may_work(
            actor
        ):
            raise NotAllowed()
    elif getattr(actor, "pk", None) != entry.person_id:
        raise NotAllowed()
    check_answer(data, now)
    with transaction.atomic():
        entry = (
            RollCallEntry.objects.select_for_update().select_related("emergency", "person").get(pk=entry.pk)
        )
        if not entry.emergency.active:
            raise WrongState(_("This emergency has ended; the roll-call is closed."))
        entry.safety, entry.convening, entry.family = data.safety, data.convening, data.family
        entry.arrives_at = data.arrives_at if data.convening == Convening.LATER else None
        entry.remote, entry.message = data.remote, data.message.strip()
        entry.answered_at, entry.answered_via = now, via
        entry.answered_by = actor if via == AnsweredVia.PROXY else None
        entry.next_reminder_at = None
        _update_absence(entry, actor=actor, now=now)
        entry.save()
        record(
            actor=actor,
            action="rollcall.answered",
            obj=entry,
            organization=entry.emergency.organization,
            data={
                "emergency": entry.emergency.reference,
                "person": entry.person.username,
                "safety": entry.safety,
                "family": entry.family,
                "convening": entry.convening,
                "arrives_at": entry.arrives_at.isoformat() if entry.arrives_at else None,
                "remote": entry.remote,
                "message": entry.message,
                "via": via,
            },
        )
        if entry.absence_id:
            # Whoever waits on this person now pages the next one (katsushika 5(1)ア(ウ) 連絡が取れない場合).
            skip_now(
                entry.person,
                reason=_("Answered the roll-call of %(emergency)s: %(answer)s")
                % {"emergency": entry.emergency.reference, "answer": entry.get_convening_display()},
                at=now,
            )
    return entry


def _update_absence(entry: RollCallEntry, *, actor: Any, now: datetime) -> None:
    """Someone who cannot come is absent until the emergency ends; someone coming later, until then."""
    if entry.absence is not None:
        end_absence(entry.absence, actor=actor, at=now)
        entry.absence = None
    if entry.convening == Convening.NOW:
        return
    # Until the emergency ends (close_rollcall ends it then), or until they arrive.
    until = (
        entry.arrives_at
        if entry.convening == Convening.LATER and entry.arrives_at
        else now + timedelta(days=365)
    )
    entry.absence = declare_absence(
        entry.person,
        actor=actor,
        starts_at=now,
        ends_at=until,
        reason=_("Roll-call %(emergency)s: %(answer)s")
        % {"emergency": entry.emergency.reference, "answer": entry.get_convening_display()},
    )


def close_rollcall(emergency: Emergency, *, actor: Any, now: datetime) -> None:
    """At the end of the emergency: no more reminders, and nobody is absent because of it any more."""
    RollCallEntry.objects.filter(emergency=emergency).update(next_reminder_at=None)
    RollCallNotice.objects.filter(entry__emergency=emergency, state__in=PENDING).update(
        state=DeliveryState.CANCELLED
    )
    for absence in Absence.objects.filter(rollcallentry__emergency=emergency, ends_at__gt=now):
        end_absence(absence, actor=actor, at=now)


def send_reminders(*, limit: int = 200) -> int:
    """Worker job: remind those who have not answered, at the policy's intervals after the first message."""
    now = timezone.now()
    due = list(
        RollCallEntry.objects.filter(
            answered_at__isnull=True, next_reminder_at__lte=now, emergency__state="active"
        )
        .select_related("emergency__policy", "person")
        .order_by("next_reminder_at")[:limit]
    )
    for entry in due:
        with transaction.atomic():
            # Only one worker reminds: the row is taken by moving its next reminder on.
            plan = document_of(entry.emergency.policy).bcp
            minutes = plan.rollcall.reminder_minutes if plan else []
            following = minutes[entry.reminders + 1] if entry.reminders + 1 < len(minutes) else None
            taken = RollCallEntry.objects.filter(
                pk=entry.pk, answered_at__isnull=True, next_reminder_at=entry.next_reminder_at
            ).update(
                reminders=entry.reminders + 1,
                next_reminder_at=entry.asked_at + timedelta(minutes=following) if following else None,
            )
            if not taken:
                continue
            _queue([entry], NoticeKind.REMINDER, now=now)
            record(
                actor=SYSTEM,
                action="rollcall.reminded",
                obj=entry,
                organization=entry.emergency.organization,
                data={
                    "emergency": entry.emergency.reference,
                    "person": entry.person.username,
                    "reminder": entry.reminders + 1,
                },
            )
    return len(due)


def send_due(*, limit: int = 100, should_stop: Callable[[], bool] = lambda: False) -> int:
    """Worker job: send the roll-call's messages that are due (mail, webhook), retrying with backoff."""
    sent = 0
    while sent < limit and not should_stop():
        now = timezone.now()
        ids = claim(
            RollCallNotice.objects.filter(state__in=PENDING, next_attempt_at__lte=now),
            limit=20,
            order_by="next_attempt_at",
        )
        if not ids:
            break
        notices = RollCallNotice.objects.select_related("entry__emergency", "entry__person").in_bulk(ids)
        for pk in ids:
            sent += _deliver(notices[pk], now=now)
    return sent


def _deliver(notice: RollCallNotice, *, now: datetime) -> int:
    entry = notice.entry
    if entry.answered_at is not None or not entry.emergency.active or notice.state not in PENDING:
        mark_cancelled(notice)
        return 0
    notice.attempts += 1
    message = compose(entry, notice.kind)
    try:
        if notice.channel == Channel.EMAIL:
            send_mail(entry.person.email, message, notice.idempotency_key)
        else:
            post_webhook(message, notice.idempotency_key)
    except TransportError as exc:
        mark_failed(notice, exc, now=now)
        return 0
    mark_sent(notice, now=now)
    return 1


def _reach(emergency: Emergency) -> dict[int, str]:
    """Whether each person's messages got out: "sent" (one channel did), "failed" (every channel gave up:
    the liaison team should telephone), "pending" (still trying). One query for the whole board."""
    states: dict[int, set[str]] = {}
    for entry_id, state in RollCallNotice.objects.filter(entry__emergency=emergency).values_list(
        "entry_id", "state"
    ):
        states.setdefault(entry_id, set()).add(state)
    reach = {}
    for entry_id, seen in states.items():
        if DeliveryState.SENT in seen:
            reach[entry_id] = "sent"
        elif seen <= {DeliveryState.FAILED, DeliveryState.CANCELLED} and DeliveryState.FAILED in seen:
            reach[entry_id] = "failed"
        elif seen & set(PENDING):
            reach[entry_id] = "pending"
    return reach


@dataclass
class TeamCount:
    key: str
    label: str
    asked: int = 0
    answered: int = 0
    safe: int = 0
    injured: int = 0
    coming_now: int = 0
    coming_later: int = 0
    cannot: int = 0
    remote: int = 0
    must_convene: int = 0
    must_convene_coming: int = 0


def board(emergency: Emergency) -> tuple[list[TeamCount], list[RollCallEntry]]:
    """The live board: counts per team (the command chain first), and every entry."""
    plan = document_of(emergency.policy).bcp
    labels = {"": _("Command")} | ({t.key: t.label for t in plan.teams} if plan else {})
    counts = {key: TeamCount(key, label) for key, label in labels.items()}
    entries = list(
        RollCallEntry.objects.filter(emergency=emergency)
        .select_related("person", "answered_by")
        .order_by("pk")
    )
    reach = _reach(emergency)
    for entry in entries:
        entry.reach = reach.get(entry.pk, "")
        count = counts.setdefault(entry.team, TeamCount(entry.team, entry.team))
        count.asked += 1
        count.must_convene += entry.must_convene
        if not entry.answered:
            continue
        count.answered += 1
        count.safe += entry.safety == Safety.SAFE
        count.injured += entry.safety != Safety.SAFE
        count.coming_now += entry.convening == Convening.NOW
        count.coming_later += entry.convening == Convening.LATER
        count.cannot += entry.convening == Convening.CANNOT
        count.remote += bool(entry.remote)
        count.must_convene_coming += entry.must_convene and entry.convening != Convening.CANNOT
    order = {key: i for i, key in enumerate(labels)}
    entries.sort(key=lambda e: (order.get(e.team, 99), e.answered, e.pk))
    return [c for c in counts.values() if c.asked], entries


def person_entry(emergency: Emergency, person: User) -> RollCallEntry | None:
    return RollCallEntry.objects.filter(emergency=emergency, person=person).first()
