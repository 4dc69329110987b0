"""Who may apply for, decide on and read exception measures (tatebayashi 7.4), from the policy's
``exception_measures``. Every load for a user goes through here (STYLE.md)."""

from typing import Any

from django.db.models import QuerySet

from mamori.incidents.access import roles_of
from mamori.incidents.errors import NotFound
from mamori.policy.schema_registers import ExceptionMeasuresSpec
from mamori.policy.services import policy_of_person

from .models import ExceptionMeasure


def spec_for(user: Any) -> ExceptionMeasuresSpec | None:
    policy = policy_of_person(user)
    return policy.exception_measures if policy else None


def may_apply(user: Any) -> bool:
    spec = spec_for(user)
    return bool(spec and roles_of(user) & set(spec.apply_roles))


def may_decide(user: Any) -> bool:
    spec = spec_for(user)
    return bool(spec and roles_of(user) & set(spec.approve_roles))


def reads_register(user: Any) -> bool:
    """The approvers and the roles the policy names read every application (7.4(3))."""
    spec = spec_for(user)
    return bool(spec and roles_of(user) & {*spec.approve_roles, *spec.view_roles})


def measures_for(user: Any) -> QuerySet[ExceptionMeasure]:
    if not getattr(user, "is_authenticated", False) or not user.organization_id:
        return ExceptionMeasure.objects.none()
    measures = ExceptionMeasure.objects.filter(organization_id=user.organization_id)
    return measures if reads_register(user) else measures.filter(applicant=user)


def get_measure_for(user: Any, pk: int) -> ExceptionMeasure:
    measure = measures_for(user).select_related("applicant", "department", "decided_by").filter(pk=pk).first()
    if measure is None:
        raise NotFound()
    return measure
