"""Outsourcing contracts, their compliance checks and end, and cloud-service applications (tatebayashi 8).
Each change checks, changes and journals in one transaction (STYLE.md); roles from the policy's
``outsourcing`` section."""

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mamori.incidents.access import roles_of
from mamori.incidents.errors import Invalid, NotAllowed, WrongState
from mamori.journal.services import record
from mamori.people.models import Assignment
from mamori.policy.schema_registers import OutsourcingSpec
from mamori.policy.services import active_policy
from mamori.wareki import add_months

from .models import CloudApplication, CloudState, ComplianceCheck, Contract, ContractState

log = logging.getLogger("mamori.outsourcing")


def spec_of(organization: Any) -> OutsourcingSpec:
    spec = active_policy(organization).outsourcing
    if spec is None:
        raise WrongState(_("The policy does not provide for outsourcing."))
    return spec


def _holds(user: Any, roles: list[str]) -> bool:
    return bool(roles_of(user) & set(roles))


def may_manage(user: Any) -> bool:
    spec = active_policy(user.organization).outsourcing if user.organization_id else None
    return bool(spec and _holds(user, spec.manage_roles))


@dataclass
class ContractInput:
    title: str
    vendor: str
    manager: Any
    starts_on: date
    ends_on: date
    important_information: bool = False
    nda: bool = False
    clauses: list[str] = field(default_factory=list)  # keys of the contract items the contract contains
    department: Any = None
    systems: list[Any] = field(default_factory=list)


def register_contract(organization: Any, *, actor: Any, data: ContractInput) -> Contract:
    """8.1(2)①(エ)(オ): work on important information needs every clause of the checklist and an NDA."""
    spec = spec_of(organization)
    if actor.organization_id != organization.pk or not _holds(actor, spec.manage_roles):
        raise NotAllowed()
    errors: dict[str, str] = {}
    if not data.title.strip() or not data.vendor.strip():
        errors["title"] = _("Give the work outsourced and the vendor.")
    if data.ends_on < data.starts_on:
        errors["ends_on"] = _("The end must not be before the start.")
    known = {item.key: item.text for item in spec.contract_items}
    if any(key not in known for key in data.clauses):
        errors["clauses"] = _("Choose the clauses of the policy's checklist.")
    elif data.important_information:
        missing = [text for key, text in known.items() if key not in data.clauses]
        if missing:
            errors["clauses"] = _(
                "Work on important information needs these clauses in the contract: %(items)s"
            ) % {"items": "、".join(missing)}
        if not data.nda:
            errors["nda"] = _("Work on important information needs a non-disclosure agreement (8.1(2)①(オ)).")
    if data.manager.organization_id != organization.pk:
        errors["manager"] = _("Choose someone of your own organisation.")
    if errors:
        raise Invalid(fields=errors)
    with transaction.atomic():
        contract = Contract.objects.create(
            organization=organization,
            title=data.title.strip()[:200],
            vendor=data.vendor.strip()[:200],
            department=data.department,
            manager=data.manager,
            important_information=data.important_information,
            nda=data.nda,
            starts_on=data.starts_on,
            ends_on=data.ends_on,
            clauses={key: True for key in data.clauses},
            next_check_on=add_months(data.starts_on, spec.check_months),
            recorded_by=actor,
            recorded_at=timezone.now(),
        )
        contract.systems.set(data.systems)
        record(
            actor=actor,
            action="contract.registered",
            obj=contract,
            data={
                "vendor": contract.vendor,
                "important": data.important_information,
                "clauses": sorted(data.clauses),
                "nda": data.nda,
            },
        )
    return contract


def record_check(
    contract: Contract, *, actor: Any, checked_on: date, compliant: bool, note: str, measures: str
) -> ComplianceCheck:
    """8.1(3)①(イ)(ウ): the periodic check of the vendor's compliance, and the measures taken."""
    spec = spec_of(contract.organization)
    if actor.organization_id != contract.organization_id or not (
        actor.pk == contract.manager_id or _holds(actor, spec.manage_roles)
    ):
        raise NotAllowed()
    if contract.state != ContractState.ACTIVE:
        raise WrongState(_("This contract has ended."))
    if not note.strip():
        raise Invalid(fields={"note": _("Say what was checked.")})
    if not compliant and not measures.strip():
        raise Invalid(fields={"measures": _("Say what was done about the shortcomings.")})
    with transaction.atomic():
        check = ComplianceCheck.objects.create(
            contract=contract,
            checked_on=checked_on,
            checked_by=actor,
            compliant=compliant,
            note=note.strip(),
            measures=measures.strip(),
        )
        contract.next_check_on = add_months(checked_on, spec.check_months)
        contract.save(update_fields=["next_check_on"])
        record(
            actor=actor,
            action="contract.checked",
            obj=contract,
            data={"checked_on": checked_on, "compliant": compliant, "measures": check.measures},
        )
    return check


def end_contract(contract: Contract, *, actor: Any, ended_on: date, confirmed: list[str]) -> Contract:
    """8.1(4)①: every end-of-contract check confirmed — acceptance, information returned or erased."""
    spec = spec_of(contract.organization)
    if actor.organization_id != contract.organization_id or not (
        actor.pk == contract.manager_id or _holds(actor, spec.manage_roles)
    ):
        raise NotAllowed()
    if contract.state != ContractState.ACTIVE:
        raise WrongState(_("This contract has ended."))
    missing = [item.text for item in spec.end_items if item.key not in confirmed]
    if missing:
        raise Invalid(
            fields={"confirmed": _("Confirm before ending: %(items)s") % {"items": "、".join(missing)}}
        )
    with transaction.atomic():
        contract.state, contract.ended_on = ContractState.ENDED, ended_on
        contract.end_checks = {item.key: True for item in spec.end_items}
        contract.save(update_fields=["state", "ended_on", "end_checks"])
        record(
            actor=actor,
            action="contract.ended",
            obj=contract,
            data={"ended_on": ended_on, "confirmed": sorted(confirmed)},
        )
    return contract


@dataclass
class CloudInput:
    service: str
    provider: str
    purpose: str
    information: str
    data_location: str
    department: Any = None
    system: Any = None


def apply_cloud(organization: Any, *, actor: Any, data: CloudInput) -> CloudApplication:
    """8.3(5)①: the 情報セキュリティ責任者 applies to use a cloud service."""
    spec = spec_of(organization)
    if actor.organization_id != organization.pk or not _holds(actor, spec.cloud_apply_roles):
        raise NotAllowed()
    errors = {
        key: _("This is required.")
        for key in ("service", "provider", "purpose", "information", "data_location")
        if not getattr(data, key).strip()
    }
    if errors:
        raise Invalid(fields=errors)
    with transaction.atomic():
        application = CloudApplication.objects.create(
            organization=organization,
            service=data.service.strip()[:200],
            provider=data.provider.strip()[:200],
            purpose=data.purpose.strip(),
            information=data.information.strip(),
            data_location=data.data_location.strip()[:200],
            applicant=actor,
            department=data.department or actor.department,
            system=data.system,
            applied_at=timezone.now(),
        )
        record(
            actor=actor,
            action="cloud.applied",
            obj=application,
            data={
                "service": application.service,
                "provider": application.provider,
                "data_location": application.data_location,
            },
        )
    return application


def decide_cloud(
    application: CloudApplication, *, actor: Any, approve: bool, note: str, cloud_manager: Any = None
) -> CloudApplication:
    """8.3(5)②③: the approver decides — never on their own application — and names the manager."""
    spec = spec_of(application.organization)
    if actor.organization_id != application.organization_id or not _holds(actor, spec.cloud_approve_roles):
        raise NotAllowed()
    if actor.pk == application.applicant_id:
        raise NotAllowed(_("An application cannot be decided by the person who made it."))
    if approve and cloud_manager is None:
        raise Invalid(fields={"cloud_manager": _("Name the cloud service manager (8.3(5)③).")})
    if not approve and not note.strip():
        raise Invalid(fields={"note": _("Say why the application is rejected.")})
    if cloud_manager is not None and cloud_manager.organization_id != application.organization_id:
        raise Invalid(fields={"cloud_manager": _("Choose someone of your own organisation.")})
    with transaction.atomic():
        application = CloudApplication.objects.select_for_update().get(pk=application.pk)
        if application.state != CloudState.APPLIED:
            raise WrongState(_("This application has already been decided."))
        application.state = CloudState.APPROVED if approve else CloudState.REJECTED
        application.decided_by, application.decided_at, application.decision_note = (
            actor,
            timezone.now(),
            note.strip(),
        )
        application.cloud_manager = cloud_manager if approve else None
        application.save()
        record(
            actor=actor,
            action="cloud.approved" if approve else "cloud.rejected",
            obj=application,
            data={
                "note": application.decision_note,
                "cloud_manager": str(cloud_manager) if cloud_manager else None,
            },
        )
    return application


REMIND_DAYS_BEFORE_CHECK = 7  # the contract's manager is told a week before a compliance check is due


def remind_due_checks(*, today: date | None = None) -> int:
    """Mail the manager of each contract in force (and the roles that manage outsourcing) when its periodic
    compliance check (8.1(3)①(イ)) is due within a week or overdue; once for each due date. The worker runs
    this hourly. Returns reminders sent."""
    from mamori.paging.transports import smtp_connection

    today = today or timezone.localdate()
    horizon = today + timedelta(days=REMIND_DAYS_BEFORE_CHECK)
    sent = 0
    due = Contract.objects.filter(state=ContractState.ACTIVE, next_check_on__lte=horizon).select_related(
        "organization", "manager"
    )
    for contract in due:
        if contract.check_reminded_for == contract.next_check_on:
            continue
        spec = active_policy(contract.organization).outsourcing
        roles = spec.manage_roles if spec else []
        keepers = Assignment.objects.filter(
            role__organization=contract.organization, role__key__in=roles, role__active=True
        ).select_related("person")
        addresses = sorted({p.email for p in [contract.manager, *(a.person for a in keepers)] if p.email})
        subject = _("Compliance check of %(contract)s due on %(date)s") % {
            "contract": contract,
            "date": contract.next_check_on,
        }
        body = _(
            "The periodic check of the vendor's compliance with the contract's security clauses (%(contract)s) is due "
            "on %(date)s. Record it in Mamori with what was checked and any measures taken."
        ) % {"contract": contract, "date": contract.next_check_on}
        try:
            if addresses:
                EmailMessage(subject, body, None, addresses, connection=smtp_connection()).send()
        except Exception:
            log.exception("reminder for contract %s not sent", contract.pk)
            continue
        with transaction.atomic():
            Contract.objects.filter(pk=contract.pk).update(check_reminded_for=contract.next_check_on)
            record(
                actor="system",
                action="contract.check_reminded",
                obj=contract,
                data={"due_on": contract.next_check_on, "to": addresses},
            )
        sent += 1
    return sent
