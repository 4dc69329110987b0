"""Changing people and role assignments. Each function journals its change."""

from typing import Any

from django.db import transaction

from mamori.journal.services import record

from .models import Assignment, Organization, Role, User


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
) -> User:
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
            },
        )
    return person


def assign_role(role: Role, person: User, *, actor: Any, order: int = 0, post: str = "") -> Assignment:
    """Make ``person`` the holder (order 0) or the n-th deputy of ``role``."""
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
