"""The checklist, outside reports and tasks of the incidents still being handled (bench/generate.py).

What triage lists (``services.expected_obligations``: whom to tell, which outside bodies to decide on,
the category's checklist, the records to keep, the publication decision), the reports owed to outside
bodies with their legal clocks (``outside.body_applies`` and ``outside.clock_due``, e.g. 個人情報保護委員会
速報 and 確報 for personal data of more than 100 people), and tasks given to a responder or a role. Only
for open incidents: these are what the dashboard and the detail pages of current work show; the closed
ones of earlier years carry none (the register and statistics do not read them).
"""

import json
import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from generate_db import Stamps, columns_of, datetime_of, us_of
from generate_journal import Events
from generate_people import Org
from generate_plan import DAY_US, MINUTE_US, Plan

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
        self, first: dict[str, int], labels: dict[int, str], stamps: Stamps, rng: random.Random, now: int
    ):
        self.next = {table: first[table] for table, _columns in TABLES.values()}
        self.labels, self.stamps, self.rng, self.now = labels, stamps, rng, now

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
        outside reports go in ``fields``. Returns (changes of the incident's version, time of the last)."""
        if plan.triaged is None:
            return 0, 0
        rng, stamps, now = self.rng, self.stamps, self.now
        incident_id, ref, label = incident
        org_id = org.organization.pk
        triaged = datetime_of(plan.triaged)
        # At triage nothing is known yet of the facts the outside-report rules ask for.
        facts = Facts(plan.level, plan.category, plan.personal_data, triaged, datetime_of(plan.opened))
        responders = org.can("respond") or org.people
        items = expected_obligations(facts, org.policy, triaged)  # type: ignore[arg-type]
        listed = []
        for item in items:
            obligation_id = self._id("incidents_obligation")
            due = item["due_at"]
            done_at = done_by = None
            outcome = ""
            if rng.random() < 0.6:
                done_at = plan.triaged + MINUTE_US + int(rng.random() * (now - plan.triaged - MINUTE_US))
                done_by = handler or rng.choice(responders)
                outcome = rng.choice(OUTCOMES)
            rows["obligations"].append(
                (obligation_id, incident_id, item["key"], str(item["kind"]), item["role_key"], item["text"],
                 item["basis"], stamps.db(_us(due)), stamps.db(plan.triaged), stamps.db(done_at), done_by, outcome,
                 False)
            )  # fmt: skip
            listed.append(
                {
                    "key": item["key"],
                    "text": item["text"],
                    "basis": item["basis"],
                    "due_at": due.isoformat() if due else None,
                }
            )
            if done_at is not None:
                events.add(
                    done_at, org_id, done_by, "obligation.done", "incidents.obligation", obligation_id,
                    item["text"][:200], {"incident": ref, "key": item["key"], "outcome": outcome},
                )  # fmt: skip
        triager = rng.choice(org.can("triage") or org.people)
        if listed:
            events.add(
                plan.triaged + 3, org_id, triager, "incident.obligations_listed", "incidents.incident", incident_id,
                label, {"items": listed},
            )  # fmt: skip
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
            self._outside(rows, events, plan, org, facts, (incident_id, ref), actor, at)
            changes, last = changes + 1, max(last, at)
        return changes, last

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
    ) -> None:
        """``outside.refresh_external_reports`` after the facts: each report owed, with its legal clock."""
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
                next_check: int | None = due - DAY_US
                if rng.random() < (0.8 if due < now else 0.3):
                    sent_at = min(now, due) - int(
                        rng.random() * max(0, min(due - at - MINUTE_US, 2 * DAY_US))
                    )
                    sent_at = max(sent_at, at + 2)
                    status, sent_reference, next_check = "sent", f"受付番号{rng.randrange(10**6):06d}", None
                    handled_by = rng.choice(org.can("respond") or org.people)
                basis = clock.basis or body.basis or ""
                rows["external_reports"].append(
                    (report_id, incident_id, body.key, body.name, clock.kind, clock.label, basis, clock.form,
                     body.decided_by or "", stamps.db(due), status, "", stamps.db(sent_at), sent_reference, "",
                     handled_by, stamps.db(at), "[]", stamps.db(next_check), None, "")
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
