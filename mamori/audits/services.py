"""Audits, findings, improvement plans and self-inspections (tatebayashi 9.1, 9.2; edogawa 基準第32条).
Each change checks, changes and journals in one transaction (STYLE.md); who may do what comes from the
policy's ``audits`` section."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mamori import wareki
from mamori.assets.models import InformationSystem
from mamori.incidents.access import roles_of
from mamori.incidents.errors import Invalid, NotAllowed, WrongState
from mamori.journal.services import record
from mamori.people.models import Department
from mamori.policy.schema_registers import AuditSpec
from mamori.policy.services import active_policy

from .models import Audit, AuditPlan, Finding, FindingState, ItemResult, Progress, SelfInspection


def spec_of(organization: Any) -> AuditSpec:
    spec = active_policy(organization).audits
    if spec is None:
        raise WrongState(_("The policy does not provide for audits."))
    return spec


def manages(user: Any) -> bool:
    spec = active_policy(user.organization).audits if user.organization_id else None
    return bool(spec and roles_of(user) & set(spec.manage_roles))


def inspects(user: Any) -> bool:
    spec = active_policy(user.organization).audits if user.organization_id else None
    return bool(spec and roles_of(user) & set(spec.self_inspection_roles))


def _require_manager(actor: Any, organization_id: int) -> None:
    if actor.organization_id != organization_id or not manages(actor):
        raise NotAllowed()


def save_plan(organization: Any, *, actor: Any, fiscal_year: int, title: str, scope: str) -> AuditPlan:
    spec_of(organization)
    _require_manager(actor, organization.pk)
    if not title.strip() or not scope.strip():
        raise Invalid(fields={"scope": _("Give the plan's title, scope and method.")})
    with transaction.atomic():
        plan = (
            AuditPlan.objects.select_for_update()
            .filter(organization=organization, fiscal_year=fiscal_year)
            .first()
        )
        if plan is not None and plan.approved_on:
            raise WrongState(_("This plan was approved; its text is kept as approved."))
        plan = plan or AuditPlan(organization=organization, fiscal_year=fiscal_year)
        plan.title, plan.scope, plan.drafted_by = title.strip()[:200], scope.strip(), actor
        plan.save()
        record(
            actor=actor,
            action="audit.plan_saved",
            obj=plan,
            data={"fiscal_year": fiscal_year, "title": plan.title},
        )
    return plan


def record_plan_approval(plan: AuditPlan, *, actor: Any, approved_on: date, reference: str) -> AuditPlan:
    """9.1(3)①: the plan approved by the 情報セキュリティ委員会."""
    spec = spec_of(plan.organization)
    _require_manager(actor, plan.organization_id)
    if approved_on > timezone.localdate():
        raise Invalid(fields={"approved_on": _("The approval cannot be in the future.")})
    with transaction.atomic():
        plan.approved_on, plan.approval_reference = approved_on, reference.strip()[:200]
        plan.save(update_fields=["approved_on", "approval_reference"])
        record(
            actor=actor,
            action="audit.plan_approved",
            obj=plan,
            data={"approved_on": approved_on, "by": spec.approved_by, "reference": plan.approval_reference},
        )
    return plan


def _departments_of(person: Any) -> set[int]:
    """The departments a person belongs to (their own; Mamori records one per person)."""
    return {person.department_id} if person.department_id else set()


def schedule_audit(
    plan: AuditPlan, *, actor: Any, department: Department, auditor: Any, scheduled_on: date
) -> Audit:
    """9.1(2)①: the auditor is independent of the audited department — never one of its people."""
    _require_manager(actor, plan.organization_id)
    if plan.approved_on is None:
        raise WrongState(_("The audit plan must be approved before audits are scheduled."))
    errors: dict[str, str] = {}
    if department.organization_id != plan.organization_id or auditor.organization_id != plan.organization_id:
        errors["department"] = _("Choose a department and a person of your own organisation.")
    elif not auditor.department_id:
        errors["auditor"] = _(
            "The auditor's department is not recorded, so their independence cannot be shown. Record it first."
        )
    elif department.pk in _departments_of(auditor):
        errors["auditor"] = _(
            "%(person)s belongs to %(department)s: an auditor must be independent of the audited department."
        ) % {
            "person": auditor,
            "department": department,
        }
    if errors:
        raise Invalid(fields=errors)
    with transaction.atomic():
        audit = Audit.objects.create(
            plan=plan, department=department, auditor=auditor, scheduled_on=scheduled_on
        )
        record(
            actor=actor,
            action="audit.scheduled",
            obj=audit,
            organization=plan.organization,
            data={"department": str(department), "auditor": str(auditor), "scheduled_on": scheduled_on},
        )
    return audit


def _check_results(spec: AuditSpec, results: list[dict[str, str]]) -> None:
    keys = {item.key for item in spec.checklist}
    for row in results:
        if row.get("key") not in keys or row.get("result") not in ItemResult.values:
            raise Invalid(_("Every checklist item needs one of the results."))
    missing = keys - {row["key"] for row in results}
    if missing:
        raise Invalid(_("Give a result for every checklist item."))


def record_audit(
    audit: Audit, *, actor: Any, done_on: date, results: list[dict[str, str]], summary: str
) -> Audit:
    """The auditor (or the audit's manager) records the checklist and the summary."""
    spec = spec_of(audit.plan.organization)
    if actor.pk != audit.auditor_id and not manages(actor):
        raise NotAllowed()
    _check_results(spec, results)
    with transaction.atomic():
        audit.done_on, audit.results, audit.summary = done_on, results, summary.strip()
        audit.save(update_fields=["done_on", "results", "summary"])
        record(
            actor=actor,
            action="audit.recorded",
            obj=audit,
            organization=audit.plan.organization,
            data={"done_on": done_on, "results": results},
        )
    return audit


def add_finding(
    audit: Audit, *, actor: Any, text: str, item: str = "", due_on: date | None = None
) -> Finding:
    if actor.pk != audit.auditor_id and not manages(actor):
        raise NotAllowed()
    if not text.strip():
        raise Invalid(fields={"text": _("Describe the finding.")})
    with transaction.atomic():
        finding = Finding.objects.create(
            organization=audit.plan.organization,
            audit=audit,
            department=audit.department,
            item=item,
            text=text.strip(),
            due_on=due_on,
            recorded_by=actor,
            recorded_at=timezone.now(),
        )
        record(
            actor=actor,
            action="finding.recorded",
            obj=finding,
            data={"department": str(audit.department), "text": finding.text},
        )
    return finding


def _responsible(actor: Any, finding: Finding) -> bool:
    """The department's own people answer for its findings; the audit's managers may too."""
    return manages(actor) or finding.department_id in _departments_of(actor)


def set_improvement_plan(finding: Finding, *, actor: Any, plan: str, due_on: date | None) -> Finding:
    """9.1(7)①: the 情報セキュリティ管理者 of the department draws up the improvement plan."""
    if finding.organization_id != actor.organization_id or not _responsible(actor, finding):
        raise NotAllowed()
    if finding.state not in (FindingState.OPEN, FindingState.IMPROVING):
        raise WrongState(_("This finding is not open."))
    if not plan.strip():
        raise Invalid(fields={"plan": _("Describe the improvement plan.")})
    with transaction.atomic():
        finding.improvement_plan, finding.due_on, finding.state = plan.strip(), due_on, FindingState.IMPROVING
        finding.save(update_fields=["improvement_plan", "due_on", "state"])
        record(
            actor=actor,
            action="finding.plan_set",
            obj=finding,
            data={"plan": finding.improvement_plan, "due_on": due_on},
        )
    return finding


def report_progress(finding: Finding, *, actor: Any, text: str, completed: bool = False) -> Progress:
    """A progress report; ``completed`` closes the finding (9.1(7)①: 措置の完了)."""
    if finding.organization_id != actor.organization_id or not _responsible(actor, finding):
        raise NotAllowed()
    if finding.state != FindingState.IMPROVING:
        raise WrongState(_("Progress is reported on a finding whose improvement plan is under way."))
    if not text.strip():
        raise Invalid(fields={"text": _("Describe the progress.")})
    with transaction.atomic():
        progress = Progress.objects.create(
            finding=finding, text=text.strip(), reported_by=actor, reported_at=timezone.now()
        )
        if completed:
            finding.state, finding.closed_at = FindingState.CLOSED, timezone.now()
            finding.save(update_fields=["state", "closed_at"])
        record(
            actor=actor,
            action="finding.progress",
            obj=finding,
            data={"text": progress.text, "completed": completed},
        )
    return progress


def spread_finding(finding: Finding, *, actor: Any, departments: list[Department]) -> list[Finding]:
    """9.1(7)②: have departments not audited check whether the same problem is theirs too."""
    _require_manager(actor, finding.organization_id)
    with transaction.atomic():
        already = set(Finding.objects.filter(origin=finding).values_list("department_id", flat=True))
        created = [
            Finding.objects.create(
                organization=finding.organization,
                department=department,
                item=finding.item,
                text=finding.text,
                origin=finding,
                state=FindingState.TO_CHECK,
                recorded_by=actor,
                recorded_at=timezone.now(),
            )
            for department in departments
            if department.pk != finding.department_id
            and department.pk not in already
            and department.organization_id == finding.organization_id
        ]
        record(
            actor=actor,
            action="finding.spread",
            obj=finding,
            data={"departments": [str(f.department) for f in created]},
        )
    return created


def answer_spread(finding: Finding, *, actor: Any, present: bool, note: str) -> Finding:
    """The department's answer: the same problem is here (an open finding of its own) or not."""
    if finding.organization_id != actor.organization_id or not _responsible(actor, finding):
        raise NotAllowed()
    if finding.state != FindingState.TO_CHECK:
        raise WrongState(_("This finding was already answered."))
    if not note.strip():
        raise Invalid(fields={"note": _("Say what was checked.")})
    with transaction.atomic():
        finding.state = FindingState.OPEN if present else FindingState.ABSENT
        finding.closed_at = None if present else timezone.now()
        finding.save(update_fields=["state", "closed_at"])
        record(
            actor=actor,
            action="finding.checked",
            obj=finding,
            data={"present": present, "note": note.strip()},
        )
    return finding


@dataclass
class InspectionInput:
    done_on: date
    results: list[dict[str, str]]
    improvements: str = ""
    department: Department | None = None
    system: InformationSystem | None = None


def record_self_inspection(organization: Any, *, actor: Any, data: InspectionInput) -> SelfInspection:
    """9.2(1): a department's or a system's yearly self-inspection, by those who answer for it."""
    spec = spec_of(organization)
    if actor.organization_id != organization.pk or not inspects(actor):
        raise NotAllowed()
    if (data.department is None) == (data.system is None):
        raise Invalid(fields={"department": _("Choose either a department or a system.")})
    if (
        data.system is not None
        and actor.pk not in (data.system.administrator_id, data.system.operator_id)
        and not manages(actor)
    ):
        raise NotAllowed(_("A system is inspected by its own administrator."))
    _check_results(spec, data.results)
    fiscal_year = wareki.fiscal_year(data.done_on)
    with transaction.atomic():
        subject = {"system": data.system} if data.system else {"department": data.department, "system": None}
        if SelfInspection.objects.filter(fiscal_year=fiscal_year, **subject).exists():
            raise WrongState(_("This self-inspection of the fiscal year is already recorded."))
        inspection = SelfInspection.objects.create(
            organization=organization,
            fiscal_year=fiscal_year,
            department=data.department,
            system=data.system,
            inspector=actor,
            done_on=data.done_on,
            results=data.results,
            improvements=data.improvements.strip(),
        )
        record(
            actor=actor,
            action="self_inspection.recorded",
            obj=inspection,
            data={
                "fiscal_year": fiscal_year,
                "subject": str(data.system or data.department),
                "results": data.results,
            },
        )
    return inspection


@dataclass
class InspectionStatus:
    subject: str
    kind: str  # "department" or "system"
    inspection: SelfInspection | None


def inspection_status(organization: Any, fiscal_year: int) -> list[InspectionStatus]:
    """Every department and every system in use, with its self-inspection of the year or none."""
    done = SelfInspection.objects.filter(organization=organization, fiscal_year=fiscal_year).select_related(
        "inspector"
    )
    by_department = {i.department_id: i for i in done if i.system_id is None}
    by_system = {i.system_id: i for i in done if i.system_id is not None}
    rows = [
        InspectionStatus(d.name, "department", by_department.get(d.pk))
        for d in Department.objects.filter(organization=organization).order_by("name")
    ]
    rows += [
        InspectionStatus(str(s), "system", by_system.get(s.pk))
        for s in InformationSystem.objects.filter(organization=organization, in_use=True).order_by("code")
    ]
    return rows
