"""The second pass of bench/generate.py: the rows of each planned incident and its journal events.

Per incident, what the services would have written: its report (``submit_report``), the incident,
its search document (``search.document``, as ``search.reindex`` builds it), level changes (``triage``,
``change_level``), timeline entries (``record_action``), the escalations these start (generate_paging.py),
evidence (generate_evidence.py), and the journal events of each step with the data those services
record. Ids are given here, so children point at parents without reading back. A duplicate report opens its own incident, which triage then merges into the first (``merge``): its
report moves there, as do its words in the search document.
"""

import hashlib
import random
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from typing import Any

from generate_corpus import LEVEL_CHANGE_REASONS, NOT_INCIDENT_REASONS, PUBLICATION_REASONS, TRIAGE_REASONS
from generate_db import Stamps, columns_of
from generate_evidence import TABLES as EVIDENCE_TABLES
from generate_evidence import EvidenceMaker
from generate_extras import TABLES as EXTRA_TABLES
from generate_extras import Extras
from generate_journal import Event, Events
from generate_paging import TABLES as PAGING_TABLES
from generate_paging import Paging, PagingSetup, Subject
from generate_people import Org, People
from generate_plan import MINUTE_US, Plan
from generate_texts import COMMON_WORDS, RARE_WORDS, Texts, person_name

from mamori import wareki
from mamori.incidents import search
from mamori.incidents.models import Action, Incident, IncidentSearch, LevelChange
from mamori.intake.models import Report

INCIDENT_COLUMNS = columns_of(
    Incident,
    ("id", "organization", "reference", "fiscal_year", "title", "state", "category", "level", "handler",
     "policy", "affected_systems", "is_drill", "personal_data", "restricted", "triage_reason", "summary",
     "root_cause", "prevention_measures", "publication_decision", "publication_reason", "aware_at",
     "report_facts", "merged_into", "opened_at", "triaged_at", "contained_at", "closed_at", "updated_at",
     "version"),
)  # fmt: skip
REPORT_COLUMNS = columns_of(
    Report,
    ("id", "organization", "reference", "incident", "channel", "received_at", "discovered_at", "location",
     "description", "suspected_cause", "impact_scope", "affected_systems", "reporter_name",
     "reporter_contact", "reporter", "logged_by", "raw_text", "status_token_hash", "source_key",
     "message_id"),
)  # fmt: skip
SEARCH_COLUMNS = columns_of(IncidentSearch, ("incident", "organization", "grams"))
LEVEL_COLUMNS = columns_of(
    LevelChange, ("id", "incident", "from_level", "to_level", "reason", "changed_by", "changed_at")
)
ACTION_COLUMNS = columns_of(
    Action,
    ("id", "incident", "phase", "description", "taken_at", "taken_by", "recorded_at", "emergency_action"),
)
# The rows of a chunk, in the order they are written: name → (table, columns).
TABLES = {
    "incidents": ("incidents_incident", INCIDENT_COLUMNS),
    "reports": ("intake_report", REPORT_COLUMNS),
    "search": ("incidents_incidentsearch", SEARCH_COLUMNS),
    "levels": ("incidents_levelchange", LEVEL_COLUMNS),
    "actions": ("incidents_action", ACTION_COLUMNS),
    **EXTRA_TABLES,
    **PAGING_TABLES,
    **EVIDENCE_TABLES,
}
OPEN_STATES = frozenset({"responding", "recovering", "preventing"})
Rows = dict[str, list[tuple[Any, ...]]]
CHANNELS = ("staff_form", "phone", "mail", "public_form", "in_person", "api", "mail_gateway", "detection")
CHANNEL_WEIGHTS = (45, 20, 10, 5, 5, 3, 10, 2)
ON_BEHALF = frozenset({"phone", "mail", "in_person", "detection"})
# The phases of the timeline by the stage the incident was in (mamori.incidents.choices.Phase).
STAGE_PHASES = {
    "queue": ("detection", "triage"),
    "responding": ("initial_response", "initial_response", "containment"),
    "recovering": ("recovery", "containment"),
    "preventing": ("prevention", "reporting"),
}


@dataclass(slots=True)
class Searched:
    """The searched fields of an incident, as ``search.document`` reads them from an Incident."""

    reference: str
    title: str
    summary: str
    affected_systems: str
    root_cause: str
    prevention_measures: str
    triage_reason: str


def title_from(description: str) -> str:
    """The incident's title, as submit_report makes it from the report (intake.services._title_from)."""
    first = description.strip().splitlines()[0] if description.strip() else ""
    return (first[:60] + "…") if len(first) > 60 else first


@dataclass
class Tallies:
    """What the manifest reports of the rows made (sent back by the process that made them)."""

    words: dict[str, Counter[int]]  # word → organisation (index) → incidents whose document holds it
    states: Counter[tuple[int, str, int | None, int]]  # (organisation, state, level, fiscal year) → incidents
    counters: dict[tuple[int, int], int]  # (organisation, fiscal year) → last number handed out
    escalations: Counter[tuple[int, str]]  # (organisation, state now; "due": open and overdue) → escalations
    open_pages: Counter[int]  # person → pages waiting for them now


class Builder:
    """Turns plans into rows and journal events, one chunk at a time. Touches no database: it may run
    in a process of its own (generate.py), ids being given from ``first`` (table → first free id)."""

    def __init__(
        self,
        orgs: list[Org],
        people: People,
        plans: list[Plan],
        *,
        first: dict[str, int],
        vendor: str,
        rng: random.Random,
        now: int,
        paging: PagingSetup,
    ):
        self.orgs, self.people, self.plans = orgs, people, plans
        self.rng, self.now = rng, now
        self.rows: Rows = {}
        self.stamps = Stamps(vendor)
        self.texts = [Texts(rng, org.key, org.departments) for org in orgs]
        self.events = Events()
        self.incident_base = first["incidents_incident"] - 1
        self.report_base = first["intake_report"] - 1
        self.next_action = first["incidents_action"]
        self.next_level_change = first["incidents_levelchange"]
        self.paging = Paging(orgs, paging, people, first, self.events, self.stamps, rng, now)
        self.extras = Extras(first, people.labels, self.stamps, rng, now, self.paging)
        self.evidence = EvidenceMaker(first, people.labels, self.stamps, rng, now)
        self.stash: dict[int, dict[str, Any]] = {}  # duplicate's slot → its report, made with its target's
        self.references = [""] * len(plans)
        self.words = {w: [search.pattern(t) for t in search.terms(w)] for w in (*COMMON_WORDS, *RARE_WORDS)}
        self.word_counts: dict[str, Counter[int]] = {w: Counter() for w in self.words}
        self.tally: Counter[tuple[int, str, int | None, int]] = Counter()  # (org, state, level, fy)
        self.counters: dict[tuple[int, int], int] = {}
        self.prefixes: dict[int, str] = {}
        self.titles: dict[int, str] = {}  # of incidents that duplicates are merged into

    def incident_id(self, plan: Plan) -> int:
        return self.incident_base + plan.index + 1

    def reference(self, plan: Plan) -> str:
        ref = self.references[plan.index]
        if not ref:
            prefix = self.prefixes.get(plan.fiscal_year)
            if prefix is None:
                prefix = self.prefixes[plan.fiscal_year] = wareki.reference_prefix(plan.fiscal_year)
            ref = self.references[plan.index] = f"{prefix}-{plan.number:04d}"
        return ref

    # --- one chunk ---------------------------------------------------------------------------------

    def chunk(self, plans: list[Plan], before: int | None) -> tuple[Rows, list[Event]]:
        """Rows of ``plans`` and the journal events earlier than ``before`` (the next chunk's first report;
        None: all that are left)."""
        self.rows = self.paging.rows = {name: [] for name in TABLES}
        for plan in plans:
            self._incident(plan)
        return self.rows, self.events.due(before)

    def tallies(self) -> Tallies:
        return Tallies(
            self.word_counts, self.tally, self.counters, self.paging.states, self.paging.open_pages
        )

    def _report(self, plan: Plan, org: Org, texts: Texts) -> dict[str, Any]:
        """The report that came in at ``plan.opened``: its texts, channel and who made or logged it."""
        rng = self.rng
        report: dict[str, Any] = dict(texts.report(plan.kind))
        channel = rng.choices(CHANNELS, weights=CHANNEL_WEIGHTS)[0]
        reporter = logged_by = actor = None
        if channel in ("staff_form", "api"):
            reporter = actor = rng.choice(org.staff or org.people)
            name, contact = self.people.labels[reporter], self.people.contacts[reporter]
        else:
            family, given = person_name(rng)
            name = f"{family} {given}"
            contact = texts.contact()
            if channel in ON_BEHALF:
                logged_by = actor = rng.choice(org.can("log_report") or org.people)
        report.update(channel=channel, reporter=reporter, logged_by=logged_by, actor=actor, name=name)
        report["contact"] = contact
        report["discovered"] = plan.opened - rng.randint(1, 48 * 60) * MINUTE_US
        return report

    def _incident(self, plan: Plan) -> None:
        org = self.orgs[plan.org]
        texts = self.texts[plan.org]
        stamps, events = self.stamps, self.events
        org_id = org.organization.pk
        incident_id = self.incident_id(plan)
        report_id = self.report_base + plan.index + 1
        ref = self.reference(plan)
        report = self.stash.pop(plan.index, None) or self._report(plan, org, texts)
        title = title_from(report["description"])
        label = f"{ref} {title}"
        actor = report["actor"]
        target = self.plans[plan.merged_into] if plan.merged_into is not None else plan
        report_rows = self.rows["reports"]
        report_rows.append(self._report_row(plan, report, report_id, ref, org_id, self.incident_id(target)))
        events.add(
            plan.opened,
            org_id,
            actor,
            "report.received",
            "intake.report",
            report_id,
            ref,
            {
                "channel": report["channel"],
                "on_behalf": report["channel"] in ON_BEHALF,
                "incident": ref,
                "discovered_at": stamps.local_iso(report["discovered"]),
                "location": report["location"],
                "description": report["description"],
                "reporter_name": report["name"],
                "attachments": [],
            },
        )
        events.add(
            plan.opened + 1,
            org_id,
            actor,
            "incident.opened",
            "incidents.incident",
            incident_id,
            label,
            {"reference": ref, "policy_version": org.policy_version, "title": title},
        )
        finished = plan.closed if plan.state in ("closed", "merged", "not_incident") else None
        subject = Subject(plan.org, org_id, incident_id, ref, title, label, finished, plan.state)
        for rule in org.policy.escalation.on_report:  # submit_report: who is told of every new report
            self.paging.start(
                subject, key=f"report:{rule.role}", role=rule.role, text=rule.text, basis=rule.basis or "",
                minutes=rule.within_minutes, at=plan.opened + 2, actor=actor, mode=plan.unanswered,
            )  # fmt: skip
        searched = Searched(ref, title, "", report["affected_systems"], "", "", "")
        # A merged incident's report has moved to the incident it was merged into.
        reports = [] if plan.merged_into is not None else [(ref, report["location"], report["description"])]
        if plan.duplicates:
            self.titles[plan.index] = title
        context = texts.context
        for duplicate in plan.duplicates:
            copy = self._report(self.plans[duplicate], org, texts)
            self.stash[duplicate] = copy
            reports.append((self.reference(self.plans[duplicate]), copy["location"], copy["description"]))
        texts.context = context  # the incident's own department, system… for its later texts
        version, updated = 1, plan.opened
        fields: dict[str, Any] = {"handler": None, "publication": ("", ""), "aware": None, "subject": subject}
        if plan.outcome == "merged":
            version, updated = self._merge(plan, target, org_id, incident_id, label, ref)
        else:
            version, updated = self._lifecycle(plan, org, texts, incident_id, label, searched, fields)
        if plan.state in OPEN_STATES:
            changes, last = self.extras.add(
                self.rows, events, plan, org, (incident_id, ref, label), fields["handler"], fields
            )
            version, updated = version + changes, max(updated, last)
        if plan.outcome == "incident":
            changes, last = self.evidence.add(
                self.rows, events, plan, org, texts, (incident_id, ref), fields["handler"]
            )
            version, updated = version + changes, max(updated, last)
        for duplicate in plan.duplicates:
            merged_at = self.plans[duplicate].closed or plan.opened
            version, updated = version + 1, max(updated, merged_at)
        grams = search.document(searched, reports)
        self.rows["search"].append((incident_id, org_id, grams))
        for word, patterns in self.words.items():
            if all(p in grams for p in patterns):
                self.word_counts[word][plan.org] += 1
        key = (plan.org, plan.fiscal_year)
        self.counters[key] = max(self.counters.get(key, 0), plan.number)
        self.tally[(plan.org, plan.state, plan.level, plan.fiscal_year)] += 1
        publication, reason = fields["publication"]
        self.rows["incidents"].append(
            (incident_id, org_id, ref, plan.fiscal_year, title, plan.state, plan.category, plan.level,
             fields["handler"], org.policy_version_id, searched.affected_systems, plan.drill,
             plan.personal_data, plan.restricted, searched.triage_reason, searched.summary,
             searched.root_cause, searched.prevention_measures, publication, reason,
             stamps.db(fields["aware"]), fields.get("report_facts", "{}"),
             self.incident_id(target) if plan.merged_into is not None else None, stamps.db(plan.opened),
             stamps.db(plan.triaged), stamps.db(plan.contained), stamps.db(plan.closed), stamps.db(updated),
             version)
        )  # fmt: skip

    def _report_row(
        self, plan: Plan, report: dict[str, Any], report_id: int, ref: str, org_id: int, incident_id: int
    ) -> tuple[Any, ...]:
        channel = report["channel"]
        stamps = self.stamps
        raw_text = message_id = token_hash = source_key = ""
        if channel in ("mail", "mail_gateway"):
            raw_text = f"From: {report['name']}\nSubject: {report['title']}\n\n{report['description']}"
        if channel == "mail_gateway":
            message_id = f"<{report_id}.{plan.opened}@mail.{self.orgs[plan.org].key}.example>"
        if channel == "public_form":
            token_hash = hashlib.sha256(f"bench-status-{report_id}".encode()).hexdigest()
            source_key = hashlib.sha256(f"bench-address-{report_id % 997}".encode()).hexdigest()
        return (
            report_id, org_id, ref, incident_id, channel, stamps.db(plan.opened), stamps.db(report["discovered"]),
            report["location"], report["description"], report["suspected_cause"], report["impact_scope"],
            report["affected_systems"], report["name"], report["contact"], report["reporter"],
            report["logged_by"], raw_text, token_hash, source_key, message_id,
        )  # fmt: skip

    def _merge(
        self, plan: Plan, target: Plan, org_id: int, incident_id: int, label: str, ref: str
    ) -> tuple[int, int]:
        """``services.merge``: the duplicate's report joins the first incident."""
        org = self.orgs[plan.org]
        actor = self.rng.choice(org.can("triage"))
        at = plan.closed or plan.opened
        target_ref = self.reference(target)
        self.events.add(
            at, org_id, actor, "incident.merged", "incidents.incident", incident_id, label,
            {"into": target_ref, "reports": [ref]},
        )  # fmt: skip
        target_title = self.titles[target.index]
        self.events.add(
            at + 1, org_id, actor, "incident.reports_joined", "incidents.incident", self.incident_id(target),
            f"{target_ref} {target_title}", {"from": ref, "reports": [ref]},
        )  # fmt: skip
        return 2, at

    def _lifecycle(
        self,
        plan: Plan,
        org: Org,
        texts: Texts,
        incident_id: int,
        label: str,
        searched: Searched,
        fields: dict[str, Any],
    ) -> tuple[int, int]:
        """Triage, handler, level changes, timeline, transitions and closure of one incident, as the
        services record them, with the escalations they start (``refresh_obligations`` at triage and at a
        level change — for open incidents by generate_extras.py, with their checklist —, and the policy's
        ``on_transition`` ones). Returns (version, updated_at)."""
        rng, events = self.rng, self.events
        org_id = org.organization.pk
        version, updated = 1, plan.opened
        subject: Subject = fields["subject"]
        unlisted = plan.state not in OPEN_STATES  # no checklist kept: paged here (else generate_extras.py)
        bumps: list[int] = []  # moments the incident's version went up, but its timeline entries
        triagers = org.can("triage") or org.people
        responders = org.can("respond") or org.people
        if plan.start_triage is not None:
            events.add(
                plan.start_triage, org_id, rng.choice(triagers), "incident.start_triage", "incidents.incident",
                incident_id, label, {"from": "received", "to": "triage"},
            )  # fmt: skip
            version, updated = version + 1, plan.start_triage
            bumps.append(plan.start_triage)
        handler = None
        if plan.handler_at is not None:
            handler = org.bench[org.handler] if plan.target or rng.random() < 0.2 else rng.choice(responders)
            fields["handler"] = handler
        if plan.triaged is not None:
            triager = rng.choice(triagers)
            is_incident = plan.outcome == "incident"
            reason = texts.any_of(TRIAGE_REASONS if is_incident else NOT_INCIDENT_REASONS)
            searched.triage_reason = reason
            events.add(
                plan.triaged, org_id, triager, "incident.triaged", "incidents.incident", incident_id, label,
                {
                    "before": {"state": "triage" if plan.start_triage else "received", "category": "", "level": None},
                    "is_incident": is_incident, "category": plan.category, "level": plan.level, "reason": reason,
                    "policy_version": org.policy_version, "personal_data": plan.personal_data,
                    "restricted": plan.restricted, "drill": plan.drill,
                },
            )  # fmt: skip
            version, updated = version + 1, plan.triaged
            bumps.append(plan.triaged)
            fields.update(triager=triager, first_level=plan.level)
            subject.restricted_from = plan.triaged if plan.restricted else None
            if is_incident and plan.level is not None:
                self._level_change(
                    plan, incident_id, label, org_id, triager, plan.triaged, None, plan.level, reason
                )
                if unlisted:
                    self._notify(subject, plan.level, plan.triaged + 2, triager, set())
            if plan.personal_data:
                fields["aware"] = plan.triaged
            name = "triage_respond" if is_incident else "triage_not_incident"
            self._on_transition(subject, name, plan.triaged + 5, triager, version)
        if plan.handler_at is not None and handler is not None:
            events.add(
                plan.handler_at, org_id, rng.choice(org.can("assign") or triagers), "incident.handler_assigned",
                "incidents.incident", incident_id, label,
                {"from": None, "to": self.people.labels[handler], "handler_id": handler},
            )  # fmt: skip
            version, updated = version + 1, max(updated, plan.handler_at)
            bumps.append(plan.handler_at)
            subject.handler, subject.handler_at = handler, plan.handler_at
        if plan.level_change is not None and plan.level is not None:
            at, new = plan.level_change
            reason = texts.any_of(LEVEL_CHANGE_REASONS)
            changer = fields["changer"] = rng.choice(triagers)
            self._level_change(plan, incident_id, label, org_id, changer, at, plan.level, new, reason)
            if unlisted:
                known = {rule[0] for rule in self.paging.notify_rules(plan.org, plan.level)}
                self._notify(subject, new, at + 3, changer, known)
            plan.level = new
            version, updated = version + 1, max(updated, at)
            bumps.append(at)
        moments = self._actions(plan, org, texts, incident_id, handler, responders)
        if moments:
            version, updated = version + plan.actions, max(updated, moments[-1])

        def version_at(moment: int) -> int:  # the incident's version after a change at ``moment``
            return 1 + sum(b <= moment for b in bumps) + bisect_right(moments, moment)

        actor = handler or rng.choice(responders)
        for moment, name, before, after in (
            (plan.contained, "start_recovery", "responding", "recovering"),
            (plan.prevention, "start_prevention", "recovering", "preventing"),
        ):
            if moment is not None:
                events.add(
                    moment, org_id, actor, f"incident.{name}", "incidents.incident", incident_id, label,
                    {"from": before, "to": after},
                )  # fmt: skip
                version, updated = version + 1, max(updated, moment)
                bumps.append(moment)
                self._on_transition(subject, name, moment + 1, actor, version_at(moment))
        if plan.state == "closed" and plan.closed is not None:
            closure = texts.closure(plan.kind, searched.title)
            searched.summary = closure["summary"]
            searched.root_cause = closure["root_cause"]
            searched.prevention_measures = closure["prevention_measures"]
            publish = plan.level is not None and plan.level >= 3 and rng.random() < 0.5
            fields["publication"] = ("publish", PUBLICATION_REASONS[1]) if publish else (
                "not_publish", PUBLICATION_REASONS[0])  # fmt: skip
            closer = rng.choice(org.can("close") or triagers)
            events.add(
                plan.closed, org_id, closer, "incident.close",
                "incidents.incident", incident_id, label, {"from": "preventing", "to": "closed", **closure},
            )  # fmt: skip
            version, updated = version + 1, max(updated, plan.closed)
            bumps.append(plan.closed)
            self._on_transition(subject, "close", plan.closed + 1, closer, version_at(plan.closed))
        elif plan.state == "not_incident":
            updated = max(updated, plan.closed or updated)
        return version, updated

    def _notify(self, subject: Subject, level: int, at: int, actor: int, known: set[str]) -> None:
        """``refresh_obligations`` of an incident closed since (its checklist is not kept here): each role
        the level names and not yet told is paged."""
        for key, role, text, basis, minutes in self.paging.notify_rules(subject.org, level):
            if key not in known:
                self.paging.start(
                    subject, key=key, role=role, text=text, basis=basis, minutes=minutes, at=at, actor=actor
                )

    def _on_transition(self, subject: Subject, name: str, at: int, actor: int, version: int) -> None:
        """``page_on_transition``: the roles the policy ties to this change of state (keyed by the
        incident's version then, counting the steps dated here: not tasks, checklist or evidence)."""
        for rule in self.orgs[subject.org].policy.escalation.on_transition.get(name, []):  # type: ignore[call-overload]
            self.paging.start(
                subject, key=f"transition:{name}:{rule.role}:{version}", role=rule.role, text=rule.text,
                basis=rule.basis or "", minutes=rule.within_minutes, at=at, actor=actor,
            )  # fmt: skip

    def _level_change(
        self, plan: Plan, incident_id: int, label: str, org_id: int, actor: int, at: int,
        before: int | None, after: int, reason: str,
    ) -> None:  # fmt: skip
        change_id = self.next_level_change
        self.next_level_change += 1
        self.rows["levels"].append((change_id, incident_id, before, after, reason, actor, self.stamps.db(at)))
        self.events.add(
            at + 1, org_id, actor, "incident.level_changed", "incidents.incident", incident_id, label,
            {"from": before, "to": after, "reason": reason, "level_change": change_id},
        )  # fmt: skip

    def _actions(
        self, plan: Plan, org: Org, texts: Texts, incident_id: int, handler: int | None, responders: list[int]
    ) -> list[int]:
        """``plan.actions`` timeline entries between the report (or triage) and the closure (or now),
        each with its ``action.recorded`` entry; returns when they were recorded, in order."""
        if not plan.actions:
            return []
        rng, stamps, events = self.rng, self.stamps, self.events
        org_id = org.organization.pk
        start = plan.triaged if plan.triaged is not None and plan.outcome == "incident" else plan.opened
        end = (plan.closed if plan.state == "closed" and plan.closed else self.now) - MINUTE_US
        end = max(end, start + plan.actions + 2)
        ref = self.reference(plan)
        moments = sorted(start + 1 + int(rng.random() * (end - start - 1)) for _ in range(plan.actions))
        rows = self.rows["actions"]
        for recorded in moments:
            if plan.triaged is None or recorded < plan.triaged:
                stage = "queue"
            elif plan.contained is None or recorded < plan.contained:
                stage = "responding"
            elif plan.prevention is None or recorded < plan.prevention:
                stage = "recovering"
            else:
                stage = "preventing"
            phase = rng.choice(STAGE_PHASES[stage])
            description = texts.action(phase)
            taken = max(plan.opened, recorded - rng.randint(0, 120) * MINUTE_US)
            actor = handler if handler is not None and rng.random() < 0.7 else rng.choice(responders)
            action_id = self.next_action
            self.next_action += 1
            rows.append(
                (action_id, incident_id, phase, description, stamps.db(taken), actor, stamps.db(recorded), "")
            )
            events.add(
                recorded, org_id, actor, "action.recorded", "incidents.action", action_id, description[:60],
                {"incident": ref, "phase": phase, "description": description, "taken_at": stamps.local_iso(taken),
                 "emergency_action": ""},
            )  # fmt: skip
        return moments
