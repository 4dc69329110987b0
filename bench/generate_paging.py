"""Escalations, pages and deliveries of the generated dataset (bench/generate.py), as the paging
services would have left them after ten years.

Who is paged: every report starts the escalations of its policy's ``escalation.on_report``
(``intake.services.submit_report``); triage and a level change start one per role the level names
(``refresh_obligations``; for open incidents tied to their checklist item, generate_extras.py); the
transitions start the policy's ``on_transition`` ones (``page_on_transition``); the worker starts the
outside-report reminders (``outside.check_report_clocks``, generate_extras.py).

Each escalation is played through as ``start_escalation``, ``advance_due``, ``_exhaust`` and
``acknowledge`` would: the chain of the role (``chain_for``, read once from the assignments) is paged
one person at a time, each ``Page`` with its deadline, token salt and hash, one ``Delivery`` per channel
in use (``channels_in_use``), each sent with a ``DeliveryAttempt`` (the in-app one leaving an
``InboxMessage`` composed as ``delivery.compose`` does); whoever does not answer in time is passed over
for the next; a chain nobody answers is exhausted and the fallback role paged; a chain still running
when its incident is closed is cancelled at the next check. Nearly every escalation was acknowledged
within minutes (in office hours more often and sooner); for the incidents still open a few are left
unanswered now (``Plan.unanswered``, generate_plan.py): some waiting, some overdue for the worker, some
exhausted (the banner on every page). On a restricted incident the people told who would not see it are
first added by name (``need_to_know.grant_for_duty``). Every step has the journal entry the services
write.
"""

import hashlib
import hmac
import json
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from generate_db import DAY_US, JST_US, Stamps, columns_of
from generate_journal import Events
from generate_people import Org, People

from mamori import wareki
from mamori.incidents.models import IncidentMember
from mamori.paging.models import Delivery, DeliveryAttempt, Escalation, Page

MINUTE_US = 60_000_000
HOUR_US = 60 * MINUTE_US
SYSTEM = "Mamori (escalation)"  # paging.services.SYSTEM
ESCALATION_COLUMNS = columns_of(
    Escalation,
    ("id", "incident", "emergency", "obligation", "key", "role_key", "text", "basis", "ack_minutes", "state", "chain", "step",
     "created_at", "next_check_at", "claimed_until", "claimed_by", "acknowledged_at", "acknowledged_by"),
)  # fmt: skip
PAGE_COLUMNS = columns_of(
    Page,
    ("id", "escalation", "recipient", "acting_for", "step", "is_fallback", "state", "paged_at", "deadline",
     "token_salt", "token_hash", "token_expires_at", "acknowledged_at"),
)  # fmt: skip
DELIVERY_COLUMNS = columns_of(
    Delivery,
    ("id", "page", "channel", "state", "attempts", "next_attempt_at", "claimed_until", "claimed_by", "sent_at",
     "last_error", "idempotency_key"),
)  # fmt: skip
ATTEMPT_COLUMNS = columns_of(DeliveryAttempt, ("id", "delivery", "at", "ok", "permanent", "detail"))
MEMBER_COLUMNS = columns_of(IncidentMember, ("id", "incident", "person", "reason", "added_by", "added_at"))
TABLES = {
    "escalations": ("paging_escalation", ESCALATION_COLUMNS),
    "pages": ("paging_page", PAGE_COLUMNS),
    "deliveries": ("paging_delivery", DELIVERY_COLUMNS),
    "attempts": ("paging_deliveryattempt", ATTEMPT_COLUMNS),
    "members": ("incidents_incidentmember", MEMBER_COLUMNS),
}
# The services' messages, looked up in the catalogue in Japanese (the people's language) by read_setup.
MESSAGES = {
    "acknowledged_by": "Acknowledged by %(who)s",
    "acting_for": " (acting for %(holder)s)",
    "statement": "%(who)s acted for %(holder)s",
    "overdue": "OVERDUE: %(report)s to %(body)s was due %(due)s",
    "due": "Due %(due)s: %(report)s to %(body)s",
    "told": "to be told by the policy",
}
MAIL_FAILURES = ("SMTP 451: b'4.7.1 Try again later'", "TimeoutError: timed out", "SMTPServerDisconnected: Connection unexpectedly closed")  # fmt: skip


@dataclass
class PagingSetup:
    """What the rows need from the database and the settings, read once (in the main process)."""

    chains: list[dict[str, list[int]]]  # per organisation: role key → people in paging order (chain_for)
    holders: list[dict[str, list[int]]]  # per organisation: role key → its own holder and deputies
    sees_restricted: list[frozenset[int]]  # view_all and a CSIRT role: see restricted incidents in full
    fallback: list[str]
    default_ack: list[int]
    role_titles: list[dict[str, str]]
    channels: tuple[str, ...]
    link_hours: int
    secret: bytes
    text: dict[str, str]


def read_setup(orgs: list[Org]) -> PagingSetup:
    from django.conf import settings
    from django.utils import translation

    from mamori.paging.services import chain_for
    from mamori.paging.transports import channels_in_use
    from mamori.people.models import Assignment

    setup = PagingSetup([], [], [], [], [], [], tuple(channels_in_use()), settings.MAMORI_ACK_LINK_HOURS,
                        settings.SECRET_KEY.encode(), {})  # fmt: skip
    for org in orgs:
        policy, org_id = org.policy, org.organization.pk
        setup.chains.append({r.key: chain_for(policy, org_id, r.key) for r in policy.roles})
        holders: dict[str, list[int]] = {}
        for key, person in Assignment.objects.filter(
            role__organization_id=org_id, role__active=True
        ).values_list("role__key", "person_id"):  # in the model's order: role, then holder before deputies
            holders.setdefault(key, []).append(person)
        setup.holders.append(holders)
        csirt = {r.key for r in policy.roles if r.csirt}
        setup.sees_restricted.append(
            frozenset(p for p in org.can("view_all") if org.roles_of.get(p, set()) & csirt)
        )
        setup.fallback.append(policy.escalation.fallback_role)
        setup.default_ack.append(policy.escalation.default_ack_minutes)
        setup.role_titles.append({r.key: r.title for r in policy.roles})
    with translation.override("ja"):
        setup.text = {key: translation.gettext(msgid) for key, msgid in MESSAGES.items()}
    return setup


@dataclass(slots=True)
class Subject:
    """The incident as paging reads it, while it is being generated."""

    org: int  # index of the organisation
    org_id: int
    incident_id: int
    ref: str
    title: str
    label: str  # of the incident in the journal
    open_until: int | None  # when it left the open states (closed, merged, not an incident); None: open
    final_state: str
    restricted_from: int | None = None  # triage, when it was marked restricted
    handler: int | None = None
    handler_at: int | None = None
    members: set[int] = field(default_factory=set)


def lognormal(rng: random.Random, median: float, sigma: float, low: float, high: float) -> int:
    return int(min(high, max(low, median * math.exp(rng.gauss(0.0, sigma)))))


class Paging:
    """Makes the rows of escalations (``start``) into ``rows`` (set per chunk) and their journal events."""

    def __init__(
        self, orgs: list[Org], setup: PagingSetup, people: People, first: dict[str, int], events: Events,
        stamps: Stamps, rng: random.Random, now: int,
    ):  # fmt: skip
        self.orgs, self.setup, self.people, self.events = orgs, setup, people, events
        self.stamps, self.rng, self.now = stamps, rng, now
        self.next = {table: first[table] for table, _columns in TABLES.values()}
        self.rows: dict[str, list[tuple[Any, ...]]] = {}
        self.emails = {p: contact.split(" / ")[0] for p, contact in people.contacts.items()}
        self._days: dict[int, str] = {}
        self._chain_texts: dict[tuple[int, str], tuple[str, list[str]]] = {}
        # For the manifest: escalations by (organisation, state now), open pages by person.
        self.states: Counter[tuple[int, str]] = Counter()
        self.open_pages: Counter[int] = Counter()

    def _chain_text(self, org: int, role: str, chain: list[int]) -> tuple[str, list[str]]:
        """The chain as the JSON column holds it, and as the journal names it."""
        usernames = self.people.usernames
        found = self._chain_texts[(org, role)] = (json.dumps(chain), [usernames[p] for p in chain])
        return found

    def _id(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value

    def local_text(self, us: int) -> str:
        """``wareki.format_datetime`` of an instant (Japan time, 和暦)."""
        day, rest = divmod(us + JST_US, DAY_US)
        text = self._days.get(day)
        if text is None:
            text = self._days[day] = wareki.format_date(date(1970, 1, 1) + timedelta(days=day))
        minutes = rest // MINUTE_US
        return f"{text} {minutes // 60:02d}:{minutes % 60:02d}"

    def notify_rules(self, org: int, level: int | None) -> list[tuple[str, str, str, str, int | None]]:
        """(key, role, text, basis, minutes) of each role the level names, as ``expected_obligations``
        lists them and ``refresh_obligations`` pages them."""
        spec = self.orgs[org].policy.level(level)
        titles = self.setup.role_titles[org]
        return [
            (
                f"notify:{n.role}",
                n.role,
                f"{titles.get(n.role, n.role)}: {n.text}",
                n.basis or "",
                n.within_minutes,
            )
            for n in (spec.notify if spec else [])
        ]

    def needs_grant(self, s: Subject, role: str, at: int) -> bool:
        """Whether starting an escalation for ``role`` now adds people to the restricted incident."""
        if s.restricted_from is None or at < s.restricted_from:
            return False
        sees = self.setup.sees_restricted[s.org]
        return any(
            p not in sees and p not in s.members and not (p == s.handler and (s.handler_at or 0) <= at)
            for p in self.setup.holders[s.org].get(role, [])
        )

    def _grant(self, s: Subject, role: str, actor: int | None, at: int) -> None:
        """``need_to_know.grant_for_duty``: the role's people who would not see the incident, by name."""
        setup = self.setup
        title = setup.role_titles[s.org].get(role, role)
        reason = f"{setup.text['told']}（{title}）"[:300]
        sees = setup.sees_restricted[s.org]
        for person in setup.holders[s.org].get(role, []):
            if person in sees or person in s.members or (person == s.handler and (s.handler_at or 0) <= at):
                continue
            s.members.add(person)
            member_id = self._id("incidents_incidentmember")
            self.rows["members"].append((member_id, s.incident_id, person, reason, actor, self.stamps.db(at)))
            self.events.add(
                at, s.org_id, actor, "incident.member_added", "incidents.incident", s.incident_id, s.label,
                {"person": self.people.usernames[person], "reason": reason, "restricted": True},
            )  # fmt: skip

    def start(
        self, s: Subject, *, key: str, role: str, text: str, basis: str, minutes: int | None, at: int,
        actor: int | str | None, obligation: int | None = None, mode: str = "",
    ) -> tuple[int, int, int | None] | None:  # fmt: skip
        """One escalation from ``at`` until now. ``mode``: "" (answered as people answer), "waiting" (nobody
        answers), "due" (nobody answers and the worker is behind). Returns (when, who, acting for whom) if
        it was acknowledged."""
        setup, rng, now, events = self.setup, self.rng, self.now, self.events
        usernames = self.people.usernames
        if self.needs_grant(s, role, at) and isinstance(actor, int):
            self._grant(s, role, actor, at)
        esc_id = self._id("paging_escalation")
        chain = setup.chains[s.org].get(role, [])
        chain_text, names = self._chain_texts.get((s.org, role)) or self._chain_text(s.org, role, chain)
        minutes = minutes or setup.default_ack[s.org]
        window = minutes * MINUTE_US
        label = f"{s.ref}: {role}"
        events.add(
            at, s.org_id, actor, "escalation.started", "paging.escalation", esc_id, label,
            {"incident": s.ref, "role": role, "text": text, "basis": basis, "ack_minutes": minutes,
             "chain": names},
        )  # fmt: skip
        pages: list[list[Any]] = []
        state, next_check, answer = "open", None, None
        t, step, holder = at, 0, (chain[0] if chain else None)
        while True:
            if step >= len(chain):
                state = "exhausted"
                answer = self._exhaust(s, esc_id, label, role, pages, t, window, mode)
                break
            person, acting = chain[step], (holder if step else None)
            deadline = t + window
            page = self._page(esc_id, label, person, acting, step, False, t, deadline)
            pages.append(page)
            events.add(
                t, s.org_id, SYSTEM, "page.sent", "paging.page", page[0], page[-1],
                {"incident": s.ref, "recipient": usernames[person], "step": step,
                 "acting_for": usernames[acting] if acting else None,
                 "deadline": self.stamps.utc_iso(deadline)},
            )  # fmt: skip
            delay = None if mode else self._delay(t, minutes, window)
            if delay is not None and t + delay <= now:
                answer = (t + delay, page)
                break
            check = deadline + rng.randint(1_000_000, 8_000_000)  # the worker looks every few seconds
            if delay is not None or check > now or (mode == "due" and deadline <= now < deadline + window):
                next_check = deadline  # still waiting now (overdue for the worker if the deadline passed)
                break
            if s.open_until is not None and check >= s.open_until:
                state = "cancelled"  # _advance: the incident is no longer open
                for other in pages:
                    other[4] = "closed" if other[4] == "open" else other[4]
                events.add(
                    check, s.org_id, SYSTEM, "escalation.cancelled", "paging.escalation", esc_id, label,
                    {"incident": s.ref, "subject_state": s.final_state},
                )  # fmt: skip
                break
            page[4] = "expired"
            events.add(
                check, s.org_id, SYSTEM, "page.expired", "paging.page", page[0], page[-1],
                {"incident": s.ref, "recipient": usernames[person]},
            )  # fmt: skip
            t, step = check, step + 1
        acknowledged = by = acting_for = None
        if answer is not None:
            acknowledged, page = answer
            by, acting_for = page[1], page[2]
            state = "acknowledged"
            self._acknowledge(s, role, page, pages, acknowledged)
        self.states[(s.org, state)] += 1
        if state == "open" and next_check is not None and next_check <= now:
            self.states[(s.org, "due")] += 1
        stamps = self.stamps
        self.rows["escalations"].append(
            (esc_id, s.incident_id, None, obligation, key, role, text, basis, minutes, state, chain_text, step,
             stamps.db(at), stamps.db(next_check), None, "", stamps.db(acknowledged), by)
        )  # fmt: skip
        self._write_pages(pages)
        return (acknowledged, by, acting_for) if acknowledged is not None and by is not None else None

    def _delay(self, paged: int, minutes: int, window: int) -> int | None:
        """How long the person takes to acknowledge, or None if not within the window."""
        rng = self.rng
        day, in_day = divmod(paged + JST_US, DAY_US)
        office = (day + 3) % 7 < 5 and 8.5 * HOUR_US <= in_day < 17.5 * HOUR_US
        if minutes >= 240:  # a day to answer (a report of the outcome)
            answered, median = 0.97, 90 * MINUTE_US
        elif office:
            answered, median = 0.93, 4 * MINUTE_US
        else:
            answered, median = 0.75, 12 * MINUTE_US
        if rng.random() >= answered:
            return None
        return lognormal(rng, median, 0.9, 15_000_000, window - 1_000_000)

    def _exhaust(
        self, s: Subject, esc_id: int, label: str, role: str, pages: list[list[Any]], at: int, window: int,
        mode: str,
    ) -> tuple[int, list[Any]] | None:  # fmt: skip
        """Nobody answered: the fallback role's people are paged (``_exhaust``); one of them acknowledges
        later, unless the chain is one left unanswered."""
        setup, rng = self.setup, self.rng
        fallback = setup.fallback[s.org]
        people = setup.chains[s.org].get(fallback, [])
        step = len(setup.chains[s.org].get(role, []))
        created = [self._page(esc_id, label, p, None, step, True, at, at + window) for p in people]
        pages.extend(created)
        usernames = self.people.usernames
        self.events.add(
            at, s.org_id, SYSTEM, "escalation.exhausted", "paging.escalation", esc_id, label,
            {"incident": s.ref, "role": role, "fallback_role": fallback,
             "fallback_people": [usernames[p] for p in people]},
        )  # fmt: skip
        if mode or not created:
            return None
        answered = at + lognormal(rng, 25 * MINUTE_US, 1.0, 2 * MINUTE_US, 12 * HOUR_US)
        return (answered, rng.choice(created)) if answered <= self.now else None

    def _acknowledge(self, s: Subject, role: str, page: list[Any], pages: list[list[Any]], at: int) -> None:
        """``acknowledge``: this page acknowledged, the other open ones closed, the journal entry."""
        text, labels, usernames = self.setup.text, self.people.labels, self.people.usernames
        for other in pages:
            if other[4] == "open":
                other[4] = "closed"
        page[4], page[9] = "acknowledged", at
        person, acting = page[1], page[2]
        statement = text["statement"] % {"who": labels[person], "holder": labels[acting]} if acting else ""
        self.events.add(
            at, s.org_id, person, "page.acknowledged", "paging.page", page[0], page[-1],
            {"incident": s.ref, "role": role, "via": "app" if self.rng.random() < 0.6 else "link",
             "acting_for": usernames[acting] if acting else None, "statement": statement, "fallback": page[5]},
        )  # fmt: skip

    def outcome(self, by: int, acting: int | None) -> str:
        """What ``acknowledge`` writes on the checklist item it completes."""
        text, labels = self.setup.text, self.people.labels
        done = text["acknowledged_by"] % {"who": labels[by]}
        return done + (text["acting_for"] % {"holder": labels[acting]} if acting else "")

    def _page(
        self, esc_id: int, label: str, person: int, acting: int | None, step: int, fallback: bool, paged: int,
        deadline: int,
    ) -> list[Any]:  # fmt: skip
        """A page as ``_create_page`` makes it: [id, recipient, acting for, step, state, fallback, paged at,
        deadline, salt, acknowledged at, escalation, journal label]; written by ``_write_pages``."""
        salt = f"{self.rng.getrandbits(128):032x}"  # tokens.new_salt
        page_label = f"{label} → {self.people.labels[person]}"
        return [self._id("paging_page"), person, acting, step, "open", fallback, paged, deadline, salt, None, esc_id,
                page_label]  # fmt: skip

    def _write_pages(self, pages: list[list[Any]]) -> None:
        """The pages with their final state, each sent on every channel in use (``delivery.deliver``).
        The in-app channel's ``InboxMessage`` rows are not made (bench/README.md)."""
        setup, rng, db, now, rows, ids = self.setup, self.rng, self.stamps.db, self.now, self.rows, self.next
        link, secret, random_ = setup.link_hours * HOUR_US, setup.secret, rng.random
        page_rows, delivery_rows, attempt_rows = rows["pages"], rows["deliveries"], rows["attempts"]
        for page in pages:
            (
                page_id,
                person,
                acting,
                step,
                state,
                fallback,
                paged,
                deadline,
                salt,
                acknowledged,
                esc_id,
                _l,
            ) = page
            # tokens.page_token and token_hash: the link of the message works as long as it has not expired.
            token = hmac.digest(secret, f"mamori.page-ack:{salt}".encode(), "sha256").hex()[:40]
            paged_text = db(paged)
            page_rows.append(
                (page_id, esc_id, person, acting, step, fallback, state, paged_text, db(deadline), salt,
                 hashlib.sha256(token.encode()).hexdigest(), db(paged + link), db(acknowledged))
            )  # fmt: skip
            if state == "open":
                self.open_pages[person] += 1
            for channel in setup.channels:
                delivery_id = ids["paging_delivery"]
                ids["paging_delivery"] = delivery_id + 1
                key = f"{rng.getrandbits(128):032x}"  # uuid4().hex
                sent = paged + 200_000 + int(random_() * (1_800_000 if channel == "inbox" else 5_800_000))
                if sent > now:  # not tried yet
                    delivery_rows.append((delivery_id, page_id, channel, "queued", 0, paged_text, None, "", None, "",
                                          key))  # fmt: skip
                    continue
                attempts, next_attempt = 1, paged_text
                if channel == "email" and random_() < 0.004 and sent + 31_000_000 <= now:
                    # A transient failure, tried again after the first backoff (30 s).
                    attempt_rows.append((self._id("paging_deliveryattempt"), delivery_id, db(sent), False, False,
                                         rng.choice(MAIL_FAILURES)))  # fmt: skip
                    attempts, next_attempt = 2, db(sent + 30_000_000)
                    sent += 30_000_000 + int(random_() * 900_000)
                sent_text = db(sent)
                detail = f"sent to {self.emails[person]}" if channel == "email" else "stored"
                attempt_rows.append(
                    (self._id("paging_deliveryattempt"), delivery_id, sent_text, True, False, detail)
                )
                delivery_rows.append((delivery_id, page_id, channel, "sent", attempts, next_attempt, None, "",
                                      sent_text, "", key))  # fmt: skip
