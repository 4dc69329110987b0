"""The checklist, outside reports and tasks of the incidents still being handled (bench/generate.py).

What triage lists (``services.expected_obligations``: whom to tell, which outside bodies to decide on,
the category's checklist, the records to keep, the publication decision), the reports owed to outside
bodies with their legal clocks (``outside.body_applies`` and ``outside.clock_due``, e.g. 個人情報保護委員会
速報 and 確報 for personal data of more than 100 people) with the worker's reminders and pages
(``outside.check_report_clocks``), and tasks given to a responder or a role. Listed at triage for its
level and again at a level change for what the new level adds (``refresh_obligations``); each role to be
told is paged (generate_paging.py) and its item done when someone acknowledges. Only for open incidents:
these are what the dashboard and the detail pages of current work show; the closed ones of earlier years
carry none (the register and statistics do not read them; their escalations are made without an item).
"""

import json
import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from generate_db import Stamps, columns_of, datetime_of, us_of
from generate_journal import Events
from generate_paging import Paging, Subject
from generate_people import Org
from generate_plan import DAY_US, HOUR_US, MINUTE_US, Plan

from mamori.incidents.choices import ObligationKind
from mamori.incidents.models import ExternalReport, Obligation, Task
from mamori.incidents.outside import body_applies, clock_due
from mamori.incidents.services import expected_obligations

OBLIGATION_COLUMNS = columns_of(
    Obligation,
    ("id", "incident", "key", "kind", "role_key", "text", "basis", "due_at", "created_at", "done_at", "done_by",
     "outcome", "waived"),
)  # fmt: skip
EXTERNAL_COLUMNS = columns_of(
    ExternalReport,
    ("id", "incident", "body_key", "body_name", "kind", "label", "basis", "form", "decided_by", "due_at", "status",
     "draft_text", "sent_at", "sent_reference", "waived_reason", "handled_by", "created_at", "reminded",
     "next_check_at", "claimed_until", "claimed_by"),
)  # fmt: skip
TASK_COLUMNS = columns_of(
    Task,
    ("id", "incident", "title", "details", "assignee", "assignee_role", "due_at", "state", "result", "created_at",
     "created_by", "done_at", "done_by"),
)  # fmt: skip
TABLES = {
    "obligations": ("incidents_obligation", OBLIGATION_COLUMNS),
    "external_reports": ("incidents_externalreport", EXTERNAL_COLUMNS),
    "tasks": ("incidents_task", TASK_COLUMNS),
}
TASKS = (
    "同様の脆弱性がないか他のシステムを点検する",
    "関係する端末のログを保全する",
    "保守事業者に原因の調査を依頼する",
    "影響を受けた住民の一覧を作成する",
    "所管課に注意喚起の文書を配付する",
    "バックアップの取得状況を確認する",
)
CLOCK = "Mamori (outside-report clock)"  # the actor of outside.check_report_clocks
OUTCOMES = ("対応済み。記録を台帳に添付した。", "該当なしを確認した。", "関係者に連絡し、了承を得た。")


@dataclass(slots=True)
class Facts:
    """What the policy's rules read of an incident (level, category, flags, facts, when it became known)."""

    level: int | None
    category: str
    personal_data: bool
    aware_at: datetime
    opened_at: datetime
    report_facts: dict[str, Any] = field(default_factory=dict)


class Extras:
    def __init__(
        self, first: dict[str, int], labels: dict[int, str], stamps: Stamps, rng: random.Random, now: int,
        paging: Paging,
    ):  # fmt: skip
        self.next = {table: first[table] for table, _columns in TABLES.values()}
        self.labels, self.stamps, self.rng, self.now, self.paging = labels, stamps, rng, now, paging

    def _id(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value

    def add(
        self,
        rows: dict[str, list[tuple[Any, ...]]],
        events: Events,
        plan: Plan,
        org: Org,
        incident: tuple[int, str, str],
        handler: int | None,
        fields: dict[str, Any],
    ) -> tuple[int, int]:
        """Rows and journal events of one open incident (id, reference, journal label); the facts for
        outside reports go in ``fields`` (which brings the triage's level and people, and the incident
        as paging reads it). Returns (changes of the incident's version, time of the last)."""
        if plan.triaged is None:
            return 0, 0
        rng, now = self.rng, self.now
        incident_id, ref, label = incident
        org_id = org.organization.pk
        triaged = datetime_of(plan.triaged)
        # At triage nothing is known yet of the facts the outside-report rules ask for.
        facts = Facts(
            fields["first_level"], plan.category, plan.personal_data, triaged, datetime_of(plan.opened)
        )
        listed: set[str] = set()
        self._list(rows, events, plan, org, (incident_id, ref, label), handler, facts, plan.triaged,
                   fields["triager"], fields, listed)  # fmt: skip
        if plan.level_change is not None and plan.level != facts.level:
            # change_level → refresh_obligations: what the new level adds (nothing listed goes away).
            facts.level = plan.level
            self._list(rows, events, plan, org, (incident_id, ref, label), handler, facts, plan.level_change[0] + 1,
                       fields["changer"], fields, listed)  # fmt: skip
        responders = org.can("respond") or org.people
        changes, last = self._tasks(rows, events, plan, org, (incident_id, ref), handler)
        if plan.personal_data:
            # outside.set_report_facts, by the handler: then the reports owed are listed with their clocks.
            at = min(now, plan.triaged + rng.randint(10, 180) * MINUTE_US)
            facts.report_facts = {
                "persons_affected": int(10 ** rng.uniform(0, 3.5)),
                "sensitive": rng.random() < 0.2,
            }
            fields["report_facts"] = json.dumps(facts.report_facts)
            actor = handler or rng.choice(responders)
            events.add(
                at, org_id, actor, "incident.report_facts", "incidents.incident", incident_id, label,
                {"aware_at": triaged.isoformat(), "facts": facts.report_facts},
            )  # fmt: skip
            self._outside(rows, events, plan, org, facts, (incident_id, ref), actor, at, fields["subject"])
            changes, last = changes + 1, max(last, at)
        return changes, last

    def _list(
        self,
        rows: dict[str, list[tuple[Any, ...]]],
        events: Events,
        plan: Plan,
        org: Org,
        incident: tuple[int, str, str],
        handler: int | None,
        facts: Facts,
        at: int,
        actor: int,
        fields: dict[str, Any],
        listed: set[str],
    ) -> None:
        """``refresh_obligations`` at ``at``: the items not yet listed; each role to be told is paged, its
        item done when someone acknowledges (``paging.acknowledge``)."""
        rng, stamps, now, paging = self.rng, self.stamps, self.now, self.paging
        incident_id, ref, label = incident
        org_id = org.organization.pk
        responders = org.can("respond") or org.people
        rules = {rule[0]: rule for rule in paging.notify_rules(plan.org, facts.level)}
        items = [
            i for i in expected_obligations(facts, org.policy, datetime_of(at)) if i["key"] not in listed
        ]  # type: ignore[arg-type]
        entries = []
        for item in items:
            listed.add(item["key"])
            obligation_id = self._id("incidents_obligation")
            due = item["due_at"]
            done_at = done_by = None
            outcome = ""
            notify = item["kind"] == ObligationKind.NOTIFY
            if notify:
                answer = paging.start(
                    fields["subject"], key=item["key"], role=item["role_key"], text=item["text"],
                    basis=item["basis"], minutes=rules[item["key"]][4], at=at + 2, actor=actor,
                    obligation=obligation_id,
                )  # fmt: skip
                if answer is not None:
                    done_at, done_by, acting = answer
                    outcome = paging.outcome(done_by, acting)
            elif rng.random() < 0.6:
                done_at = at + MINUTE_US + int(rng.random() * max(0, now - at - MINUTE_US))
                done_by = handler or rng.choice(responders)
                outcome = rng.choice(OUTCOMES)
            rows["obligations"].append(
                (obligation_id, incident_id, item["key"], str(item["kind"]), item["role_key"], item["text"],
                 item["basis"], stamps.db(_us(due)), stamps.db(at), stamps.db(done_at), done_by, outcome, False)
            )  # fmt: skip
            entries.append(
                {
                    "key": item["key"],
                    "text": item["text"],
                    "basis": item["basis"],
                    "due_at": due.isoformat() if due else None,
                }
            )
            if done_at is not None and not notify:
                events.add(
                    done_at, org_id, done_by, "obligation.done", "incidents.obligation", obligation_id,
                    item["text"][:200], {"incident": ref, "key": item["key"], "outcome": outcome},
                )  # fmt: skip
        if entries:
            events.add(
                at + 3, org_id, actor, "incident.obligations_listed", "incidents.incident", incident_id, label,
                {"items": entries},
            )  # fmt: skip

    def _outside(
        self,
        rows: dict[str, list[tuple[Any, ...]]],
        events: Events,
        plan: Plan,
        org: Org,
        facts: Facts,
        incident: tuple[int, str],
        actor: int,
        at: int,
        subject: Subject,
    ) -> None:
        """``outside.refresh_external_reports`` after the facts: each report owed, with its legal clock,
        and the worker's reminders until it was sent (or now)."""
        rng, stamps, now = self.rng, self.stamps, self.now
        incident_id, ref = incident
        for body in org.policy.outside_bodies:
            if not body.reports or not body_applies(body, facts):  # type: ignore[arg-type]
                continue
            for clock in body.reports:
                due = us_of(clock_due(body, clock, facts))  # type: ignore[arg-type]
                report_id = self._id("incidents_externalreport")
                status, sent_reference = "due", ""
                sent_at: int | None = None
                handled_by: int | None = None
                if rng.random() < (0.8 if due < now else 0.3):
                    sent_at = min(now, due) - int(
                        rng.random() * max(0, min(due - at - MINUTE_US, 2 * DAY_US))
                    )
                    sent_at = max(sent_at, at + 2)
                    status, sent_reference = "sent", f"受付番号{rng.randrange(10**6):06d}"
                    handled_by = rng.choice(org.can("respond") or org.people)
                basis = clock.basis or body.basis or ""
                marks = [("overdue", due)] + [(f"{h}h", due - h * HOUR_US) for h in clock.remind_hours_before]
                reminded, next_check = self._remind(
                    subject, (report_id, body.name, clock.label, basis), body.decided_by or org.policy.escalation.fallback_role,
                    marks, at, sent_at or now,
                )  # fmt: skip
                next_check = None if sent_at is not None else next_check
                rows["external_reports"].append(
                    (report_id, incident_id, body.key, body.name, clock.kind, clock.label, basis, clock.form,
                     body.decided_by or "", stamps.db(due), status, "", stamps.db(sent_at), sent_reference, "",
                     handled_by, stamps.db(at), json.dumps(reminded), stamps.db(next_check), None, "")
                )  # fmt: skip
                events.add(
                    at + 1, org.organization.pk, actor, "external_report.listed",
                    "incidents.externalreport", report_id, f"{ref} {body.name} {clock.label}"[:200],
                    {"incident": ref, "body": body.name, "report": clock.label,
                     "due_at": datetime_of(due).isoformat(), "basis": basis, "counting": body.counting},
                )  # fmt: skip
                if sent_at is not None and handled_by is not None:
                    events.add(
                        sent_at, org.organization.pk, handled_by, "external_report.sent",
                        "incidents.externalreport", report_id, f"{ref} {body.name} {clock.label}"[:200],
                        {"incident": ref, "body": body.name, "report": clock.label, "status": "sent",
                         "sent_at": datetime_of(sent_at).isoformat(), "sent_reference": sent_reference,
                         "next_check_at": None},
                    )  # fmt: skip

    def _remind(
        self,
        subject: Subject,
        report: tuple[int, str, str, str],
        role: str,
        marks: list[tuple[str, int]],
        listed: int,
        stop: int,
    ) -> tuple[list[str], int | None]:
        """``outside.check_report_clocks`` from the listing until ``stop`` (sent, or now): a reminder
        before the deadline and a page when it passed, each an escalation of the deciding role.
        Returns (the marks done, the next check)."""
        paging, rng = self.paging, self.rng
        report_id, body_name, label, basis = report
        reminded: list[str] = []
        next_check: int | None = listed
        while next_check is not None:
            check = next_check + rng.randint(1_000_000, 8_000_000)  # the worker looks every few seconds
            if check > stop:
                break
            overdue = marks[0][1] <= check
            firing = [mark for mark, moment in marks if mark not in reminded and moment <= check]
            if any(m == "overdue" or not overdue for m in firing) and paging.needs_grant(
                subject, role, check
            ):
                # grant_for_duty cannot add people in the worker's name (added_by is a person): the
                # check fails and is tried again, without end; nothing of it is kept.
                break
            for mark in firing:
                if mark == "overdue" or not overdue:
                    words = paging.setup.text["overdue" if mark == "overdue" else "due"]
                    paging.start(
                        subject, key=f"outside:{report_id}:{mark}", role=role,
                        text=words % {"report": label, "body": body_name, "due": paging.local_text(marks[0][1])},
                        basis=basis, minutes=None, at=check, actor=CLOCK,
                    )  # fmt: skip
                reminded.append(mark)
            upcoming = [moment for mark, moment in marks if mark not in reminded and moment > check]
            next_check = min(upcoming) if upcoming else None
        return reminded, next_check

    def _tasks(
        self,
        rows: dict[str, list[tuple[Any, ...]]],
        events: Events,
        plan: Plan,
        org: Org,
        incident: tuple[int, str],
        handler: int | None,
    ) -> tuple[int, int]:
        """``response.create_task`` (and ``complete_task``) for a share of the open incidents."""
        rng, stamps, now = self.rng, self.stamps, self.now
        incident_id, ref = incident
        assert plan.triaged is not None
        if rng.random() > 0.4:
            return 0, 0
        responders = org.can("respond") or org.people
        roles = [r.key for r in org.policy.roles if r.key in org.policy.roles_for("respond")]
        changes, last = 0, 0
        for _ in range(rng.randint(1, 3)):
            task_id = self._id("incidents_task")
            created = plan.triaged + int(rng.random() * (now - plan.triaged))
            creator = handler or rng.choice(responders)
            by_role = rng.random() < 0.3 and roles
            assignee = None if by_role else rng.choice(responders)
            role = rng.choice(roles) if by_role else ""
            due = created + rng.randint(1, 14) * DAY_US
            title = rng.choice(TASKS)
            done_at = created + int(rng.random() * (now - created)) if rng.random() < 0.5 else None
            done_by = (assignee or rng.choice(responders)) if done_at else None
            result = rng.choice(OUTCOMES) if done_at else ""
            rows["tasks"].append(
                (task_id, incident_id, title, "", assignee, role, stamps.db(due), "done" if done_at else "open",
                 result, stamps.db(created), creator, stamps.db(done_at), done_by)
            )  # fmt: skip
            events.add(
                created, org.organization.pk, creator, "task.created", "incidents.task", task_id, title,
                {"incident": ref, "title": title, "assignee": None, "assignee_role": role,
                 "due_at": datetime_of(due).isoformat()} | ({"assignee": self.labels[assignee]} if assignee else {}),
            )  # fmt: skip
            changes, last = changes + 1, max(last, created)
            if done_at is not None:
                events.add(
                    done_at, org.organization.pk, done_by, "task.done", "incidents.task", task_id,
                    title, {"incident": ref, "result": result},
                )  # fmt: skip
        return changes, last


def _us(moment: datetime | None) -> int | None:
    return None if moment is None else us_of(moment)
