"""Keeping the register of information systems. Each function checks, changes and journals in one
transaction (STYLE.md); the Excel import (workbook.py) goes through the same checks and functions.

tatebayashi 2(2)①(イ): the register is kept by each system's 情報システム管理者; 2(1): classified in the
policy's scheme; 3: the network segment. Every change is journaled with what it was and what it became,
which is the system's history on its page.
"""

from dataclasses import dataclass, field, fields
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from mamori.incidents.errors import Conflict, Invalid
from mamori.journal.services import record
from mamori.people.models import Department, Organization, User
from mamori.policy.schema import PolicyDocument
from mamori.policy.services import active_policy

from .models import InformationSystem, SoftwareItem, product_key

CODE_MAX = InformationSystem._meta.get_field("code").max_length or 30
NAME_MAX = InformationSystem._meta.get_field("name").max_length or 200
SHORT_MAX = 200
SOFTWARE_MAX = 200  # products per system: a register row, not an inventory of every PC


@dataclass
class SystemInput:
    """What a person gives for one system (the form and one row of the Excel register alike)."""

    code: str
    name: str
    purpose: str = ""
    owner_department: Department | None = None
    administrator: User | None = None
    operator: User | None = None
    vendor: str = ""
    vendor_contact: str = ""
    location: str = ""
    segment: str = ""
    classification: dict[str, str] = field(default_factory=dict)
    personal_data: bool = False
    personal_data_count: int | None = None
    in_use: bool = True
    notes: str = ""


@dataclass(frozen=True)
class SoftwareInput:
    product: str
    version: str = ""
    publisher: str = ""


FIELDS = [f.name for f in fields(SystemInput)]


def _text(value: str) -> str:
    return (value or "").strip()


def check_system(
    organization: Organization,
    policy: PolicyDocument,
    data: SystemInput,
    *,
    instance: InformationSystem | None = None,
) -> dict[str, str]:
    """What is wrong with ``data``, by field, in words for the person (empty: nothing)."""
    errors: dict[str, str] = {}
    code, name = _text(data.code), _text(data.name)
    if not code:
        errors["code"] = _("Give the register number (管理番号).")
    elif len(code) > CODE_MAX:
        errors["code"] = _("At most %(max)s characters.") % {"max": CODE_MAX}
    else:
        taken = InformationSystem.objects.filter(organization=organization, code=code)
        if instance is not None:
            taken = taken.exclude(pk=instance.pk)
        if taken.exists():
            errors["code"] = _("Register number “%(code)s” is already used by another system.") % {
                "code": code
            }
    if not name:
        errors["name"] = _("Give the name of the system.")
    elif len(name) > NAME_MAX:
        errors["name"] = _("At most %(max)s characters.") % {"max": NAME_MAX}
    for key in ("vendor", "vendor_contact", "location"):
        if len(_text(getattr(data, key))) > SHORT_MAX:
            errors[key] = _("At most %(max)s characters.") % {"max": SHORT_MAX}
    if data.segment and policy.segment(data.segment) is None:
        errors["segment"] = _("“%(key)s” is not a network segment of the policy.") % {"key": data.segment}
    errors.update(check_classification(policy, data.classification))
    if data.personal_data_count is not None:
        if not data.personal_data:
            errors["personal_data_count"] = _(
                "Give the number of persons only for a system that holds personal data."
            )
        elif data.personal_data_count < 0:
            errors["personal_data_count"] = _("The number of persons cannot be negative.")
    for key in ("owner_department", "administrator", "operator"):
        other = getattr(data, key)
        if other is not None and other.organization_id != organization.pk:
            errors[key] = _("Choose someone of your own organisation.")
    return errors


def check_classification(policy: PolicyDocument, classification: dict[str, str]) -> dict[str, str]:
    """Each axis one of the scheme's levels; the axes the policy requires all given."""
    errors: dict[str, str] = {}
    for axis_key, level_key in classification.items():
        axis = policy.axis(axis_key)
        if axis is None:
            errors[f"class_{axis_key}"] = _("“%(key)s” is not an axis of the policy's classification.") % {
                "key": axis_key
            }
        elif level_key not in {lv.key for lv in axis.levels}:
            errors[f"class_{axis_key}"] = _("“%(level)s” is not a level of %(axis)s (%(levels)s).") % {
                "level": level_key,
                "axis": axis.label,
                "levels": "・".join(lv.label for lv in axis.levels),
            }
    required = policy.asset_register.required_axes if policy.asset_register else []
    for axis_key in required:
        if not classification.get(axis_key):
            axis = policy.axis(axis_key)
            errors[f"class_{axis_key}"] = _("Choose the %(axis)s class (the policy requires it).") % {
                "axis": axis.label if axis else axis_key
            }
    return errors


def normalized(data: SystemInput) -> dict[str, Any]:
    """The model's values for ``data``: text trimmed, empty classes dropped."""
    values = {key: getattr(data, key) for key in FIELDS}
    for key in ("code", "name", "purpose", "vendor", "vendor_contact", "location", "notes"):
        values[key] = _text(values[key])
    values["classification"] = {k: v for k, v in data.classification.items() if v}
    return values


def plain(value: Any) -> Any:
    """A value as the journal keeps it: a row by its name."""
    if hasattr(value, "_meta"):
        return str(value)
    return value


def apply_changes(instance: Any, values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Set on ``instance`` the ``values`` that differ; what changed, as it was and as it became, for the
    journal (the register's history). Shared by the systems and the information assets."""
    changes: dict[str, dict[str, Any]] = {}
    for key, value in values.items():
        before = getattr(instance, key)
        if before != value:
            changes[key] = {"from": plain(before), "to": plain(value)}
            setattr(instance, key, value)
    return changes


def _raise_if(errors: dict[str, str]) -> None:
    if errors:
        raise Invalid(fields=errors)


def create_system(organization: Organization, *, actor: Any, data: SystemInput) -> InformationSystem:
    """Add a system to the register (tatebayashi 2(2)①(イ))."""
    with transaction.atomic():
        policy = active_policy(organization)
        _raise_if(check_system(organization, policy, data))
        system = InformationSystem.objects.create(organization=organization, **normalized(data))
        record(
            actor=actor,
            action="system.created",
            obj=system,
            data={key: plain(value) for key, value in normalized(data).items()},
        )
    return system


def update_system(
    system: InformationSystem, *, actor: Any, data: SystemInput, expected_version: int | None = None
) -> list[str]:
    """Change a system's entry; journals each changed field as it was and as it became."""
    with transaction.atomic():
        locked = InformationSystem.objects.select_for_update().get(pk=system.pk)
        if expected_version is not None and locked.version != expected_version:
            raise Conflict(
                _(
                    "Someone else changed this system after you opened it. Reload the page to see their change, then try again."
                )
            )
        policy = active_policy(locked.organization)
        _raise_if(check_system(locked.organization, policy, data, instance=locked))
        changes = apply_changes(locked, normalized(data))
        if changes:
            locked.version += 1
            locked.save()
            record(actor=actor, action="system.changed", obj=locked, data={"changes": changes})
    system.refresh_from_db()
    return list(changes)


def check_software(items: list[SoftwareInput]) -> list[str]:
    problems = []
    if len(items) > SOFTWARE_MAX:
        problems.append(_("At most %(max)s products per system.") % {"max": SOFTWARE_MAX})
    seen: set[tuple[str, str]] = set()
    for item in items:
        if not _text(item.product):
            problems.append(_("Every line needs the product's name."))
        elif max(len(item.product), len(item.publisher)) > SHORT_MAX or len(item.version) > 100:
            problems.append(
                _("“%(product)s”: a name or version is too long.") % {"product": item.product[:40]}
            )
        key = (product_key(item.product), _text(item.version))
        if item.product and key in seen:
            problems.append(
                _("“%(product)s %(version)s” is listed twice.")
                % {"product": item.product, "version": item.version}
            )
        seen.add(key)
    return problems


def set_software(
    system: InformationSystem, *, actor: Any, items: list[SoftwareInput], expected_version: int | None = None
) -> bool:
    """Replace the system's software list; journals what was added and removed. True if it changed."""
    problems = check_software(items)
    if problems:
        raise Invalid(" ".join(problems))
    with transaction.atomic():
        locked = InformationSystem.objects.select_for_update().get(pk=system.pk)
        if expected_version is not None and locked.version != expected_version:
            raise Conflict(
                _(
                    "Someone else changed this system after you opened it. Reload the page to see their change, then try again."
                )
            )
        before = [s.as_row() for s in locked.software.all()]
        after = [
            {"product": _text(i.product), "publisher": _text(i.publisher), "version": _text(i.version)}
            for i in items
        ]
        if before == after:
            return False
        locked.software.all().delete()
        SoftwareItem.objects.bulk_create(
            SoftwareItem(system=locked, product_key=product_key(row["product"]), **row) for row in after
        )
        locked.version += 1
        locked.save(update_fields=["version", "updated_at"])
        record(
            actor=actor,
            action="system.software_set",
            obj=locked,
            data={
                "added": [row for row in after if row not in before],
                "removed": [row for row in before if row not in after],
            },
        )
    system.refresh_from_db()
    return True
