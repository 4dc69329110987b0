"""The registers' hub (台帳): one menu entry leads to every register the organisation's policy keeps,
each with the article it serves, instead of seven entries in the top menu."""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from mamori.http import AuthedRequest
from mamori.policy.services import active_policy


@dataclass(frozen=True)
class Register:
    url_name: str
    title: Promise
    description: Promise
    section: str  # the policy section that keeps it; "" for always


REGISTERS = [
    Register(
        "assets:list",
        _("Information systems"),
        _("Systems, their classification, segment, administrators and software; Excel import and export."),
        "",
    ),
    Register(
        "assets:assets",
        _("Information assets"),
        _(
            "Data, documents, media and devices with their classification and manager; Excel import and export."
        ),
        "",
    ),
    Register(
        "exception_measures:list",
        _("Exception measures"),
        _("Applications to depart from a rule, their decisions, emergency measures reported afterwards."),
        "exception_measures",
    ),
    Register(
        "advisories:list",
        _("Security advisories"),
        _("Advisories matched against the systems' software, and the checks of their administrators."),
        "",
    ),
    Register(
        "training:year",
        _("Training and exercises"),
        _("The yearly plan, sessions and attendance, exercises run as drills."),
        "training",
    ),
    Register(
        "audits:year",
        _("Audits and self-inspections"),
        _("Audit plans, independent auditors, findings and improvement, yearly self-inspections."),
        "audits",
    ),
    Register(
        "outsourcing:register",
        _("Outsourcing and cloud services"),
        _("Contracts with their security clauses and checks, cloud-service applications."),
        "outsourcing",
    ),
    Register(
        "reviews:index",
        _("Reviews"),
        _("Documents reviewed at least yearly, and who approved each revision."),
        "reviews",
    ),
]


@login_required
@require_GET
def registers(request: AuthedRequest) -> HttpResponse:
    organization = request.user.organization
    if organization is None:
        raise Http404
    policy = active_policy(organization)
    kept = [r for r in REGISTERS if not r.section or getattr(policy, r.section) is not None]
    return render(request, "home/registers.html", {"registers": kept})
