"""Keeping the register of information assets that are not systems (情報資産台帳: data sets, documents,
media, devices). Same rules as the systems register (services.py): classified in the policy's scheme
(tatebayashi 2(1)), a manager answerable for each (2(2)①(ア)), every change journaled with what it was."""

from dataclasses import dataclass, field, fields
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from mamori.incidents.errors import Conflict, Invalid
from mamori.journal.services import record
from mamori.people.models import Department, Organization, User
from mamori.policy.services import active_policy

from .models import AssetKind, InformationAsset, InformationSystem
from .services import CODE_MAX, NAME_MAX, SHORT_MAX, apply_changes, check_classification, plain


@dataclass
class AssetInput:
    code: str
    name: str
    kind: str = AssetKind.DATA
    owner_department: Department | None = None
    manager: User | None = None
    location: str = ""
    system: InformationSystem | None = None
    classification: dict[str, str] = field(default_factory=dict)
    personal_data: bool = False
    personal_data_count: int | None = None
    in_use: bool = True
    notes: str = ""


ASSET_FIELDS = [f.name for f in fields(AssetInput)]


def normalized_asset(data: AssetInput) -> dict[str, Any]:
    values = {key: getattr(data, key) for key in ASSET_FIELDS}
    for key in ("code", "name", "location", "notes"):
        values[key] = (values[key] or "").strip()
    values["classification"] = {k: v for k, v in data.classification.items() if v}
    return values


def check_asset(
    organization: Organization, data: AssetInput, *, instance: InformationAsset | None = None
) -> dict[str, str]:
    policy = active_policy(organization)
    errors: dict[str, str] = {}
    code, name = data.code.strip(), data.name.strip()
    if not code:
        errors["code"] = _("Give the register number (管理番号).")
    elif len(code) > CODE_MAX:
        errors["code"] = _("At most %(max)s characters.") % {"max": CODE_MAX}
    else:
        taken = InformationAsset.objects.filter(organization=organization, code=code)
        if instance is not None:
            taken = taken.exclude(pk=instance.pk)
        if taken.exists():
            errors["code"] = _("Register number “%(code)s” is already used by another asset.") % {
                "code": code
            }
    if not name:
        errors["name"] = _("Give the name of the asset.")
    elif len(name) > NAME_MAX:
        errors["name"] = _("At most %(max)s characters.") % {"max": NAME_MAX}
    if len(data.location.strip()) > SHORT_MAX:
        errors["location"] = _("At most %(max)s characters.") % {"max": SHORT_MAX}
    if data.kind not in AssetKind.values:
        errors["kind"] = _("Choose the kind of asset.")
    errors.update(check_classification(policy, data.classification))
    if data.personal_data_count is not None and not data.personal_data:
        errors["personal_data_count"] = _(
            "Give the number of persons only for an asset that holds personal data."
        )
    for key in ("owner_department", "manager", "system"):
        other = getattr(data, key)
        if other is not None and other.organization_id != organization.pk:
            errors[key] = _("Choose someone of your own organisation.")
    return errors


def create_asset(organization: Organization, *, actor: Any, data: AssetInput) -> InformationAsset:
    with transaction.atomic():
        errors = check_asset(organization, data)
        if errors:
            raise Invalid(fields=errors)
        asset = InformationAsset.objects.create(organization=organization, **normalized_asset(data))
        record(
            actor=actor,
            action="asset.created",
            obj=asset,
            data={key: plain(value) for key, value in normalized_asset(data).items()},
        )
    return asset


def update_asset(
    asset: InformationAsset, *, actor: Any, data: AssetInput, expected_version: int | None = None
) -> list[str]:
    with transaction.atomic():
        locked = InformationAsset.objects.select_for_update().get(pk=asset.pk)
        if expected_version is not None and locked.version != expected_version:
            raise Conflict(
                _(
                    "Someone else changed this asset after you opened it. Reload the page to see their change, then try again."
                )
            )
        errors = check_asset(locked.organization, data, instance=locked)
        if errors:
            raise Invalid(fields=errors)
        changes = apply_changes(locked, normalized_asset(data))
        if changes:
            locked.version += 1
            locked.save()
            record(actor=actor, action="asset.changed", obj=locked, data={"changes": changes})
    asset.refresh_from_db()
    return list(changes)
