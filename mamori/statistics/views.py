"""The statistics page and its Excel export, for the people the policy trusts with every incident.

Statistics count restricted incidents too, so they are for holders of ``view_all`` only (the policy's
grant, e.g. komae 要綱第3条, 第4条); to anyone else the pages do not exist (404, as people/views.py).
Every export is journaled: figures leave the system in a file, and the trail says who took them.
"""

from typing import Any
from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from mamori import wareki
from mamori.documents.render import DOCX_CONTENT_TYPE, TemplateInvalid, render_docx
from mamori.documents.services import note_generated
from mamori.documents.views import attachment, template_error
from mamori.http import AuthedRequest
from mamori.incidents import access
from mamori.journal.services import record
from mamori.people.models import Organization
from mamori.policy.services import policy_of_person

from .charts import bar_chart
from .committee import COMMITTEE, committee_context
from .excel import workbook_bytes
from .figures import Row, YearFigures, yearly_figures, years_with_incidents
from .forms import FiscalYearForm

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Years a link may name: the era tables and the incident filter accept the same range.
FIRST_YEAR, LAST_YEAR = 2000, 2200


def _organization_for(user: Any) -> Organization:
    """The organisation whose figures ``user`` may see, or 404."""
    if not access.can(user, "view_all") or user.organization is None:
        raise Http404
    return user.organization


def _chart(rows: list[Row], *, title: str, chart_id: str) -> Any:
    return bar_chart(
        [(r.label, r.count) for r in rows],
        title=title,
        chart_id=chart_id,
        value_text=_("%(value)s incidents"),
    )


def breakdowns(figures: YearFigures) -> list[tuple[str, str, list[Row], Any]]:
    """Each breakdown of the page: heading, what its rows are, the rows, and their chart."""
    year = {"year": figures.label}
    return [
        (
            _("By month"),
            _("Month"),
            figures.by_month,
            _chart(figures.by_month, title=_("Incidents by month, %(year)s") % year, chart_id="chart-month"),
        ),
        (
            _("By category"),
            _("Category"),
            figures.by_category,
            _chart(
                figures.by_category,
                title=_("Incidents by category, %(year)s") % year,
                chart_id="chart-category",
            ),
        ),
        (
            _("By level"),
            _("Level"),
            figures.by_level,
            _chart(figures.by_level, title=_("Incidents by level, %(year)s") % year, chart_id="chart-level"),
        ),
        (
            _("By channel of the first report"),
            _("Channel"),
            figures.by_channel,
            _chart(
                figures.by_channel,
                title=_("Incidents by channel of the first report, %(year)s") % year,
                chart_id="chart-channel",
            ),
        ),
    ]


@login_required
@require_GET
def statistics_page(request: AuthedRequest) -> HttpResponse:
    """The figures of one fiscal year (default: the current one), as tables and charts."""
    user = request.user
    organization = _organization_for(user)
    current = wareki.fiscal_year(timezone.now())
    years = sorted(set(years_with_incidents(organization)) | {current}, reverse=True)
    form = FiscalYearForm(
        request.GET or None, years=years, date_style=user.date_style, initial={"fy": str(current)}
    )
    fy = form.cleaned_data["fy"] if form.is_bound and form.is_valid() else current
    figures = yearly_figures(organization, fy, date_style=user.date_style, policy=policy_of_person(user))
    return render(
        request,
        "statistics/index.html",
        {
            "form": form,
            "figures": figures,
            "breakdowns": breakdowns(figures),
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


def content_disposition(name: str, fallback: str) -> str:
    """An attachment named ``name`` (Japanese, RFC 6266 ``filename*``), ``fallback`` for old clients."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


@login_required
@require_GET
def statistics_export(request: AuthedRequest, fy: int) -> HttpResponse:
    """The same figures as an Excel workbook; the export is journaled."""
    user = request.user
    organization = _organization_for(user)
    if not FIRST_YEAR <= fy <= LAST_YEAR:
        raise Http404
    figures = yearly_figures(organization, fy, date_style=user.date_style, policy=policy_of_person(user))
    content = workbook_bytes(figures, organization_name=organization.name)
    name = _("Incident statistics %(year)s.xlsx") % {"year": figures.label}
    with transaction.atomic():
        record(
            actor=user,
            action="statistics.exported",
            organization=organization,
            data={"fiscal_year": fy, "file_name": name, "incidents": figures.incidents},
        )
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition(name, f"incident-statistics-{fy}.xlsx")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def committee_report(request: AuthedRequest, fy: int) -> HttpResponse:
    """The committee's yearly report (.docx) with the same figures; journaled like every document."""
    user = request.user
    organization = _organization_for(user)
    if not FIRST_YEAR <= fy <= LAST_YEAR:
        raise Http404
    policy = policy_of_person(user)
    if policy is None:  # cannot be: view_all comes from the policy; no policy, no access
        raise Http404
    figures = yearly_figures(organization, fy, date_style=user.date_style, policy=policy)
    context = committee_context(
        figures, organization=organization, policy=policy, user=user, style=user.date_style
    )
    try:
        data = render_docx(organization.pk, COMMITTEE.key, context)
    except TemplateInvalid as exc:
        return template_error(request, exc.message)
    note_generated(
        actor=user,
        kind=COMMITTEE.key,
        obj=organization,
        organization=organization,
        data={"fiscal_year": fy, "format": "docx"},
    )
    name = f"{figures.label}_{COMMITTEE.file_name}.docx"
    return attachment(data, file_name=name, content_type=DOCX_CONTENT_TYPE)
