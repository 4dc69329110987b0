"""Pages of outsourcing and cloud services: the register (contracts with their next check, cloud
applications), a contract with its checks and end, a cloud application with its decision."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from mamori.assets.views import show_errors
from mamori.http import AuthedRequest
from mamori.incidents.access import can, roles_of
from mamori.incidents.errors import ServiceError
from mamori.people.models import Organization
from mamori.policy.services import active_policy

from . import services
from .forms import CheckForm, CloudDecisionForm, CloudForm, ContractForm, EndForm
from .models import CloudApplication, CloudState, Contract, ContractState


def _organization(request: AuthedRequest) -> Organization:
    organization = request.user.organization
    if organization is None:
        raise Http404
    return organization


def _roles(request: AuthedRequest) -> dict[str, bool]:
    spec = active_policy(_organization(request)).outsourcing
    held = roles_of(request.user)
    if spec is None:
        return {"manage": False, "apply": False, "approve": False}
    return {
        "manage": bool(held & set(spec.manage_roles)),
        "apply": bool(held & set(spec.cloud_apply_roles)),
        "approve": bool(held & set(spec.cloud_approve_roles)),
    }


def _reader(request: AuthedRequest) -> dict[str, bool]:
    roles = _roles(request)
    if not (any(roles.values()) or can(request.user, "view_all")):
        raise PermissionDenied
    return roles


def _fail(form: Any, exc: ServiceError) -> None:
    if exc.status == 403:
        raise PermissionDenied(str(exc.message))
    show_errors(form, exc)


@login_required
@require_GET
def register(request: AuthedRequest) -> HttpResponse:
    organization = _organization(request)
    spec = active_policy(organization).outsourcing
    if spec is None:
        return render(request, "outsourcing/register.html", {"spec": None})
    roles = _reader(request)
    today = timezone.localdate()
    contracts = list(
        Contract.objects.filter(organization=organization)
        .select_related("manager", "department")
        .order_by("state", "next_check_on")
    )
    for contract in contracts:
        contract.check_due = contract.state == ContractState.ACTIVE and contract.next_check_on <= today  # type: ignore[attr-defined]
    clouds = list(
        CloudApplication.objects.filter(organization=organization).select_related(
            "applicant", "cloud_manager"
        )
    )
    return render(
        request,
        "outsourcing/register.html",
        {"spec": spec, "contracts": contracts, "clouds": clouds, "roles": roles},
    )


@login_required
@require_http_methods(["GET", "POST"])
def contract_new(request: AuthedRequest) -> HttpResponse:
    organization = _organization(request)
    spec = active_policy(organization).outsourcing
    if spec is None or not _roles(request)["manage"]:
        raise PermissionDenied
    form = ContractForm(request.POST or None, spec=spec, organization_id=organization.pk)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            contract = services.register_contract(
                organization,
                actor=request.user,
                data=services.ContractInput(
                    title=d["title"],
                    vendor=d["vendor"],
                    manager=d["manager"],
                    starts_on=d["starts_on"],
                    ends_on=d["ends_on"],
                    important_information=d["important_information"],
                    nda=d["nda"],
                    clauses=d["clauses"],
                    department=d["department"],
                    systems=list(d["systems"]),
                ),  # fmt: skip
            )
        except ServiceError as exc:
            _fail(form, exc)
        else:
            messages.success(request, _("The contract was registered."))
            return redirect("outsourcing:contract", contract.pk)
    return render(
        request, "outsourcing/contract_form.html", {"form": form}, status=400 if form.is_bound else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def contract_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    organization = _organization(request)
    roles = _reader(request)
    contract = (
        Contract.objects.filter(organization=organization, pk=pk)
        .select_related("manager", "department")
        .first()
    )
    spec = active_policy(organization).outsourcing
    if contract is None or spec is None:
        raise Http404
    check_form = CheckForm(
        request.POST if "note" in request.POST else None, initial={"checked_on": timezone.localdate()}
    )
    end_form = EndForm(
        request.POST if "ended_on" in request.POST else None,
        spec=spec,
        initial={"ended_on": timezone.localdate()},
    )
    if request.method == "POST":
        try:
            if check_form.is_bound and check_form.is_valid():
                services.record_check(contract, actor=request.user, **check_form.cleaned_data)
                messages.success(request, _("The compliance check was recorded."))
                return redirect("outsourcing:contract", contract.pk)
            if end_form.is_bound and end_form.is_valid():
                services.end_contract(contract, actor=request.user, **end_form.cleaned_data)
                messages.success(request, _("The contract was ended."))
                return redirect("outsourcing:contract", contract.pk)
        except ServiceError as exc:
            _fail(check_form if check_form.is_bound else end_form, exc)
    clauses = [(item.text, contract.clauses.get(item.key, False)) for item in spec.contract_items]
    return render(
        request,
        "outsourcing/contract.html",
        {
            "contract": contract,
            "clauses": clauses,
            "checks": list(contract.checks.select_related("checked_by")),
            "systems": list(contract.systems.all()),
            "may_act": contract.state == ContractState.ACTIVE
            and (roles["manage"] or request.user.pk == contract.manager_id),
            "check_form": check_form,
            "end_form": end_form,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def cloud_new(request: AuthedRequest) -> HttpResponse:
    organization = _organization(request)
    if not _roles(request)["apply"]:
        raise PermissionDenied
    form = CloudForm(request.POST or None, organization_id=organization.pk)
    if request.method == "POST" and form.is_valid():
        try:
            application = services.apply_cloud(
                organization, actor=request.user, data=services.CloudInput(**form.cleaned_data)
            )
        except ServiceError as exc:
            _fail(form, exc)
        else:
            messages.success(request, _("The application was filed."))
            return redirect("outsourcing:cloud", application.pk)
    return render(
        request, "outsourcing/cloud_form.html", {"form": form}, status=400 if form.is_bound else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def cloud_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    organization = _organization(request)
    roles = _reader(request)
    application = (
        CloudApplication.objects.filter(organization=organization, pk=pk)
        .select_related("applicant", "decided_by", "cloud_manager")
        .first()
    )
    if application is None:
        raise Http404
    form = CloudDecisionForm(request.POST or None, organization_id=organization.pk)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.decide_cloud(
                application,
                actor=request.user,
                approve=d["decision"] == "approve",
                note=d["note"],
                cloud_manager=d["cloud_manager"],
            )
        except ServiceError as exc:
            _fail(form, exc)
        else:
            messages.success(request, _("The decision was recorded."))
            return redirect("outsourcing:cloud", application.pk)
    awaiting = application.state == CloudState.APPLIED
    return render(
        request,
        "outsourcing/cloud.html",
        {
            "application": application,
            "may_decide": awaiting and roles["approve"] and request.user.pk != application.applicant_id,
            "own_application": awaiting and roles["approve"] and request.user.pk == application.applicant_id,
            "form": form,
        },
        status=400 if form.is_bound else 200,
    )
