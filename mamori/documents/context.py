"""What a document says about an incident, as plain data: the placeholders of the Word templates.

Templates (ours and an organisation's own, docs/documents.md) see only these dictionaries, lists and
strings — never a model — so a template cannot reach the database, and one context feeds the Word
file and the PDF alike. Dates are already formatted in 和暦 or 西暦 as the reader prefers.
"""

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from mamori import wareki
from mamori.incidents.choices import Phase, PublicationDecision, State
from mamori.incidents.editing import policy_of
from mamori.incidents.models import ExternalReport, Incident
from mamori.incidents.timeline import build_timeline
from mamori.people.models import Assignment
from mamori.policy.schema import PolicyDocument

from .outside_texts import outside_forms


def _person(user: Any) -> str:
    if user is None:
        return ""
    return str(user) if not isinstance(user, str) else user


def _yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def _size(size: int | None) -> str:
    if size is None:
        return ""
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size = size / 1024  # type: ignore[assignment]
    return ""


class Dates:
    """Formats moments in the reader's style; an empty string for a moment not reached."""

    def __init__(self, style: str):
        self.style = style

    def at(self, moment: datetime | None) -> str:
        return wareki.format_datetime(moment, self.style) if moment else ""

    def day(self, moment: datetime | None) -> str:
        return wareki.format_date(timezone.localtime(moment).date(), self.style) if moment else ""


def organization_context(organization: Any, policy: PolicyDocument) -> dict[str, str]:
    return {
        "name": organization.name,
        "poc": policy.poc.name,
        "poc_unit": policy.poc.unit or "",
        "poc_contacts": " / ".join(f"{c.label} {c.value}" for c in policy.poc.contacts),
        "regulation": policy.document.title,
    }


def role_title(policy: PolicyDocument, key: str, fallback: str) -> str:
    role = policy.role(key)
    return role.title if role else fallback


def sender_context(user: Any, policy: PolicyDocument) -> dict[str, str]:
    """Who the document is from: the person producing it and the roles they hold."""
    if user is None:
        return {"name": "", "roles": ""}
    keys = Assignment.objects.filter(person=user, role__active=True).values_list("role__key", flat=True)
    titles = [role_title(policy, k, k) for k in keys]
    return {"name": str(user), "roles": "・".join(dict.fromkeys(titles))}


def incident_context(incident: Incident, *, style: str, user: Any = None) -> dict[str, Any]:
    """Everything the incident documents may show; the placeholders listed in docs/documents.md."""
    policy = policy_of(incident)
    dates = Dates(style)
    level = policy.level(incident.level)
    category = next((c for c in policy.categories if c.key == incident.category), None)
    phase_labels = {p.key: p.label for p in policy.phases}

    def phase_label(key: str) -> str:
        return phase_labels.get(key) or str(Phase(key).label)  # type: ignore[call-overload]

    def level_label(value: int | None) -> str:
        spec = policy.level(value)
        return spec.label if spec else ("" if value is None else str(value))

    reports = [
        {
            "reference": r.reference,
            "received_at": dates.at(r.received_at),
            "channel": r.get_channel_display(),
            "discovered_at": dates.at(r.discovered_at),
            "location": r.location,
            "description": r.description,
            "suspected_cause": r.suspected_cause,
            "impact_scope": r.impact_scope,
            "reporter": _person(r.reporter) or r.reporter_name,
        }
        for r in incident.reports.select_related("reporter").order_by("received_at", "pk")
    ]
    timeline = [
        {"at": dates.at(e.at), "phase": e.phase_label, "description": e.text, "by": _person(e.who)}
        for e in build_timeline(incident, policy)
    ]
    by_phase: dict[str, list[dict[str, str]]] = defaultdict(list)
    for action in incident.actions.select_related("taken_by").order_by("taken_at", "pk"):
        by_phase[action.phase].append(
            {
                "at": dates.at(action.taken_at),
                "description": action.description,
                "by": _person(action.taken_by),
                "emergency": _yes_no(bool(action.emergency_action)),
            }
        )
    phase_order = [p.key for p in policy.phases] + [p.value for p in Phase if p.value not in phase_labels]
    phases = [{"name": phase_label(k), "actions": by_phase[k]} for k in phase_order if by_phase.get(k)]
    level_history = [
        {
            "at": dates.at(c.changed_at),
            "from_level": level_label(c.from_level),
            "to_level": level_label(c.to_level),
            "reason": c.reason,
            "by": _person(c.changed_by),
        }
        for c in incident.level_changes.select_related("changed_by").order_by("changed_at", "pk")
    ]
    evidence = []
    for n, item in enumerate(
        incident.evidence.select_related("collected_by")
        .prefetch_related("custody")
        .order_by("collected_at", "pk"),
        1,
    ):
        custody = [
            {"at": dates.at(c.at), "event": c.get_event_display(), "holder": c.holder, "note": c.note}
            for c in item.custody.all()
        ]
        evidence.append(
            {
                "no": str(n),
                "name": item.original_name or item.description[:60],
                "description": item.description,
                "sha256": item.sha256,
                "size": _size(item.size),
                "collected_at": dates.at(item.collected_at),
                "collected_by": _person(item.collected_by),
                "custody": custody,
                "custody_text": "\n".join(f"{c['at']} {c['event']} {c['holder']}" for c in custody),
            }
        )
    outside_reports = [
        {
            "body": r.body_name,
            "label": r.label,
            "basis": r.basis,
            "due_at": dates.at(r.due_at),
            "status": r.get_status_display(),
            "sent_at": dates.at(r.sent_at),
            "sent_reference": r.sent_reference,
            "waived_reason": r.waived_reason,
            "outcome": _outside_outcome(r, dates),
        }
        for r in incident.external_reports.order_by("due_at", "pk")
    ]
    approvals = [
        {
            "subject": a.get_subject_display(),
            "proposal": PublicationDecision(a.proposal).label,
            "text": a.text,
            "state": a.get_state_display(),
            "requested_by": _person(a.requested_by),
            "requested_at": dates.at(a.requested_at),
            "decided_by": _person(a.decided_by),
            "decided_at": dates.at(a.decided_at),
            "comment": a.comment,
        }
        for a in incident.approvals.select_related("requested_by", "decided_by").order_by(
            "requested_at", "pk"
        )
    ]
    tasks = [
        {
            "title": t.title,
            "assignee": _person(t.assignee) or role_title(policy, t.assignee_role, t.assignee_role),
            "due_at": dates.at(t.due_at),
            "state": t.get_state_display(),
            "result": t.result,
        }
        for t in incident.tasks.select_related("assignee").order_by("created_at", "pk")
    ]
    return {
        "organization": organization_context(incident.organization, policy),
        "sender": sender_context(user, policy),
        "ciso": role_title(policy, "ciso", _("Chief information security officer (CISO)")),
        "publication_decider": role_title(
            policy, policy.publication.decided_by, policy.publication.decided_by
        ),
        "today": wareki.format_date(timezone.localdate(), style),
        "incident": {
            "reference": incident.reference,
            "title": incident.title,
            "fiscal_year": wareki.fiscal_year_label(incident.fiscal_year, style),
            "state": State(incident.state).label,
            "category": category.label if category else incident.category,
            "level": level.label if level else "",
            "level_criteria": level.criteria if level else "",
            "handler": _person(incident.handler),
            "opened_at": dates.at(incident.opened_at),
            "aware_at": dates.at(incident.aware_at),
            "triaged_at": dates.at(incident.triaged_at),
            "contained_at": dates.at(incident.contained_at),
            "closed_at": dates.at(incident.closed_at),
            "closed_on": dates.day(incident.closed_at),
            "summary": incident.summary,
            "triage_reason": incident.triage_reason,
            "root_cause": incident.root_cause,
            "prevention_measures": incident.prevention_measures,
            "affected_systems": incident.affected_systems,
            "personal_data": _yes_no(incident.personal_data),
            "persons_affected": str((incident.report_facts or {}).get("persons_affected", "")),
            "drill": _yes_no(incident.is_drill),
            "publication_decision": PublicationDecision(incident.publication_decision).label,
            "publication_reason": incident.publication_reason,
        },
        "reports": reports,
        "first_report": reports[0] if reports else None,
        "timeline": timeline,
        "phases": phases,
        "level_history": level_history,
        "evidence": evidence,
        "outside_reports": outside_reports,
        "approvals": approvals,
        "tasks": tasks,
        "outside_forms": outside_forms(incident, style=style),
    }


def _outside_outcome(report: ExternalReport, dates: Dates) -> str:
    if report.status == ExternalReport.Status.SENT:
        ref = f"（{report.sent_reference}）" if report.sent_reference else ""
        return _("Sent %(when)s") % {"when": dates.at(report.sent_at)} + ref
    if report.status == ExternalReport.Status.WAIVED:
        return _("Not required: %(reason)s") % {"reason": report.waived_reason}
    return _("Due %(when)s") % {"when": dates.at(report.due_at)}
