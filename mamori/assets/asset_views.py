"""Pages of the register of information assets (情報資産台帳): the list, one asset with its class's
handling rules and history, adding and changing, and the Excel export."""

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from mamori.http import AuthedRequest
from mamori.incidents.errors import NotAllowed, NotFound, ServiceError
from mamori.journal.models import JournalEntry
from mamori.journal.services import record
from mamori.people.fields import role_holder_suggestions
from mamori.policy.services import active_policy

from . import access
from .forms import AssetForm
from .information_assets import create_asset, update_asset
from .models import AssetKind, InformationAsset
from .views import PAGE_SIZE, classification_rows, organization_of, show_errors
from .workbook import XLSX_CONTENT_TYPE, write_assets


def _load(request: AuthedRequest, pk: int, *, write: bool = False) -> InformationAsset:
    try:
        return access.get_asset_for(request.user, pk, write=write)
    except NotFound:
        raise Http404 from None
    except NotAllowed:
        raise PermissionDenied from None


@login_required
@require_GET
def asset_list(request: AuthedRequest) -> HttpResponse:
    policy = active_policy(organization_of(request))
    assets = access.assets_for(request.user).select_related("owner_department", "manager", "system")
    query = request.GET.get("q", "").strip()[:100]
    if query:
        assets = assets.filter(Q(code__icontains=query) | Q(name__icontains=query))
    kind = request.GET.get("kind", "")
    if kind in AssetKind.values:
        assets = assets.filter(kind=kind)
    if request.GET.get("retired") != "1":
        assets = assets.filter(in_use=True)
    page = Paginator(assets.order_by("code", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    axes = policy.classification.axes if policy.classification else []
    for asset in page:
        asset.class_labels = [  # type: ignore[attr-defined]
            next((lv.label for lv in axis.levels if lv.key == asset.classification.get(axis.key)), "—")
            for axis in axes
        ]
    return render(
        request,
        "assets/asset_list.html",
        {
            "page": page,
            "axes": axes,
            "kinds": AssetKind.choices,
            "kind": kind,
            "query": query,
            "retired": request.GET.get("retired") == "1",
            "may_add": access.may_add_systems(request.user),
            "whole_register": access.sees_whole_register(request.user),
        },
    )


@login_required
@require_GET
def asset_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    asset = _load(request, pk)
    policy = active_policy(asset.organization)
    history = JournalEntry.objects.filter(
        object_type="assets.informationasset", object_id=str(asset.pk)
    ).order_by("-seq")[:200]
    return render(
        request,
        "assets/asset_detail.html",
        {
            "asset": asset,
            "classification": classification_rows(asset, policy),
            "history": history,
            "may_edit": access.may_edit_asset(request.user, asset),
        },
    )


def _form_page(request: AuthedRequest, form: AssetForm, asset: InformationAsset | None) -> HttpResponse:
    return render(
        request,
        "assets/asset_form.html",
        {
            "form": form,
            "asset": asset,
            "person_suggestions": role_holder_suggestions(organization_of(request).pk),
        },
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def asset_create(request: AuthedRequest) -> HttpResponse:
    if not access.may_add_systems(request.user):
        raise PermissionDenied
    organization = organization_of(request)
    form = AssetForm(request.POST or None, organization=organization, policy=active_policy(organization))
    if request.method == "POST" and form.is_valid():
        try:
            asset = create_asset(organization, actor=request.user, data=form.asset_input())
        except ServiceError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("The asset was added to the register."))
            return redirect("assets:asset", asset.pk)
    return _form_page(request, form, None)


@login_required
@require_http_methods(["GET", "POST"])
def asset_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    asset = _load(request, pk, write=True)
    form = AssetForm(
        request.POST or None,
        initial=AssetForm.initial_of(asset),
        organization=asset.organization,
        policy=active_policy(asset.organization),
    )
    if request.method == "POST" and form.is_valid():
        try:
            changed = update_asset(
                asset,
                actor=request.user,
                data=form.asset_input(),
                expected_version=form.cleaned_data["version"],
            )
        except ServiceError as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("Saved.") if changed else _("Nothing was changed."))
            return redirect("assets:asset", asset.pk)
    return _form_page(request, form, asset)


@login_required
@require_GET
def asset_export(request: AuthedRequest) -> HttpResponse:
    organization = organization_of(request)
    assets = access.assets_for(request.user)
    name = f"情報資産台帳_{organization.name}_{timezone.localdate():%Y%m%d}.xlsx"
    content = write_assets(assets, active_policy(organization))
    with transaction.atomic():
        record(
            actor=request.user,
            action="assets.exported",
            object_type="assets.asset_register",
            object_label=name,
            organization=organization,
            data={"rows": assets.count(), "file_name": name},
        )
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
