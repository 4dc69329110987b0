"""被害・復旧見込みチェックリスト (katsushika 6(1)) and requests to vendors (5(1)イ).

Every system in use is a line when the emergency is declared, with its recovery priority from the policy
(``bcp.recovery.priorities``, by the system's class: 可用性2 first). The teams record what they find — not
checked / no damage / damaged / running on interim measures / recovered — and the expected recovery; the
board shows them in the order they are to be recovered.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mamori.assets.models import InformationSystem
from mamori.incidents.errors import Conflict, Invalid, NotAllowed, WrongState
from mamori.journal.services import record
from mamori.policy.schema import PolicyDocument

from . import access
from .choices import RecoveryStatus
from .models import Emergency, RecoveryItem, VendorRequest

TEXT_MAX = 4000
LAST = 99  # the priority of a system no rule names: after all the others


@dataclass
class Priority:
    priority: int
    label: str
    target_hours: int | None


def priority_of(policy: PolicyDocument, classification: dict[str, str]) -> Priority:
    """The smallest priority of the rules the system's classes match (bcp.recovery.priorities)."""
    rules = policy.bcp.recovery.priorities if policy.bcp else []
    matching = [r for r in rules if classification.get(r.axis) in r.classes]
    if not matching:
        return Priority(LAST, _("Not ranked by the plan"), None)
    best = min(matching, key=lambda r: r.priority)
    return Priority(best.priority, best.label, best.target_hours)


def open_checklist(emergency: Emergency, policy: PolicyDocument) -> int:
    systems = InformationSystem.objects.filter(organization_id=emergency.organization_id, in_use=True)
    items = []
    for system in systems:
        rank = priority_of(policy, system.classification or {})
        items.append(
            RecoveryItem(
                emergency=emergency,
                system=system,
                priority=rank.priority,
                priority_label=rank.label,
                target_hours=rank.target_hours,
            )
        )
    RecoveryItem.objects.bulk_create(items)
    return len(items)


def board(emergency: Emergency) -> list[RecoveryItem]:
    """In the order of recovery: priority, then systems still down before those running again."""
    done: dict[str, int] = {
        RecoveryStatus.RECOVERED: 2,
        RecoveryStatus.UNAFFECTED: 2,
        RecoveryStatus.INTERIM: 1,
    }
    items = list(
        RecoveryItem.objects.filter(emergency=emergency)
        .select_related("system__administrator", "updated_by")
        .prefetch_related("requests__requested_by")
    )
    items.sort(key=lambda i: (i.priority, done.get(i.status, 0), i.system.name, i.pk))
    return items


def progress(items: list[RecoveryItem]) -> list[tuple[str, str, int]]:
    """How many systems are in each state, in the order of the states: (status, label, count)."""
    return [(s.value, str(s.label), sum(i.status == s for i in items)) for s in RecoveryStatus]


@dataclass
class VendorContact:
    vendor: str
    contacts: list[str]
    systems: list[str]


def vendor_contacts(items: list[RecoveryItem]) -> list[VendorContact]:
    """事業者連絡先一覧 (katsushika 6(1)): each vendor of the checklist's systems with its contacts, from the
    register of information systems, in the order the systems are to be recovered."""
    found: dict[str, VendorContact] = {}
    for item in items:
        vendor = item.system.vendor.strip()
        if not vendor:
            continue
        entry = found.setdefault(vendor, VendorContact(vendor, [], []))
        contact = item.system.vendor_contact.strip()
        if contact and contact not in entry.contacts:
            entry.contacts.append(contact)
        entry.systems.append(item.system.name)
    return list(found.values())


@dataclass
class ItemUpdate:
    status: str
    damage: str = ""
    expected_recovery_at: datetime | None = None


def update_item(item: RecoveryItem, data: ItemUpdate, *, actor: Any, version: int) -> RecoveryItem:
    if actor.organization_id != item.emergency.organization_id or not access.may_work(actor):
        raise NotAllowed()
    errors: dict[str, str] = {}
    if data.status not in RecoveryStatus.values:
        errors["status"] = _("Choose one of the states.")
    if len(data.damage) > TEXT_MAX:
        errors["damage"] = _("At most %(n)s characters.") % {"n": TEXT_MAX}
    if errors:
        raise Invalid(fields=errors)
    with transaction.atomic():
        item = RecoveryItem.objects.select_for_update().select_related("emergency", "system").get(pk=item.pk)
        if not item.emergency.active:
            raise WrongState(_("This emergency has ended; the checklist is closed."))
        if item.version != version:
            raise Conflict(_("Someone else updated this system after you opened it. Reload and try again."))
        now = timezone.now()
        before = {
            "status": item.status,
            "damage": item.damage,
            "expected_recovery_at": item.expected_recovery_at.isoformat()
            if item.expected_recovery_at
            else None,
        }
        item.status, item.damage = data.status, data.damage.strip()
        item.expected_recovery_at = data.expected_recovery_at
        if data.status != RecoveryStatus.UNCHECKED and item.checked_at is None:
            item.checked_at = now
        if data.status == RecoveryStatus.RECOVERED and item.recovered_at is None:
            item.recovered_at = now
        elif data.status != RecoveryStatus.RECOVERED:
            item.recovered_at = None
        item.updated_at, item.updated_by, item.version = now, actor, item.version + 1
        item.save()
        record(
            actor=actor,
            action="recovery.updated",
            obj=item,
            organization=item.emergency.organization,
            data={
                "emergency": item.emergency.reference,
                "system": item.system.name,
                "before": before,
                "after": {
                    "status": item.status,
                    "damage": item.damage,
                    "expected_recovery_at": item.expected_recovery_at.isoformat()
                    if item.expected_recovery_at
                    else None,
                },
            },
        )
    return item


def request_vendor(
    item: RecoveryItem, *, actor: Any, vendor: str, contact: str, request: str
) -> VendorRequest:
    """Record a request for help made to a vendor (5(1)イ 保守事業者に復旧へ向けた協力依頼)."""
    if actor.organization_id != item.emergency.organization_id or not access.may_work(actor):
        raise NotAllowed()
    errors: dict[str, str] = {}
    if not vendor.strip():
        errors["vendor"] = _("Name the vendor.")
    if not request.strip():
        errors["request"] = _("Say what was asked.")
    for name, value in (("vendor", vendor), ("contact", contact)):
        if len(value) > 200:
            errors[name] = _("At most %(n)s characters.") % {"n": 200}
    if len(request) > TEXT_MAX:
        errors["request"] = _("At most %(n)s characters.") % {"n": TEXT_MAX}
    if errors:
        raise Invalid(fields=errors)
    with transaction.atomic():
        emergency = Emergency.objects.select_for_update().get(pk=item.emergency_id)
        if not emergency.active:
            raise WrongState(_("This emergency has ended; the checklist is closed."))
        made = VendorRequest.objects.create(
            item=item,
            vendor=vendor.strip(),
            contact=contact.strip(),
            request=request.strip(),
            requested_at=timezone.now(),
            requested_by=actor,
        )
        record(
            actor=actor,
            action="recovery.vendor_requested",
            obj=made,
            organization=emergency.organization,
            data={
                "emergency": emergency.reference,
                "system": item.system.name,
                "vendor": made.vendor,
                "contact": made.contact,
                "request": made.request,
            },
        )
    return made


def record_vendor_answer(made: VendorRequest, *, actor: Any, response: str) -> VendorRequest:
    emergency = made.item.emergency
    if actor.organization_id != emergency.organization_id or not access.may_work(actor):
        raise NotAllowed()
    if not response.strip() or len(response) > TEXT_MAX:
        raise Invalid(
            fields={"response": _("Give the vendor's answer (at most %(n)s characters).") % {"n": TEXT_MAX}}
        )
    with transaction.atomic():
        made = VendorRequest.objects.select_for_update().get(pk=made.pk)
        made.response, made.responded_at = response.strip(), timezone.now()
        made.save(update_fields=["response", "responded_at"])
        record(
            actor=actor,
            action="recovery.vendor_answered",
            obj=made,
            organization=emergency.organization,
            data={"emergency": emergency.reference, "vendor": made.vendor, "response": made.response},
        )
    return made
