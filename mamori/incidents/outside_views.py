"""POST views for outside reports (the facts, a draft, sent, waived). Same pattern as views.py."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mamori.http import AuthedRequest

from . import outside
from .editing import policy_of
from .errors import NotFound
from .models import ExternalReport, Incident
from .outside_forms import DraftForm, ReportFactsForm, SentForm, WaiveForm
from .views import _load, _operate


@login_required
@require_POST
def set_facts(request: AuthedRequest, pk: int) -> HttpResponse:
    form = ReportFactsForm(request.POST, policy=policy_of(_load(request, pk)))
    return _operate(
        request,
        pk,
        "facts",
        form,
        lambda i, d: outside.set_report_facts(
            i, actor=request.user, expected_version=d["version"], aware_at=d["aware_at"], facts=form.facts()
        ),
        _("The facts for outside reports were saved."),
    )


def _report(incident: Incident, report_pk: int) -> ExternalReport:
    report = incident.external_reports.filter(pk=report_pk).first()
    if report is None:
        raise NotFound()
    return report


@login_required
@require_POST
def draft(request: AuthedRequest, pk: int, report_pk: int) -> HttpResponse:
    form = DraftForm(request.POST)

    def call(incident: Incident, d: dict[str, Any]):
        return outside.save_draft(_report(incident, report_pk), actor=request.user, text=d["text"])

    return _operate(request, pk, "report_draft", form, call, _("The draft was saved."))


@login_required
@require_POST
def sent(request: AuthedRequest, pk: int, report_pk: int) -> HttpResponse:
    form = SentForm(request.POST)

    def call(incident: Incident, d: dict[str, Any]):
        return outside.mark_sent(
            _report(incident, report_pk), actor=request.user, sent_at=d["sent_at"], reference=d["reference"]
        )

    return _operate(request, pk, "report_sent", form, call, _("The report was recorded as sent."))


@login_required
@require_POST
def waive(request: AuthedRequest, pk: int, report_pk: int) -> HttpResponse:
    form = WaiveForm(request.POST)

    def call(incident: Incident, d: dict[str, Any]):
        return outside.waive(_report(incident, report_pk), actor=request.user, reason=d["reason"])

    return _operate(request, pk, "report_waive", form, call, _("The report was recorded as not required."))
