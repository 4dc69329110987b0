"""Changing people, departments and role assignments. Each function journals its change.

Role holders and their 代行者 are what the paging chain reads (komae 第4条第4項, katsushika 5(1)ア),
so every change to them must be on the trail. People are never deleted (the journal and incidents
point at them); they are deactivated instead.
"""

from collections.abc import Iterable
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from mamori.journal.services import record

from .models import Assignment, Department, Organization, Role, User

# Fields ``update_person`` may change. Passwords go through ``set_password``; the organisation
# may be set once (people made by ``createsuperuser`` have none) but never changed, because
# assignments point at that organisation's roles.
PERSON_FIELDS = frozenset(
    {
        "organization",
        "username",
        "display_name",
        "first_name",
        "last_name",
        "email",
        "employee_number",
        "phone",
        "post",
        "department",
        "date_style",
        "language",
        "is_active",
        "is_staff",
        "is_superuser",
    }
)


def _plain(value: Any) -> Any:
    """A journal-friendly form of a field value (model instances by their name)."""
    if isinstance(value, models.Model):
        return str(value)
    return value


def _check_same_organization(organization_id: int | None, *others: Any) -> None:
    for other in others:
        if other is not None and other.organization_id != organization_id:
            raise ValueError(f"{other!r} belongs to another organisation")


def create_person(
    organization: Organization,
    *,
    actor: Any,
    username: str,
    display_name: str,
    password: str | None,
    email: str = "",
    employee_number: str = "",
    phone: str = "",
    post: str = "",
    department: Any = None,
    is_staff: bool = False,
    is_superuser: bool = False,
    temporary_password: bool = True,
) -> User:
    """Create a person. ``password=None`` gives an unusable password (to be set later).

    A password given here is temporary (changed at the first login, tatebayashi 5.4(2)⑥) unless
    ``temporary_password=False`` (demo people, test fixtures).
    """
    _check_same_organization(organization.pk, department)
    with transaction.atomic():
        person = User(
            organization=organization,
            username=username,
            display_name=display_name,
            email=email,
            employee_number=employee_number,
            phone=phone,
            post=post,
            department=department,
            is_staff=is_staff,
            is_superuser=is_superuser,
        )
        if password:
            person.set_password(password)
            person.must_change_password = temporary_password
            person.password_changed_at = timezone.now()
        else:
            person.set_unusable_password()
        person.save()
        record(
            actor=actor,
            action="person.created",
            obj=person,
            organization=organization,
            data={
                "username": username,
                "display_name": display_name,
                "employee_number": employee_number,
                "email": email,
                "department": str(department) if department else None,
                "password_usable": bool(password),
                "password_temporary": person.must_change_password,
                "is_staff": is_staff,
                "is_superuser": is_superuser,
            },
        )
    return person


def update_person(person: User, *, actor: Any, **changes: Any) -> list[str]:
    """Change fields of ``person`` (only those in ``PERSON_FIELDS``); returns the fields changed.

    Journals old and new values; turning ``is_active`` off is recorded as a deactivation.
    """
    unknown = set(changes) - PERSON_FIELDS
    if unknown:
        raise ValueError(f"update_person cannot change {sorted(unknown)}")
    organization = changes.get("organization", person.organization)
    if person.organization_id is not None and organization != person.organization:
        raise ValueError("a person's organisation cannot change once set")
    if "department" in changes:
        _check_same_organization(organization.pk if organization else None, changes["department"])
    diff: dict[str, list[Any]] = {}
    with transaction.atomic():
        for name, value in changes.items():
            old = getattr(person, name)
            if old != value:
                diff[name] = [_plain(old), _plain(value)]
                setattr(person, name, value)
        if not diff:
            return []
        person.save(update_fields=list(diff))
        action = "person.updated"
        if "is_active" in diff:
            action = "person.reactivated" if person.is_active else "person.deactivated"
        record(actor=actor, action=action, obj=person, organization=person.organization, data=diff)
    return list(diff)


def deactivate_person(person: User, *, actor: Any) -> bool:
    """People are never deleted: the journal and incidents keep pointing at them."""
    return bool(update_person(person, actor=actor, is_active=False))


def set_password(person: User, *, actor: Any, password: str | None, temporary: bool | None = None) -> None:
    """Set a new password, or make it unusable (``None``). The journal never holds the password.

    A password set by someone else is temporary unless said otherwise: the person must change it at
    their next login (tatebayashi 5.4(2)⑥, 6.2(4)②).
    """
    if temporary is None:
        temporary = getattr(actor, "pk", None) != person.pk
    with transaction.atomic():
        if password:
            person.set_password(password)
        else:
            person.set_unusable_password()
        person.must_change_password = bool(password) and temporary
        person.password_changed_at = timezone.now()
        person.save(update_fields=["password", "must_change_password", "password_changed_at"])
        record(
            actor=actor,
            action="person.password_set",
            obj=person,
            organization=person.organization,
            data={"usable": bool(password), "temporary": person.must_change_password},
        )


def set_admin_access(person: User, *, actor: Any, groups: Iterable[Any], permissions: Iterable[Any]) -> None:
    """Django groups and permissions decide what a person may do in the administration pages."""
    groups, permissions = list(groups), list(permissions)
    with transaction.atomic():
        person.groups.set(groups)
        person.user_permissions.set(permissions)
        record(
            actor=actor,
            action="person.admin_access",
            obj=person,
            organization=person.organization,
            data={
                "groups": sorted(str(g) for g in groups),
                "permissions": sorted(f"{p.content_type.app_label}.{p.codename}" for p in permissions),
            },
        )


def create_department(
    organization: Organization, *, actor: Any, name: str, parent: Department | None = None
) -> Department:
    _check_same_organization(organization.pk, parent)
    with transaction.atomic():
        department = Department.objects.create(organization=organization, name=name, parent=parent)
        record(
            actor=actor,
            action="department.created",
            obj=department,
            organization=organization,
            data={"name": name, "parent": _plain(parent)},
        )
    return department


def update_department(
    department: Department, *, actor: Any, name: str, parent: Department | None
) -> list[str]:
    _check_same_organization(department.organization_id, parent)
    if parent is not None and parent.pk == department.pk:
        raise ValueError("a department cannot be its own parent")
    diff: dict[str, list[Any]] = {}
    with transaction.atomic():
        for field, value in (("name", name), ("parent", parent)):
            old = getattr(department, field)
            if old != value:
                diff[field] = [_plain(old), _plain(value)]
                setattr(department, field, value)
        if diff:
            department.save(update_fields=list(diff))
            record(actor=actor, action="department.updated", obj=department, data=diff)
    return list(diff)


def delete_department(department: Department, *, actor: Any) -> None:
    """Only a department nobody points at can go (PROTECT raises ``ProtectedError`` otherwise)."""
    with transaction.atomic():
        record(actor=actor, action="department.deleted", obj=department, data={"name": department.name})
        department.delete()


def assign_role(role: Role, person: User, *, actor: Any, order: int = 0, post: str = "") -> Assignment:
    """Make ``person`` the holder (order 0) or the n-th deputy of ``role``."""
    _check_same_organization(role.organization_id, person)
    with transaction.atomic():
        assignment = Assignment.objects.create(role=role, person=person, order=order, post=post)
        record(
            actor=actor,
            action="role.assigned",
            obj=assignment,
            organization=role.organization,
            data={"role": role.key, "person": person.username, "order": order},
        )
    return assignment


def update_assignment(
    assignment: Assignment, *, actor: Any, role: Role | None = None, order: int, post: str
) -> list[str]:
    """Move an assignment to another place in the order (or to another role of the same organisation)."""
    role = role or assignment.role
    _check_same_organization(assignment.role.organization_id, role)
    diff: dict[str, list[Any]] = {}
    with transaction.atomic():
        for field, value in (("role", role), ("order", order), ("post", post)):
            old = getattr(assignment, field)
            if old != value:
                diff[field] = [_plain(old), _plain(value)]
                setattr(assignment, field, value)
        if diff:
            assignment.save(update_fields=list(diff))
            record(
                actor=actor,
                action="role.assignment_changed",
                obj=assignment,
                organization=role.organization,
                data={"role": role.key, "person": assignment.person.username, **diff},
            )
    return list(diff)


def remove_assignment(assignment: Assignment, *, actor: Any) -> None:
    with transaction.atomic():
        record(
            actor=actor,
            action="role.unassigned",
            obj=assignment,
            organization=assignment.role.organization,
            data={
                "role": assignment.role.key,
                "person": assignment.person.username,
                "order": assignment.order,
            },
        )
        assignment.delete()
