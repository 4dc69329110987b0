"""Escalation: page the people of a role one after another until one acknowledges.

The policy says which role must be told of what, and by when (komae 第10条第2項; tatebayashi
5.3(1); edogawa 基準第27条). Assignments give the people: the holder (order 0), then the deputies
(order 1, 2, 3 — katsushika 5(1)ア 代行者1→2→3), then the holders of the roles the policy names as
deputies of the role (komae 第4条第4項). A person with a declared absence is skipped at once. If
nobody acknowledges, the policy's fallback role is paged and a banner is shown on every page until
someone does. Every step is journaled; sending is the worker's job (``delivery.py``).
"""

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mamori.incidents.choices import State
from mamori.incidents.errors import Invalid
from mamori.incidents.models import Incident, Obligation
from mamori.journal.services import record
from mamori.people.models import Assignment, User
from mamori.policy.schema import PolicyDocument
from mamori.policy.services import document_of

from .choices import DeliveryState, EscalationState, PageState
from .claims import claim, release
from .models import Absence, Delivery, Escalation, Page
from .tokens import new_salt, page_token, token_hash
from .transports import channels_in_use

SYSTEM = "Mamori (escalation)"


def chain_with_names(policy: PolicyDocument, organization_id: int, role_key: str) -> dict[int, str]:
    """People to page for ``role_key``, in order — its holder and deputies, then its deputy roles' —
    as person id → user name (the journal names them)."""
    role_keys = [role_key]
    spec = policy.role(role_key)
    if spec is not None:
        role_keys += [k for k in spec.deputies if k != role_key]
    assignments = Assignment.objects.filter(
        role__organization_id=organization_id,
        role__key__in=role_keys,
        role__active=True,
        person__is_active=True,
    ).values_list("role__key", "order", "person_id", "person__username")
    ranked = sorted(assignments, key=lambda a: (role_keys.index(a[0]), a[1]))
    chain: dict[int, str] = {}
    for _role, _order, person_id, username in ranked:
        chain.setdefault(person_id, username)
    return chain


def chain_for(policy: PolicyDocument, organization_id: int, role_key: str) -> list[int]:
    """People to page for ``role_key``, in order (``chain_with_names`` without the names)."""
    return list(chain_with_names(policy, organization_id, role_key))


def is_absent(person_id: int, at: datetime) -> bool:
    return Absence.objects.filter(person_id=person_id, starts_at__lte=at, ends_at__gt=at).exists()


def start_escalation(
    incident: Incident,
    *,
    actor: Any,
    key: str,
    role_key: str,
    text: str,
    basis: str,
    ack_minutes: int | None,
    obligation: Obligation | None = None,
    fresh: bool = False,
) -> Escalation | None:
    """Begin paging ``role_key`` about ``incident``. Runs inside the caller's transaction, so the
    duty and its pages are saved together or not at all. Once per incident and rule key
    (``fresh``: the incident was opened in this transaction, so it has no escalation to look for)."""
    if not fresh and Escalation.objects.filter(incident=incident, key=key).exists():
        return None
    if incident.restricted:
        # A restricted incident: whoever the policy says must be told needs to know of it.
        # (Imported here: mamori.incidents.services imports this module.)
        from mamori.incidents import need_to_know

        need_to_know.grant_for_duty(
            incident, actor=actor, role_key=role_key, duty=need_to_know.TOLD_BY_POLICY
        )
    return _begin(
        Escalation(incident=incident, obligation=obligation),
        actor=actor,
        key=key,
        role_key=role_key,
        text=text,
        basis=basis,
        ack_minutes=ack_minutes,
    )


def start_emergency_chain(
    emergency: Any, *, actor: Any, key: str, role_key: str, text: str, basis: str, ack_minutes: int
) -> Escalation:
    """Page the command role of an emergency (katsushika 5(1)ア(ウ): 電算機管理者, then 代行者1・2・3).
    Runs inside the caller's transaction (the declaration)."""
    return _begin(
        Escalation(emergency=emergency),
        actor=actor,
        key=key,
        role_key=role_key,
        text=text,
        basis=basis,
        ack_minutes=ack_minutes,
    )


def _begin(
    escalation: Escalation,
    *,
    actor: Any,
    key: str,
    role_key: str,
    text: str,
    basis: str,
    ack_minutes: int | None,
) -> Escalation:
    subject = escalation.subject
    policy = document_of(subject.policy)
    now = timezone.now()
    names = chain_with_names(policy, subject.organization_id, role_key)
    escalation.key, escalation.role_key, escalation.text, escalation.basis = key, role_key, text, basis
    escalation.ack_minutes = ack_minutes or policy.escalation.default_ack_minutes
    escalation.chain, escalation.created_at = list(names), now
    escalation.save()
    record(
        actor=actor,
        action="escalation.started",
        obj=escalation,
        organization=subject.organization,
        data={
            **escalation.subject_data(),
            "role": role_key,
            "text": text,
            "basis": basis,
            "ack_minutes": escalation.ack_minutes,
            "chain": list(names.values()),
        },
    )
    _page_next(escalation, now=now, names=names)
    return escalation


def _usernames(ids: list[int]) -> list[str]:
    names = dict(User.objects.filter(pk__in=ids).values_list("pk", "username"))
    return [names.get(i, str(i)) for i in ids]


def _page_next(escalation: Escalation, *, now: datetime, names: dict[int, str] | None = None) -> None:
    """Page the next present person of the chain from ``escalation.step``; exhaust when none is left.
    ``names``: user names of the chain's people, when the caller has them (the journal names them)."""
    chain = escalation.chain
    holder_id = chain[0] if chain else None

    def username(page: Page) -> str:
        return (names or {}).get(page.recipient_id) or page.recipient.username

    while escalation.step < len(chain):
        person_id = chain[escalation.step]
        acting_for = holder_id if escalation.step > 0 else None
        if is_absent(person_id, now):
            page = _create_page(escalation, person_id, acting_for, now=now, state=PageState.SKIPPED)
            record(
                actor=SYSTEM,
                action="page.skipped_absent",
                obj=page,
                organization=escalation.subject.organization,
                data={**escalation.subject_data(), "recipient": username(page)},
            )
            escalation.step += 1
            continue
        page = _create_page(escalation, person_id, acting_for, now=now)
        escalation.next_check_at = page.deadline
        escalation.save(update_fields=["step", "next_check_at"])
        record(
            actor=SYSTEM,
            action="page.sent",
            obj=page,
            organization=escalation.subject.organization,
            data={
                **escalation.subject_data(),
                "recipient": username(page),
                "step": page.step,
                "acting_for": page.acting_for.username if page.acting_for else None,
                "deadline": page.deadline.isoformat(),
            },
        )
        return
    _exhaust(escalation, now=now)


def _create_page(
    escalation: Escalation,
    person_id: int,
    acting_for: int | None,
    *,
    now: datetime,
    state: str = PageState.OPEN,
    fallback: bool = False,
) -> Page:
    salt = new_salt()
    page = Page.objects.create(
        escalation=escalation,
        recipient_id=person_id,
        acting_for_id=acting_for,
        step=escalation.step,
        is_fallback=fallback,
        state=state,
        paged_at=now,
        deadline=now + timedelta(minutes=escalation.ack_minutes),
        token_salt=salt,
        token_hash=token_hash(page_token(salt)),
        token_expires_at=now + timedelta(hours=settings.MAMORI_ACK_LINK_HOURS),
    )
    if state == PageState.OPEN:
        Delivery.objects.bulk_create(
            [
                Delivery(page=page, channel=channel, next_attempt_at=now, idempotency_key=uuid.uuid4().hex)
                for channel in channels_in_use()
            ]
        )
    return page


def _exhaust(escalation: Escalation, *, now: datetime) -> None:
    """Nobody in the chain acknowledged: page the fallback role's people and raise the banner."""
    subject = escalation.subject
    policy = document_of(subject.policy)
    fallback = policy.escalation.fallback_role
    escalation.state = EscalationState.EXHAUSTED
    escalation.next_check_at = None
    escalation.save(update_fields=["state", "next_check_at", "step"])
    people = [p for p in chain_for(policy, subject.organization_id, fallback) if not is_absent(p, now)]
    for person_id in people:
        _create_page(escalation, person_id, None, now=now, fallback=True)
    record(
        actor=SYSTEM,
        action="escalation.exhausted",
        obj=escalation,
        organization=subject.organization,
        data={
            **escalation.subject_data(),
            "role": escalation.role_key,
            "fallback_role": fallback,
            "fallback_people": _usernames(people),
        },
    )


def acknowledge(page: Page, *, actor: Any, via: str) -> Escalation:
    """The recipient acknowledges (from the mail's link or in the app). Stops the chain, closes the
    other pages, and marks the policy's obligation as done by this person."""
    if getattr(actor, "pk", None) != page.recipient_id:
        raise PermissionError("only the recipient can acknowledge a page")
    with transaction.atomic():
        escalation = (
            Escalation.objects.select_for_update(of=("self",))
            .select_related("incident", "emergency")
            .get(pk=page.escalation_id)
        )
        page = Page.objects.select_for_update(of=("self",)).select_related("acting_for").get(pk=page.pk)
        if escalation.state == EscalationState.ACKNOWLEDGED:
            return escalation
        now = timezone.now()
        page.state, page.acknowledged_at = PageState.ACKNOWLEDGED, now
        page.save(update_fields=["state", "acknowledged_at"])
        escalation.pages.filter(state=PageState.OPEN).exclude(pk=page.pk).update(state=PageState.CLOSED)
        Delivery.objects.filter(
            page__escalation=escalation, state__in=[DeliveryState.QUEUED, DeliveryState.RETRYING]
        ).exclude(page=page).update(state=DeliveryState.CANCELLED)
        escalation.state, escalation.acknowledged_at, escalation.acknowledged_by = (
            EscalationState.ACKNOWLEDGED,
            now,
            actor,
        )
        escalation.next_check_at = None
        escalation.save(update_fields=["state", "acknowledged_at", "acknowledged_by", "next_check_at"])
        acted_for = page.acting_for
        record(
            actor=actor,
            action="page.acknowledged",
            obj=page,
            organization=escalation.subject.organization,
            data={
                **escalation.subject_data(),
                "role": escalation.role_key,
                "via": via,
                "acting_for": acted_for.username if acted_for else None,
                "statement": (_("%(who)s acted for %(holder)s") % {"who": actor, "holder": acted_for})
                if acted_for
                else "",
                "fallback": page.is_fallback,
            },
        )
        if escalation.obligation_id:
            outcome = _("Acknowledged by %(who)s") % {"who": actor}
            if acted_for:
                outcome += _(" (acting for %(holder)s)") % {"holder": acted_for}
            Obligation.objects.filter(pk=escalation.obligation_id, done_at__isnull=True).update(
                done_at=now, done_by=actor, outcome=outcome
            )
    return escalation


def page_for_token(token: str) -> Page | None:
    if not token or len(token) > 100:
        return None
    return (
        Page.objects.select_related(
            "escalation__incident", "escalation__emergency", "recipient", "acting_for"
        )
        .filter(token_hash=token_hash(token))
        .first()
    )


def advance_due(*, limit: int = 100) -> int:
    """Worker job: for each escalation whose current page passed its deadline, page the next person."""
    now = timezone.now()
    due = Escalation.objects.filter(state=EscalationState.OPEN, next_check_at__lte=now)
    done = 0
    for pk in claim(due, limit=limit, order_by="next_check_at"):
        with transaction.atomic():
            escalation = (
                Escalation.objects.select_for_update(of=("self",))
                .select_related("incident", "emergency")
                .get(pk=pk)
            )
            if (
                escalation.state == EscalationState.OPEN
                and escalation.next_check_at
                and escalation.next_check_at <= now
            ):
                _advance(escalation, now=now)
                done += 1
        release(Escalation, pk)
    return done


def _advance(escalation: Escalation, *, now: datetime) -> None:
    subject = escalation.subject
    # An incident closed, or an emergency ended, in the meantime: nobody needs to be told any more.
    still_open = subject.state in State.open_states() if escalation.incident_id else subject.active
    if not still_open:
        escalation.state, escalation.next_check_at = EscalationState.CANCELLED, None
        escalation.save(update_fields=["state", "next_check_at"])
        escalation.pages.filter(state=PageState.OPEN).update(state=PageState.CLOSED)
        record(
            actor=SYSTEM,
            action="escalation.cancelled",
            obj=escalation,
            organization=subject.organization,
            data={**escalation.subject_data(), "subject_state": subject.state},
        )
        return
    for page in escalation.pages.filter(state=PageState.OPEN).select_related("recipient"):
        page.state = PageState.EXPIRED
        page.save(update_fields=["state"])
        record(
            actor=SYSTEM,
            action="page.expired",
            obj=page,
            organization=subject.organization,
            data={**escalation.subject_data(), "recipient": page.recipient.username},
        )
    escalation.step += 1
    _page_next(escalation, now=now)


def move_on_after_permanent_failure(page: Page) -> None:
    """Every channel of this page failed for good: do not wait for the deadline."""
    open_deliveries = page.deliveries.exclude(state=DeliveryState.FAILED).exists()
    if not open_deliveries and page.state == PageState.OPEN:
        Escalation.objects.filter(pk=page.escalation_id, state=EscalationState.OPEN).update(
            next_check_at=timezone.now()
        )


def declare_absence(
    person: Any, *, actor: Any, starts_at: datetime, ends_at: datetime, reason: str = ""
) -> Absence:
    if ends_at <= starts_at:
        raise Invalid(fields={"ends_at": _("The end must be after the start.")})
    with transaction.atomic():
        absence = Absence.objects.create(
            person=person,
            starts_at=starts_at,
            ends_at=ends_at,
            reason=reason.strip()[:200],
            created_at=timezone.now(),
        )
        record(
            actor=actor,
            action="absence.declared",
            obj=absence,
            organization=person.organization,
            data={
                "person": person.username,
                "from": starts_at.isoformat(),
                "until": ends_at.isoformat(),
                "reason": reason,
            },
        )
    return absence


def end_absence(absence: Absence, *, actor: Any, at: datetime) -> Absence:
    """End an absence early (the person can be paged again from ``at``)."""
    with transaction.atomic():
        absence = Absence.objects.select_for_update().select_related("person").get(pk=absence.pk)
        if absence.ends_at <= at:
            return absence
        absence.ends_at = max(at, absence.starts_at + timedelta(seconds=1))
        absence.save(update_fields=["ends_at"])
        record(
            actor=actor,
            action="absence.ended",
            obj=absence,
            organization=absence.person.organization,
            data={"person": absence.person.username, "until": absence.ends_at.isoformat()},
        )
    return absence


def skip_now(person: Any, *, reason: str, at: datetime | None = None) -> int:
    """``person`` has become unavailable (they answered a roll-call that they cannot come): each chain
    waiting on them skips them at once and pages the next person, as for a declared absence. Runs in
    the caller's transaction, after the absence is saved; returns how many chains moved on."""
    now = at or timezone.now()
    moved = 0
    open_pages = Page.objects.filter(
        recipient=person, state=PageState.OPEN, is_fallback=False, escalation__state=EscalationState.OPEN
    ).values_list("pk", "escalation_id")
    for page_pk, escalation_pk in list(open_pages):
        escalation = (
            Escalation.objects.select_for_update(of=("self",))
            .select_related("incident", "emergency")
            .get(pk=escalation_pk)
        )
        page = Page.objects.select_for_update(of=("self",)).get(pk=page_pk)
        if escalation.state != EscalationState.OPEN or page.state != PageState.OPEN:
            continue
        page.state = PageState.SKIPPED
        page.save(update_fields=["state"])
        Delivery.objects.filter(page=page, state__in=[DeliveryState.QUEUED, DeliveryState.RETRYING]).update(
            state=DeliveryState.CANCELLED
        )
        record(
            actor=SYSTEM,
            action="page.skipped_absent",
            obj=page,
            organization=escalation.subject.organization,
            data={**escalation.subject_data(), "recipient": person.username, "reason": reason},
        )
        escalation.step += 1
        _page_next(escalation, now=now)
        moved += 1
    return moved


BANNER_SCAN = 500  # exhausted chains read for the banner, across all organisations


def banner_escalations(organization_id: int | None) -> list[Escalation]:
    """Chains nobody acknowledged: shown on every page until someone does."""
    if not organization_id:
        return []
    # Exhausted chains are few in the whole installation (each an emergency someone answers soon), so
    # they are read by the index on state and kept here if they are the organisation's. Any condition on
    # the organisation in SQL let SQLite's planner start from the organisation's million incidents
    # instead (0.7 s on every page at 1M, docs/performance.md), depending on its statistics.
    exhausted = (
        Escalation.objects.filter(state=EscalationState.EXHAUSTED)
        .select_related("incident", "emergency")
        .order_by("next_check_at")[:BANNER_SCAN]  # the order of the index (state, next_check_at)
    )
    return [e for e in exhausted if e.subject.organization_id == organization_id][:5]
