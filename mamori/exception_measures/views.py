"""Pages of the exception measures: the register (7.4(3)), an application, one measure with its decision."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mamori.assets.views import show_errors
from mamori.http import AuthedRequest
from mamori.incidents.errors import NotFound, ServiceError
from mamori.journal.models import JournalEntry

from . import access
from .forms import DecisionForm, EndForm, MeasureForm
from .models import STATE_COLOURS, ExceptionMeasure, MeasureState
from .services import apply_measure, decide, end_measure, withdraw

# What each journal entry of a measure says in its history.
ACTION_LABELS = {
    "exception_measure.applied": gettext_lazy("applied for"),
    "exception_measure.reported": gettext_lazy("reported as taken in an emergency"),
    "exception_measure.approved": gettext_lazy("approved"),
    "exception_measure.rejected": gettext_lazy("rejected"),
    "exception_measure.withdrawn": gettext_lazy("withdrawn"),
    "exception_measure.ended": gettext_lazy("ended"),
    "exception_measure.reminded": gettext_lazy("reminder of the end sent"),
}


def _load(request: AuthedRequest, pk: int) -> ExceptionMeasure:
    try:
        return access.get_measure_for(request.user, pk)
    except NotFound:
        raise Http404 from None


@login_required
@require_GET
def measure_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    spec = access.spec_for(user)
    if spec is None:
        return render(request, "exception_measures/list.html", {"spec": None})
    state = request.GET.get("state", "")
    measures = access.measures_for(user).select_related("applicant", "department", "decided_by")
    if state in MeasureState.values:
        measures = measures.filter(state=state)
    today = timezone.localdate()
    rows = list(measures[:500])
    for m in rows:
        m.colour = STATE_COLOURS.get(m.state, "grey")  # type: ignore[attr-defined]
        m.expired = m.state == MeasureState.APPROVED and m.ends_on < today  # type: ignore[attr-defined]
    return render(
        request,
        "exception_measures/list.html",
        {
            "measures": rows,
            "states": MeasureState.choices,
            "state": state,
            "may_apply": access.may_apply(user),
            "whole_register": access.reads_register(user),
            "spec": spec,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def measure_new(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if not access.may_apply(user) or user.organization is None:
        raise PermissionDenied
    form = MeasureForm(request.POST or None, organization_id=user.organization.pk)
    if request.method == "POST" and form.is_valid():
        try:
            measure = apply_measure(user.organization, actor=user, data=form.measure_input())
        except ServiceError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("Application No. %(n)s was filed.") % {"n": measure.number})
            return redirect("exception_measures:detail", measure.pk)
    return render(
        request,
        "exception_measures/form.html",
        {"form": form, "spec": access.spec_for(user)},
        status=400 if form.is_bound else 200,
    )


def _detail(
    request: AuthedRequest, measure: ExceptionMeasure, status: int = 200, **forms: Any
) -> HttpResponse:
    user = request.user
    awaiting = measure.state in MeasureState.awaiting_decision()
    return render(
        request,
        "exception_measures/detail.html",
        {
            "measure": measure,
            "colour": STATE_COLOURS.get(measure.state, "grey"),
            "systems": list(measure.systems.all()),
            "may_decide": awaiting and access.may_decide(user) and user.pk != measure.applicant_id,
            "own_application": awaiting and access.may_decide(user) and user.pk == measure.applicant_id,
            "may_withdraw": measure.state == MeasureState.APPLIED and user.pk == measure.applicant_id,
            "may_end": measure.state in (MeasureState.APPROVED, MeasureState.REPORTED, MeasureState.REJECTED)
            and (user.pk == measure.applicant_id or access.may_decide(user)),
            "decision_form": forms.get("decision_form") or DecisionForm(initial={"version": measure.version}),
            "end_form": forms.get("end_form") or EndForm(),
            "history": [
                (e, ACTION_LABELS.get(e.action, e.action))
                for e in JournalEntry.objects.filter(
                    object_type="exception_measures.exceptionmeasure", object_id=str(measure.pk)
                ).order_by("seq")
            ],
        },
        status=status,
    )


@login_required
@require_GET
def measure_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    return _detail(request, _load(request, pk))


@login_required
@require_POST
def measure_decide(request: AuthedRequest, pk: int) -> HttpResponse:
    measure = _load(request, pk)
    if not access.may_decide(request.user) or request.user.pk == measure.applicant_id:
        raise PermissionDenied
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            decide(
                measure,
                actor=request.user,
                approve=form.cleaned_data["decision"] == "approve",
                note=form.cleaned_data["note"],
                expected_version=form.cleaned_data["version"],
            )
        except ServiceError as exc:
            if exc.status == 403:
                raise PermissionDenied(str(exc.message)) from None
            show_errors(form, exc)
        else:
            messages.success(request, _("The decision was recorded."))
            return redirect("exception_measures:detail", measure.pk)
    return _detail(request, measure, 400, decision_form=form)


@login_required
@require_POST
def measure_withdraw(request: AuthedRequest, pk: int) -> HttpResponse:
    measure = _load(request, pk)
    try:
        withdraw(measure, actor=request.user)
    except ServiceError as exc:
        if exc.status == 403:
            raise PermissionDenied from None
        messages.error(request, str(exc.message))
    return redirect("exception_measures:detail", measure.pk)


@login_required
@require_POST
def measure_end(request: AuthedRequest, pk: int) -> HttpResponse:
    measure = _load(request, pk)
    if request.user.pk != measure.applicant_id and not access.may_decide(request.user):
        raise PermissionDenied
    form = EndForm(request.POST)
    if form.is_valid():
        try:
            end_measure(measure, actor=request.user, note=form.cleaned_data["end_note"])
        except ServiceError as exc:
            if exc.status == 403:
                raise PermissionDenied from None
            show_errors(form, exc)
        else:
            messages.success(request, _("The measure was ended."))
            return redirect("exception_measures:detail", measure.pk)
    return _detail(request, measure, 400, end_form=form)
