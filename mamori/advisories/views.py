"""Pages of the security advisories: the list, recording one, importing CSAF, one advisory with its
matched systems and their checks."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mamori.assets import access as assets_access
from mamori.assets.views import show_errors
from mamori.http import AuthedRequest
from mamori.incidents.access import roles_of
from mamori.incidents.errors import Invalid, NotFound, ServiceError

from . import access
from .csaf import CSAFError, read_file
from .forms import AdvisoryForm, CheckAnswerForm, CloseForm, ImportForm, StartChecksForm
from .models import SEVERITY_COLOURS, Advisory, AdvisoryCheck, AdvisoryState, CheckState
from .services import answer_check, close_advisory, find_matches, may_answer, record_advisory, start_checks


def _load(request: AuthedRequest, pk: int) -> Advisory:
    try:
        return access.get_advisory_for(request.user, pk)
    except NotFound:
        raise Http404 from None


def _keeper(request: AuthedRequest) -> Any:
    if not assets_access.may_add_systems(request.user) or request.user.organization is None:
        raise PermissionDenied
    return request.user.organization


@login_required
@require_GET
def advisory_list(request: AuthedRequest) -> HttpResponse:
    advisories = access.advisories_for(request.user).annotate(
        open_checks=Count("checks", filter=Q(checks__state=CheckState.OPEN)), all_checks=Count("checks")
    )
    state = request.GET.get("state", AdvisoryState.OPEN)
    if state in AdvisoryState.values:
        advisories = advisories.filter(state=state)
    rows = list(advisories[:300])
    for a in rows:
        a.colour = SEVERITY_COLOURS.get(a.severity, "grey")  # type: ignore[attr-defined]
    return render(
        request,
        "advisories/list.html",
        {
            "advisories": rows,
            "state": state,
            "states": AdvisoryState.choices,
            "may_record": assets_access.may_add_systems(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def advisory_new(request: AuthedRequest) -> HttpResponse:
    organization = _keeper(request)
    form = AdvisoryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            advisory = record_advisory(organization, actor=request.user, data=form.advisory_input())
        except ServiceError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("The advisory was recorded. Check the matched systems below."))
            return redirect("advisories:detail", advisory.pk)
    return render(request, "advisories/form.html", {"form": form}, status=400 if form.is_bound else 200)


@login_required
@require_http_methods(["GET", "POST"])
def advisory_import(request: AuthedRequest) -> HttpResponse:
    """A CSAF file: every document recorded, or none when one cannot be read; ones already recorded are skipped."""
    organization = _keeper(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            documents = read_file(form.cleaned_data["file"].read())
            recorded, skipped = [], []
            with transaction.atomic():
                for document in documents:
                    try:
                        recorded.append(record_advisory(organization, actor=request.user, data=document))
                    except Invalid as exc:
                        if "identifiers" not in exc.fields:
                            raise Invalid(
                                f"{document.title}: {' '.join(str(m) for m in exc.fields.values()) or exc.message}"
                            ) from None
                        skipped.append(document.title)
        except CSAFError as exc:
            form.add_error("file", str(exc))
        except ServiceError as exc:
            form.add_error("file", str(exc.message))
        else:
            messages.success(
                request,
                _("%(n)s advisories recorded; %(skipped)s already recorded were skipped.")
                % {"n": len(recorded), "skipped": len(skipped)},
            )
            if len(recorded) == 1:
                return redirect("advisories:detail", recorded[0].pk)
            return redirect("advisories:list")
    return render(request, "advisories/import.html", {"form": form}, status=400 if form.is_bound else 200)


def _detail(request: AuthedRequest, advisory: Advisory, status: int = 200, **forms: Any) -> HttpResponse:
    user = request.user
    keeper = assets_access.may_add_systems(user)
    checks = list(
        AdvisoryCheck.objects.filter(advisory=advisory).select_related("system", "assignee", "answered_by")
    )
    roles = roles_of(user)
    for check in checks:
        mine = check.assignee_id == user.pk or (bool(check.assignee_role) and check.assignee_role in roles)
        answerable = check.state == CheckState.OPEN and advisory.state == AdvisoryState.OPEN
        check.mine = answerable and (mine or keeper)  # type: ignore[attr-defined]
    asked = {(c.system_id, c.software) for c in checks}
    pending = (
        [f for f in find_matches(advisory) if (f.system.pk, str(f.software)[:300]) not in asked]
        if keeper
        else []
    )
    return render(
        request,
        "advisories/detail.html",
        {
            "advisory": advisory,
            "colour": SEVERITY_COLOURS.get(advisory.severity, "grey"),
            "products": list(advisory.products.all()),
            "checks": checks,
            "pending": pending,
            "keeper": keeper and advisory.state == AdvisoryState.OPEN,
            "start_form": forms.get("start_form") or StartChecksForm(),
            "answer_form": forms.get("answer_form") or CheckAnswerForm(),
            "close_form": forms.get("close_form") or CloseForm(),
        },
        status=status,
    )


@login_required
@require_GET
def advisory_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    return _detail(request, _load(request, pk))


@login_required
@require_POST
def advisory_start_checks(request: AuthedRequest, pk: int) -> HttpResponse:
    advisory = _load(request, pk)
    _keeper(request)
    form = StartChecksForm(request.POST)
    if form.is_valid():
        try:
            created = start_checks(advisory, actor=request.user, due_on=form.cleaned_data["due_on"])
        except ServiceError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("%(n)s systems were asked to check.") % {"n": len(created)})
            return redirect("advisories:detail", advisory.pk)
    return _detail(request, advisory, 400, start_form=form)


@login_required
@require_POST
def advisory_answer(request: AuthedRequest, pk: int, check_pk: int) -> HttpResponse:
    advisory = _load(request, pk)
    check = AdvisoryCheck.objects.filter(advisory=advisory, pk=check_pk).select_related("advisory").first()
    if check is None:
        raise Http404
    if not may_answer(request.user, check):
        raise PermissionDenied
    form = CheckAnswerForm(request.POST)
    if form.is_valid():
        try:
            answer_check(
                check, actor=request.user, state=form.cleaned_data["state"], note=form.cleaned_data["note"]
            )
        except ServiceError as exc:
            if exc.status == 403:
                raise PermissionDenied from None
            show_errors(form, exc)
        else:
            messages.success(request, _("Your answer was recorded."))
            return redirect("advisories:detail", advisory.pk)
    return _detail(request, advisory, 400, answer_form=form)


@login_required
@require_POST
def advisory_close(request: AuthedRequest, pk: int) -> HttpResponse:
    advisory = _load(request, pk)
    _keeper(request)
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            close_advisory(advisory, actor=request.user, note=form.cleaned_data["note"])
        except ServiceError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("The advisory was closed."))
            return redirect("advisories:detail", advisory.pk)
    return _detail(request, advisory, 400, close_form=form)
