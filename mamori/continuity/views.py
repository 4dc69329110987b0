"""Pages of the business-continuity plan: the emergencies, declaring one, the board (command, roll-call by
team, recovery checklist), answering the roll-call (with a link, without logging in; or logged in; or for a
colleague who telephoned), the checklist's lines, requests to vendors, the end and the report."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mamori.assets.views import show_errors
from mamori.http import AuthedRequest
from mamori.incidents.errors import ServiceError
from mamori.people.models import Organization
from mamori.training.models import TrainingSession
from mamori.training.services import may_record

from . import access, drills, recovery, rollcall, services
from .choices import AnsweredVia, Intensity
from .forms import (
    AnswerForm,
    DeclareForm,
    DrillForm,
    EndForm,
    RecoveryForm,
    VendorAnswerForm,
    VendorRequestForm,
)
from .models import Emergency, RecoveryItem, RollCallEntry, VendorRequest
from .report import headquarters_report


def _organization(request: AuthedRequest) -> Organization:
    if request.user.organization is None:
        raise Http404
    return request.user.organization


def _emergency(request: AuthedRequest, pk: int) -> Emergency:
    emergency = access.visible(request.user).filter(pk=pk).select_related("declared_by", "incident").first()
    if emergency is None:
        raise Http404
    return emergency


def _forbidden_or_errors(form: Any, exc: ServiceError) -> None:
    if exc.status == 403:
        raise PermissionDenied from None
    show_errors(form, exc)


@login_required
@require_GET
def emergency_list(request: AuthedRequest) -> HttpResponse:
    plan = access.plan_of(request.user)
    if plan is not None and not access.may_view(request.user):
        raise PermissionDenied
    return render(
        request,
        "continuity/list.html",
        {
            "plan": plan,
            "emergencies": access.visible(request.user).select_related("declared_by")[:200],
            "may_declare": access.may_declare(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def declare(request: AuthedRequest) -> HttpResponse:
    plan = access.plan_of(request.user)
    if plan is None or not access.may_declare(request.user):
        raise PermissionDenied
    form = DeclareForm(
        request.POST or None,
        plan=plan,
        initial={"occurred_at": timezone.localtime().replace(second=0, microsecond=0)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            emergency = services.declare(
                _organization(request), services.Declaration.from_form(form.cleaned_data), actor=request.user
            )
        except ServiceError as exc:
            _forbidden_or_errors(form, exc)
        else:
            messages.success(
                request,
                _("Emergency %(emergency)s declared: %(n)s people are asked whether they are safe.")
                % {"emergency": emergency, "n": emergency.convening.get("members", 0)},
            )
            return redirect("continuity:detail", emergency.pk)
    return render(
        request,
        "continuity/declare.html",
        {
            "form": form,
            "rules": [(kind.label, [_rule_text(r) for r in kind.convening]) for kind in plan.kinds],
        },
        status=400 if form.is_bound else 200,
    )


def _rule_text(rule: Any) -> str:
    """One convening rule in words, e.g. 震度6弱以上 → 全員が参集 (ICT-BCP 5(1)ア(ア))."""
    conditions = []
    if rule.min_intensity:
        conditions.append(_("%(intensity)s or more") % {"intensity": Intensity(rule.min_intensity).label})
    if rule.headquarters:
        conditions.append(_("with a disaster headquarters"))
    outcome = {
        "all": _("everyone comes"),
        "share": _("%(p)s %% of the division comes") % {"p": rule.share_percent},
        "teams": _("the teams %(teams)s come") % {"teams": ", ".join(rule.teams)},
        "decided": _("the person declaring decides who comes"),
        "none": _("nobody is called in"),
    }[rule.convene]
    when = " + ".join(conditions) or _("always")
    return f"{when} → {outcome} ({rule.basis or _('no basis')})"


def _board_context(request: AuthedRequest, emergency: Emergency) -> dict[str, Any]:
    teams, entries = rollcall.board(emergency)
    mine = next((e for e in entries if e.person_id == request.user.pk), None)
    items = recovery.board(emergency)
    return {
        "emergency": emergency,
        "command": services.command_of(emergency),
        "teams": teams,
        "entries": entries,
        "mine": mine,
        "items": items,
        "vendors": recovery.vendor_contacts(items),
        "progress": recovery.progress(items),
        "may_work": access.may_work(request.user) and emergency.active,
        "may_declare": access.may_declare(request.user),
    }


@login_required
@require_GET
def detail(request: AuthedRequest, pk: int) -> HttpResponse:
    emergency = _emergency(request, pk)
    return render(
        request, "continuity/detail.html", {**_board_context(request, emergency), "end_form": EndForm()}
    )


@login_required
@require_GET
def live(request: AuthedRequest, pk: int) -> HttpResponse:
    """The roll-call and recovery part of the board, polled every 20 seconds (htmx)."""
    emergency = _emergency(request, pk)
    return render(request, "continuity/_live.html", _board_context(request, emergency))


def _answer_form(request: HttpRequest, entry: RollCallEntry) -> AnswerForm:
    initial = {}
    if entry.answered:
        initial = {
            "safety": entry.safety,
            "family": entry.family,
            "convening": entry.convening,
            "arrives_at": timezone.localtime(entry.arrives_at) if entry.arrives_at else None,
            "remote": "" if entry.remote is None else ("yes" if entry.remote else "no"),
            "message": entry.message,
        }
    return AnswerForm(request.POST or None, initial=initial)


def _save_answer(form: AnswerForm, entry: RollCallEntry, *, actor: Any, via: str) -> bool:
    if not form.is_valid():
        return False
    try:
        rollcall.answer(entry, rollcall.Answer.from_form(form.cleaned_data), actor=actor, via=via)
    except ServiceError as exc:
        _forbidden_or_errors(form, exc)
        return False
    return True


@never_cache
@require_http_methods(["GET", "POST"])
def answer_by_link(request: HttpRequest, token: str) -> HttpResponse:
    """The one-tap link of the roll-call: no login, the token is bound to this person and emergency.
    GET shows the form only (a mail scanner opening the link answers nothing)."""
    entry = rollcall.entry_for_token(token)
    if entry is None or entry.token_expires_at <= timezone.now():
        return render(request, "continuity/answer.html", {"entry": None}, status=404)
    form = _answer_form(request, entry)
    if request.method == "POST" and _save_answer(form, entry, actor=entry.person, via=AnsweredVia.LINK):
        entry.refresh_from_db()
        return render(request, "continuity/answer.html", {"entry": entry, "saved": True})
    return render(
        request,
        "continuity/answer.html",
        {"entry": entry, "form": form},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def answer_for(request: AuthedRequest, pk: int, entry_pk: int) -> HttpResponse:
    """Answer one's own roll-call logged in, or record a colleague's answer taken by telephone."""
    emergency = _emergency(request, pk)
    entry = (
        RollCallEntry.objects.filter(emergency=emergency, pk=entry_pk)
        .select_related("person", "emergency")
        .first()
    )
    if entry is None:
        raise Http404
    own = entry.person_id == request.user.pk
    if not own and not access.may_work(request.user):
        raise PermissionDenied
    form = _answer_form(request, entry)
    via = AnsweredVia.APP if own else AnsweredVia.PROXY
    if request.method == "POST" and _save_answer(form, entry, actor=request.user, via=via):
        messages.success(request, _("The answer of %(person)s was recorded.") % {"person": entry.person})
        return redirect("continuity:detail", emergency.pk)
    return render(
        request,
        "continuity/answer_for.html",
        {"emergency": emergency, "entry": entry, "form": form, "own": own},
        status=400 if form.is_bound else 200,
    )


def _item(request: AuthedRequest, pk: int, item_pk: int) -> RecoveryItem:
    emergency = _emergency(request, pk)
    item = (
        RecoveryItem.objects.filter(emergency=emergency, pk=item_pk)
        .select_related("system__administrator", "emergency")
        .prefetch_related("requests__requested_by")
        .first()
    )
    if item is None:
        raise Http404
    return item


def _item_page(request: AuthedRequest, item: RecoveryItem, status: int = 200, **forms: Any) -> HttpResponse:
    return render(
        request,
        "continuity/item.html",
        {
            "item": item,
            "emergency": item.emergency,
            "may_work": access.may_work(request.user) and item.emergency.active,
            "form": forms.get("form")
            or RecoveryForm(
                initial={
                    "status": item.status,
                    "damage": item.damage,
                    "expected_recovery_at": timezone.localtime(item.expected_recovery_at)
                    if item.expected_recovery_at
                    else None,
                    "version": item.version,
                }
            ),
            "vendor_form": forms.get("vendor_form")
            or VendorRequestForm(
                initial={"vendor": item.system.vendor, "contact": item.system.vendor_contact}
            ),
            "answer_form": VendorAnswerForm(),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def item(request: AuthedRequest, pk: int, item_pk: int) -> HttpResponse:
    found = _item(request, pk, item_pk)
    if request.method == "GET":
        return _item_page(request, found)
    if not access.may_work(request.user):
        raise PermissionDenied
    form = RecoveryForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            recovery.update_item(
                found,
                recovery.ItemUpdate(d["status"], d["damage"], d["expected_recovery_at"]),
                actor=request.user,
                version=d["version"],
            )
        except ServiceError as exc:
            _forbidden_or_errors(form, exc)
        else:
            messages.success(request, _("%(system)s was updated.") % {"system": found.system.name})
            return redirect("continuity:detail", pk)
    return _item_page(request, found, 400, form=form)


@login_required
@require_POST
def vendor_request(request: AuthedRequest, pk: int, item_pk: int) -> HttpResponse:
    found = _item(request, pk, item_pk)
    if not access.may_work(request.user):
        raise PermissionDenied
    form = VendorRequestForm(request.POST)
    if form.is_valid():
        try:
            recovery.request_vendor(found, actor=request.user, **form.cleaned_data)
        except ServiceError as exc:
            _forbidden_or_errors(form, exc)
        else:
            messages.success(request, _("The request to %(vendor)s was recorded.") % form.cleaned_data)
            return redirect("continuity:item", pk, item_pk)
    return _item_page(request, found, 400, vendor_form=form)


@login_required
@require_POST
def vendor_answer(request: AuthedRequest, pk: int, request_pk: int) -> HttpResponse:
    emergency = _emergency(request, pk)
    made = (
        VendorRequest.objects.filter(item__emergency=emergency, pk=request_pk)
        .select_related("item__emergency")
        .first()
    )
    if made is None:
        raise Http404
    if not access.may_work(request.user):
        raise PermissionDenied
    form = VendorAnswerForm(request.POST)
    if form.is_valid():
        try:
            recovery.record_vendor_answer(made, actor=request.user, response=form.cleaned_data["response"])
        except ServiceError as exc:
            _forbidden_or_errors(form, exc)
        else:
            messages.success(request, _("The vendor's answer was recorded."))
            return redirect("continuity:item", pk, made.item_id)
    messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("continuity:item", pk, made.item_id)


@login_required
@require_POST
def end(request: AuthedRequest, pk: int) -> HttpResponse:
    emergency = _emergency(request, pk)
    if not access.may_declare(request.user):
        raise PermissionDenied
    form = EndForm(request.POST)
    if form.is_valid():
        try:
            services.end(emergency, actor=request.user, note=form.cleaned_data["note"])
        except ServiceError as exc:
            _forbidden_or_errors(form, exc)
        else:
            messages.success(request, _("The emergency has ended."))
            return redirect("continuity:detail", pk)
    context = {**_board_context(request, emergency), "end_form": form}
    return render(request, "continuity/detail.html", context, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def drill(request: AuthedRequest, session_pk: int) -> HttpResponse:
    """Start an exercise of the plan as a drill emergency (katsushika 6(4))."""
    plan = access.plan_of(request.user)
    session = TrainingSession.objects.filter(organization=_organization(request), pk=session_pk).first()
    if (
        plan is None
        or session is None
        or not may_record(request.user)
        or not access.may_declare(request.user)
    ):
        raise PermissionDenied
    form = DrillForm(request.POST or None, plan=plan)
    if request.method == "POST" and form.is_valid():
        try:
            emergency = drills.start(
                session,
                services.Declaration.from_form(form.cleaned_data, occurred_at=timezone.now()),
                actor=request.user,
            )
        except ServiceError as exc:
            _forbidden_or_errors(form, exc)
        else:
            messages.success(request, _("The drill %(emergency)s has started.") % {"emergency": emergency})
            return redirect("continuity:detail", emergency.pk)
    return render(
        request,
        "continuity/declare.html",
        {
            "form": form,
            "session": session,
            "rules": [(k.label, [_rule_text(r) for r in k.convening]) for k in plan.kinds],
        },
        status=400 if form.is_bound else 200,
    )


@login_required
@require_GET
def report(request: AuthedRequest, pk: int) -> HttpResponse:
    emergency = _emergency(request, pk)
    response = HttpResponse(
        headquarters_report(emergency, author=request.user),
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    response["Content-Disposition"] = f'attachment; filename="{emergency.reference}-report.docx"'
    return response
