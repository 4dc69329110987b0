"""Pages of the audits register: the year (plan, audits, findings, self-inspections), one audit with its
checklist and findings, one finding with its improvement plan, progress and the check elsewhere."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from mamori import wareki
from mamori.assets.views import show_errors
from mamori.http import AuthedRequest
from mamori.incidents.access import can
from mamori.incidents.errors import ServiceError
from mamori.people.models import Organization
from mamori.policy.services import active_policy

from . import services
from .forms import (
    ApprovalForm,
    AuditRecordForm,
    FindingForm,
    ImprovementForm,
    InspectionForm,
    PlanForm,
    ProgressForm,
    ScheduleForm,
    SpreadAnswerForm,
    SpreadForm,
)
from .models import Audit, AuditPlan, Finding, FindingState, ItemResult


def _organization(request: AuthedRequest) -> Organization:
    organization = request.user.organization
    if organization is None:
        raise Http404
    return organization


def _year(request: AuthedRequest) -> int:
    try:
        return int(
            request.GET.get("year") or request.POST.get("year") or wareki.fiscal_year(timezone.localdate())
        )
    except ValueError:
        raise Http404 from None


def _reader(request: AuthedRequest) -> Organization:
    """The audits' managers, those who inspect themselves, and those who see everything read the register."""
    user = request.user
    organization = _organization(request)
    if not (services.manages(user) or services.inspects(user) or can(user, "view_all")):
        raise PermissionDenied
    return organization


def _fail(form: Any, exc: ServiceError) -> None:
    if exc.status == 403:
        raise PermissionDenied(str(exc.message))
    show_errors(form, exc)


@login_required
@require_http_methods(["GET", "POST"])
def audit_year(request: AuthedRequest) -> HttpResponse:
    organization = _reader(request)
    spec = active_policy(organization).audits
    if spec is None:
        return render(request, "audits/year.html", {"spec": None})
    year = _year(request)
    user = request.user
    plan = AuditPlan.objects.filter(organization=organization, fiscal_year=year).first()
    plan_form = PlanForm(
        request.POST if "scope" in request.POST else None,
        initial={"title": plan.title, "scope": plan.scope} if plan else None,
    )
    approval_form = ApprovalForm(request.POST if "approved_on" in request.POST else None)
    schedule_form = ScheduleForm(
        request.POST if "auditor" in request.POST else None, organization_id=organization.pk
    )
    if request.method == "POST":
        try:
            if plan_form.is_bound and plan_form.is_valid():
                services.save_plan(organization, actor=user, fiscal_year=year, **plan_form.cleaned_data)
                messages.success(request, _("The audit plan was saved."))
                return redirect(f"{request.path}?year={year}")
            if approval_form.is_bound and approval_form.is_valid() and plan is not None:
                services.record_plan_approval(plan, actor=user, **approval_form.cleaned_data)
                messages.success(request, _("The approval was recorded."))
                return redirect(f"{request.path}?year={year}")
            if schedule_form.is_bound and schedule_form.is_valid() and plan is not None:
                audit = services.schedule_audit(plan, actor=user, **schedule_form.cleaned_data)
                messages.success(request, _("The audit was scheduled."))
                return redirect("audits:audit", audit.pk)
        except ServiceError as exc:
            _fail(next(f for f in (plan_form, approval_form, schedule_form) if f.is_bound), exc)
    return render(
        request,
        "audits/year.html",
        {
            "spec": spec,
            "year": year,
            "year_label": wareki.fiscal_year_label(year, user.date_style),
            "plan": plan,
            "audits": list(plan.audits.select_related("department", "auditor")) if plan else [],
            "findings": list(
                # The year's findings, and any still open from earlier years (9.1(7)①: until completed).
                Finding.objects.filter(organization=organization)
                .filter(
                    Q(audit__plan__fiscal_year=year)
                    | Q(origin__audit__plan__fiscal_year=year)
                    | Q(state__in=[FindingState.OPEN, FindingState.IMPROVING, FindingState.TO_CHECK])
                )
                .select_related("department", "origin")[:300]
            ),
            "inspections": services.inspection_status(organization, year),
            "manages": services.manages(user),
            "inspects": services.inspects(user),
            "plan_form": plan_form,
            "approval_form": approval_form,
            "schedule_form": schedule_form,
        },
        status=400 if request.method == "POST" else 200,
    )


def _audit(request: AuthedRequest, pk: int) -> Audit:
    organization = _reader(request)
    audit = (
        Audit.objects.filter(plan__organization=organization, pk=pk)
        .select_related("plan", "department", "auditor")
        .first()
    )
    if audit is None:
        raise Http404
    return audit


@login_required
@require_http_methods(["GET", "POST"])
def audit_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    audit = _audit(request, pk)
    spec = active_policy(audit.plan.organization).audits
    if spec is None:  # the policy no longer keeps audits: the records stay, the forms need its checklist
        raise Http404
    user = request.user
    initial = {"done_on": audit.done_on or timezone.localdate()}
    initial.update({f"item_{r['key']}": r["result"] for r in audit.results})
    initial.update({f"note_{r['key']}": r.get("note", "") for r in audit.results})
    record_form = AuditRecordForm(
        request.POST if "done_on" in request.POST else None,
        spec=spec,
        initial={**initial, "summary": audit.summary},
    )
    finding_form = FindingForm(request.POST if "text" in request.POST else None, spec=spec)
    if request.method == "POST":
        try:
            if record_form.is_bound and record_form.is_valid():
                services.record_audit(
                    audit,
                    actor=user,
                    done_on=record_form.cleaned_data["done_on"],
                    results=record_form.results(),
                    summary=record_form.cleaned_data["summary"],
                )
                messages.success(request, _("The audit was recorded."))
                return redirect("audits:audit", audit.pk)
            if finding_form.is_bound and finding_form.is_valid():
                services.add_finding(audit, actor=user, **finding_form.cleaned_data)
                messages.success(request, _("The finding was recorded."))
                return redirect("audits:audit", audit.pk)
        except ServiceError as exc:
            _fail(record_form if record_form.is_bound else finding_form, exc)
    items = {i.key: i.text for i in spec.checklist}
    return render(
        request,
        "audits/audit.html",
        {
            "audit": audit,
            "results": [
                {**r, "text": items.get(r["key"], r["key"]), "result": ItemResult(r["result"]).label}
                for r in audit.results
            ],
            "findings": list(audit.findings.all()),
            "may_record": user.pk == audit.auditor_id or services.manages(user),
            "record_form": record_form,
            "finding_form": finding_form,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def finding_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    organization = _organization(request)
    finding = (
        Finding.objects.filter(organization=organization, pk=pk)
        .select_related("department", "audit", "origin")
        .first()
    )
    user = request.user
    if finding is None or not (
        services.manages(user)
        or services.inspects(user)
        or can(user, "view_all")
        or finding.department_id == user.department_id
    ):
        raise Http404
    forms = {
        "plan": ImprovementForm(
            request.POST if "plan" in request.POST else None,
            initial={"plan": finding.improvement_plan, "due_on": finding.due_on},
        ),
        "progress": ProgressForm(request.POST if "text" in request.POST else None),
        "spread": SpreadForm(
            request.POST if "departments" in request.POST else None,
            organization_id=organization.pk,
            exclude=finding.department_id,
        ),
        "answer": SpreadAnswerForm(request.POST if "present" in request.POST else None),
    }
    if request.method == "POST":
        bound = next((f for f in forms.values() if f.is_bound), None)
        try:
            if bound is forms["plan"] and bound.is_valid():
                services.set_improvement_plan(finding, actor=user, **bound.cleaned_data)
            elif bound is forms["progress"] and bound.is_valid():
                services.report_progress(finding, actor=user, **bound.cleaned_data)
            elif bound is forms["spread"] and bound.is_valid():
                services.spread_finding(
                    finding, actor=user, departments=list(bound.cleaned_data["departments"])
                )
            elif bound is forms["answer"] and bound.is_valid():
                services.answer_spread(finding, actor=user, **bound.cleaned_data)
            else:
                raise _Invalid
            messages.success(request, _("Saved."))
            return redirect("audits:finding", finding.pk)
        except _Invalid:
            pass
        except ServiceError as exc:
            if bound is not None:
                _fail(bound, exc)
    return render(
        request,
        "audits/finding.html",
        {
            "finding": finding,
            "progress": list(finding.progress.select_related("reported_by")),
            "spread": list(finding.spread.select_related("department")),
            "manages": services.manages(user),
            "open": finding.state in (FindingState.OPEN, FindingState.IMPROVING),
            "to_check": finding.state == FindingState.TO_CHECK,
            "improving": finding.state == FindingState.IMPROVING,
            "forms": forms,
        },
        status=400 if request.method == "POST" else 200,
    )


class _Invalid(Exception):
    """A form on the page was not valid: show it again with its errors."""


@login_required
@require_http_methods(["GET", "POST"])
def inspection_new(request: AuthedRequest) -> HttpResponse:
    organization = _organization(request)
    if not services.inspects(request.user):
        raise PermissionDenied
    spec = services.spec_of(organization)
    form = InspectionForm(
        request.POST or None,
        spec=spec,
        organization_id=organization.pk,
        initial={"done_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.record_self_inspection(
                organization,
                actor=request.user,
                data=services.InspectionInput(
                    done_on=d["done_on"],
                    results=form.results(),
                    improvements=d["improvements"],
                    department=d["department"],
                    system=d["system"],
                ),
            )
        except ServiceError as exc:
            _fail(form, exc)
        else:
            messages.success(request, _("The self-inspection was recorded."))
            return redirect("audits:year")
    return render(
        request, "audits/inspection_form.html", {"form": form}, status=400 if form.is_bound else 200
    )
