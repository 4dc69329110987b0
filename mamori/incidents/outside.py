"""Reports owed to outside bodies, with their legal clocks (policy ``outside_bodies[].reports``).

A body's reports are owed when its ``applies`` conditions hold and, if it names triggers, any trigger
holds (個人情報保護法第68条 and 施行規則: 要配慮個人情報, 財産的被害, 不正の目的, more than 100 persons,
条例要配慮個人情報). Each report's deadline runs from when the organisation became aware
(``Incident.aware_at``) in calendar or business days (``deadlines.py``). The worker reminds the
deciding role before each deadline and pages it when one passes.
"""

from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mamori import wareki
from mamori.journal.services import record
from mamori.paging.claims import claim, release
from mamori.paging.services import start_escalation
from mamori.policy.schema import OutsideBody, PolicyDocument, ReportClock

from . import access
from .choices import PublicationDecision
from .deadlines import due_at
from .editing import lock_incident, policy_of, save_incident
from .errors import Invalid, WrongState
from .models import ExternalReport, Incident

# The items of the 個人情報保護委員会's report form (漏えい等報告), in its order.
PPC_ITEMS = (
    "summary",
    "items",
    "persons",
    "cause",
    "secondary_damage",
    "response_to_persons",
    "publication",
    "prevention",
    "other",
)


def ppc_item_labels() -> dict[str, str]:
    return {
        "summary": _("Summary"),
        "items": _("Items of personal information leaked (or possibly leaked)"),
        "persons": _("Number of persons concerned"),
        "cause": _("Cause"),
        "secondary_damage": _("Secondary damage, or the risk of it"),
        "response_to_persons": _("What has been done for the persons concerned"),
        "publication": _("Publication"),
        "prevention": _("Measures against recurrence"),
        "other": _("Other matters for reference"),
    }


def aware_moment(incident: Incident) -> datetime:
    """When the organisation became aware: as recorded, else when the first report came in."""
    if incident.aware_at:
        return incident.aware_at
    first = incident.reports.order_by("received_at").values_list("received_at", flat=True).first()
    return first or incident.opened_at


def trigger_holds(body: OutsideBody, key: str, facts: dict[str, Any]) -> bool:
    trigger = next((t for t in body.triggers if t.key == key), None)
    if trigger is None:
        return False
    value = facts.get(trigger.key)
    if trigger.kind == "count":
        return isinstance(value, int) and trigger.more_than is not None and value > trigger.more_than
    return value is True


def conditions_hold(body: OutsideBody, incident: Incident) -> bool:
    """The body's ``applies`` conditions (levels, categories, personal data) hold for the incident."""
    applies = body.applies
    if applies.levels and incident.level not in applies.levels:
        return False
    if applies.categories and incident.category not in applies.categories:
        return False
    return applies.personal_data is None or applies.personal_data == incident.personal_data


def body_applies(body: OutsideBody, incident: Incident) -> bool:
    """Reports to the body are owed: its conditions hold and, if it names triggers, one of them does."""
    if not conditions_hold(body, incident):
        return False
    facts = incident.report_facts or {}
    return not body.triggers or any(trigger_holds(body, t.key, facts) for t in body.triggers)


def clock_due(body: OutsideBody, clock: ReportClock, incident: Incident) -> datetime:
    facts = incident.report_facts or {}
    days = clock.due_days
    for longer in clock.longer_if:
        if trigger_holds(body, longer.trigger, facts):
            days = max(days or 0, longer.due_days)
    return due_at(aware_moment(incident), days=days, hours=clock.due_hours, counting=body.counting)


def refresh_external_reports(incident: Incident, *, actor: Any, policy: PolicyDocument) -> None:
    """List the reports now owed, and move the deadlines of unsent ones when the facts changed
    (e.g. 不正の目的 found later: 確報 within 60 days instead of 30). Runs in the caller's transaction."""
    if incident.level is None:
        return
    existing = {(r.body_key, r.kind): r for r in incident.external_reports.all()}
    now = timezone.now()
    for body in policy.outside_bodies:
        if not body.reports or not body_applies(body, incident):
            continue
        for clock in body.reports:
            due = clock_due(body, clock, incident)
            report = existing.get((body.key, clock.kind))
            if report is None:
                report = ExternalReport.objects.create(
                    incident=incident,
                    body_key=body.key,
                    body_name=body.name,
                    kind=clock.kind,
                    label=clock.label,
                    basis=clock.basis or body.basis or "",
                    form=clock.form,
                    decided_by=body.decided_by or "",
                    due_at=due,
                    created_at=now,
                    next_check_at=now,
                )
                record(
                    actor=actor,
                    action="external_report.listed",
                    obj=report,
                    organization=incident.organization,
                    data={
                        "incident": incident.reference,
                        "body": body.name,
                        "report": clock.label,
                        "due_at": due.isoformat(),
                        "basis": report.basis,
                        "counting": body.counting,
                    },
                )
            elif report.is_open and report.due_at != due:
                before = report.due_at
                report.due_at, report.next_check_at, report.reminded = due, now, []
                report.save(update_fields=["due_at", "next_check_at", "reminded"])
                record(
                    actor=actor,
                    action="external_report.due_changed",
                    obj=report,
                    organization=incident.organization,
                    data={"incident": incident.reference, "from": before.isoformat(), "to": due.isoformat()},
                )


def set_report_facts(
    incident: Incident,
    *,
    actor: Any,
    expected_version: int | None,
    aware_at: datetime | None,
    facts: dict[str, Any],
) -> Incident:
    """Record when the organisation became aware and the facts the outside-report rules ask for."""
    access.require(actor, "respond", incident.organization_id)
    with transaction.atomic():
        incident = lock_incident(incident, expected_version)
        if not incident.is_open:
            raise WrongState()
        if aware_at is not None and aware_at > timezone.now() + timedelta(minutes=5):
            raise Invalid(fields={"aware_at": _("This time is in the future.")})
        incident.aware_at = aware_at or incident.aware_at
        incident.report_facts = {**(incident.report_facts or {}), **facts}
        save_incident(incident, ["aware_at", "report_facts"])
        record(
            actor=actor,
            action="incident.report_facts",
            obj=incident,
            data={"aware_at": incident.aware_at.isoformat() if incident.aware_at else None, "facts": facts},
        )
        refresh_external_reports(incident, actor=actor, policy=policy_of(incident))
    return incident


def ppc_values(incident: Incident) -> dict[str, str]:
    """The nine items of the commission's form, from the incident and the facts recorded for it."""
    facts = incident.report_facts or {}
    first = incident.reports.order_by("received_at").first()
    publication = ""
    if incident.publication_decision:
        publication = (
            f"{PublicationDecision(incident.publication_decision).label}: {incident.publication_reason}"
        )
    return {
        "summary": incident.summary or _summary_from_report(incident, first),
        "items": facts.get("ppc_items", ""),
        "persons": str(facts["persons_affected"]) if "persons_affected" in facts else "",
        "cause": incident.root_cause or (first.suspected_cause if first else ""),
        "secondary_damage": facts.get("ppc_secondary_damage", ""),
        "response_to_persons": facts.get("ppc_response_to_persons", ""),
        "publication": publication,
        "prevention": incident.prevention_measures,
        "other": facts.get("ppc_other", ""),
    }


def ppc_text(report: ExternalReport) -> str:
    """Copy-ready text in the order of the commission's form (the nine items)."""
    incident = report.incident
    values = ppc_values(incident)
    labels = ppc_item_labels()
    aware = wareki.format_datetime(aware_moment(incident))
    lines = [f"{report.body_name} {report.label}", _("Became aware: %(when)s") % {"when": aware}, ""]
    for n, key in enumerate(PPC_ITEMS, 1):
        lines += [f"{n}. {labels[key]}", values[key].strip() or _("(to be filled in)"), ""]
    return "\n".join(lines).rstrip() + "\n"


def _summary_from_report(incident: Incident, first: Any) -> str:
    if first is None:
        return incident.title
    # The title is usually the first line of the report; don't say it twice.
    title = incident.title.rstrip("…")
    return (
        first.description if first.description.startswith(title) else f"{incident.title}\n{first.description}"
    )


def draft_text(report: ExternalReport) -> str:
    if report.draft_text:
        return report.draft_text
    if report.form == "ppc":
        return ppc_text(report)
    incident = report.incident
    return (
        f"{report.body_name} {report.label}\n{incident.reference} {incident.title}\n"
        f"{incident.summary or incident.triage_reason}\n"
    )


def _change(
    report: ExternalReport, *, actor: Any, permission: str, action: str, **fields: Any
) -> ExternalReport:
    access.require(actor, permission, report.incident.organization_id)
    with transaction.atomic():
        report = (
            ExternalReport.objects.select_for_update(of=("self",))
            .select_related("incident")
            .get(pk=report.pk)
        )
        if not report.is_open:
            raise WrongState(
                _("This report is already %(status)s.") % {"status": report.get_status_display()}
            )
        for name, value in fields.items():
            setattr(report, name, value)
        report.handled_by = actor
        report.save(update_fields=[*fields, "handled_by"])
        record(
            actor=actor,
            action=action,
            obj=report,
            organization=report.incident.organization,
            data={
                "incident": report.incident.reference,
                "body": report.body_name,
                "report": report.label,
                **{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in fields.items()},
            },
        )
    return report


def save_draft(report: ExternalReport, *, actor: Any, text: str) -> ExternalReport:
    if not text.strip():
        raise Invalid(fields={"text": _("The draft is empty.")})
    return _change(
        report,
        actor=actor,
        permission="respond",
        action="external_report.drafted",
        status=ExternalReport.Status.DRAFTED,
        draft_text=text.strip(),
    )


def mark_sent(
    report: ExternalReport, *, actor: Any, sent_at: datetime | None, reference: str
) -> ExternalReport:
    sent_at = sent_at or timezone.now()
    if sent_at > timezone.now() + timedelta(minutes=5):
        raise Invalid(fields={"sent_at": _("This time is in the future.")})
    return _change(
        report,
        actor=actor,
        permission="respond",
        action="external_report.sent",
        status=ExternalReport.Status.SENT,
        sent_at=sent_at,
        sent_reference=reference.strip()[:200],
        next_check_at=None,
    )


def waive(report: ExternalReport, *, actor: Any, reason: str) -> ExternalReport:
    """Not required after all, with the reason — decided by whoever decides on outside reporting."""
    if not reason.strip():
        raise Invalid(fields={"reason": _("Say why this report is not required.")})
    return _change(
        report,
        actor=actor,
        permission="approve_publication",
        action="external_report.waived",
        status=ExternalReport.Status.WAIVED,
        waived_reason=reason.strip(),
        next_check_at=None,
    )


def check_report_clocks(*, limit: int = 100) -> int:
    """Worker job: remind the deciding role before each deadline, and page it when one has passed."""
    now = timezone.now()
    due = ExternalReport.objects.filter(status__in=["due", "drafted"], next_check_at__lte=now)
    done = 0
    for pk in claim(due, limit=limit, order_by="next_check_at"):
        try:
            with transaction.atomic():
                report = (
                    ExternalReport.objects.select_for_update(of=("self",))
                    .select_related("incident__policy", "incident__organization")
                    .get(pk=pk)
                )
                if report.is_open:
                    done += _remind(report, now=now)
        except IntegrityError:
            # Another worker started the same reminder first (unique per incident and key).
            pass
        release(ExternalReport, pk)
    return done


def _remind(report: ExternalReport, *, now: datetime) -> int:
    policy = policy_of(report.incident)
    body = next((b for b in policy.outside_bodies if b.key == report.body_key), None)
    clock = next((c for c in (body.reports if body else []) if c.kind == report.kind), None)
    role = report.decided_by or policy.escalation.fallback_role
    due_text = wareki.format_datetime(report.due_at)
    sent = 0
    marks = [("overdue", report.due_at)] + [
        (f"{h}h", report.due_at - timedelta(hours=h)) for h in (clock.remind_hours_before if clock else [24])
    ]
    overdue = report.due_at <= now
    for mark, moment in marks:
        if mark in report.reminded or moment > now:
            continue
        if overdue and mark != "overdue":
            # Past the deadline, an earlier reminder would only repeat the overdue page.
            report.reminded = [*report.reminded, mark]
            continue
        if mark == "overdue":
            text = _("OVERDUE: %(report)s to %(body)s was due %(due)s") % {
                "report": report.label,
                "body": report.body_name,
                "due": due_text,
            }
        else:
            text = _("Due %(due)s: %(report)s to %(body)s") % {
                "report": report.label,
                "body": report.body_name,
                "due": due_text,
            }
        start_escalation(
            report.incident,
            actor="Mamori (outside-report clock)",
            key=f"outside:{report.pk}:{mark}",
            role_key=role,
            text=text,
            basis=report.basis,
            ack_minutes=None,
        )
        report.reminded = [*report.reminded, mark]
        sent += 1
    upcoming = [moment for mark, moment in marks if mark not in report.reminded and moment > now]
    report.next_check_at = min(upcoming) if upcoming else None
    report.save(update_fields=["reminded", "next_check_at"])
    return sent
