"""Who may see and change which information systems (STYLE.md: every load for a user goes through here).

The policy's ``view_systems`` grant reads the whole register and ``edit_systems`` changes any of it.
A system's own administrator and operator (tatebayashi 1(5)③④, 1(6): 情報システム管理者 and 担当者)
see and change their system without either grant: the register is theirs to keep (2(2)①(イ)).
"""

from typing import Any

from django.db.models import Q, QuerySet

from mamori.incidents.access import can
from mamori.incidents.errors import NotAllowed, NotFound

from .models import InformationAsset, InformationSystem


def sees_whole_register(user: Any) -> bool:
    return can(user, "view_systems") or can(user, "edit_systems")


def may_add_systems(user: Any) -> bool:
    """Adding systems and importing the register from Excel."""
    return can(user, "edit_systems")


def systems_for(user: Any) -> QuerySet[InformationSystem]:
    if not getattr(user, "is_authenticated", False) or not user.organization_id:
        return InformationSystem.objects.none()
    systems = InformationSystem.objects.filter(organization_id=user.organization_id)
    if sees_whole_register(user):
        return systems
    return systems.filter(Q(administrator=user) | Q(operator=user))


def keeps(user: Any, system: InformationSystem) -> bool:
    """Administers or operates this system."""
    return user.pk is not None and user.pk in (system.administrator_id, system.operator_id)


def may_edit(user: Any, system: InformationSystem) -> bool:
    return system.organization_id == user.organization_id and (
        can(user, "edit_systems") or keeps(user, system)
    )


def get_system_for(user: Any, pk: int, *, write: bool = False) -> InformationSystem:
    """The system, if this person may see it (and change it, with ``write``); else NotFound/NotAllowed."""
    system = (
        systems_for(user)
        .select_related("owner_department", "administrator", "operator")
        .filter(pk=pk)
        .first()
    )
    if system is None:
        raise NotFound()
    if write and not may_edit(user, system):
        raise NotAllowed()
    return system


# --- information assets (情報資産台帳): the same grants; the asset's manager keeps their own ---------


def assets_for(user: Any) -> QuerySet[InformationAsset]:
    if not getattr(user, "is_authenticated", False) or not user.organization_id:
        return InformationAsset.objects.none()
    assets = InformationAsset.objects.filter(organization_id=user.organization_id)
    return assets if sees_whole_register(user) else assets.filter(manager=user)


def may_edit_asset(user: Any, asset: InformationAsset) -> bool:
    return asset.organization_id == user.organization_id and (
        can(user, "edit_systems") or asset.manager_id == user.pk
    )


def get_asset_for(user: Any, pk: int, *, write: bool = False) -> InformationAsset:
    asset = assets_for(user).select_related("owner_department", "manager", "system").filter(pk=pk).first()
    if asset is None:
        raise NotFound()
    if write and not may_edit_asset(user, asset):
        raise NotAllowed()
    return asset
