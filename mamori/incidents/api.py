"""Incident API. The same services, filters and access rules as the pages."""

from datetime import datetime

from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from mamori.policy.services import policy_of_person

from . import access, keyset, response, services
from .errors import Invalid, NotFound
from .filters import IncidentFilterForm
from .models import Incident
from .views import list_queryset

router = Router(tags=["incidents"])

MAX_PAGE_SIZE = 100


class IncidentOut(Schema):
    id: int
    reference: str
    title: str
    state: str
    category: str
    level: int | None
    handler: str | None
    fiscal_year: int
    is_drill: bool
    personal_data: bool
    restricted: bool
    opened_at: datetime
    closed_at: datetime | None
    version: int

    @staticmethod
    def resolve_handler(obj: Incident) -> str | None:
        return obj.handler.username if obj.handler else None


class ReportSummary(Schema):
    reference: str
    channel: str
    received_at: datetime
    discovered_at: datetime | None
    location: str
    description: str


class ActionOut(Schema):
    id: int
    phase: str
    description: str
    taken_at: datetime
    taken_by: str
    emergency_action: str

    @staticmethod
    def resolve_taken_by(obj) -> str:
        return obj.taken_by.username


class ObligationOut(Schema):
    key: str
    kind: str
    role_key: str
    text: str
    basis: str
    due_at: datetime | None
    done_at: datetime | None
    waived: bool


class EvidenceOut(Schema):
    id: int
    description: str
    original_name: str
    sha256: str
    size: int | None
    collected_at: datetime


class IncidentDetailOut(IncidentOut):
    triage_reason: str
    summary: str
    root_cause: str
    prevention_measures: str
    publication_decision: str
    affected_systems: str
    reports: list[ReportSummary]
    actions: list[ActionOut]
    obligations: list[ObligationOut]
    evidence: list[EvidenceOut]


class IncidentPage(Schema):
    """Newest first. ``next_cursor`` fetches the older incidents that follow; there is no total count
    (it would walk every incident of the organisation on every call)."""

    page_size: int
    next_cursor: str | None
    results: list[IncidentOut]


class Filters(Schema):
    state: str | None = None
    level: int | None = None
    category: str | None = None
    handler: int | None = None
    fiscal_year: int | None = None
    q: str | None = None
    drill: str | None = None
    cursor: str | None = Field(None, max_length=100, description="next_cursor of the previous page")
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)


@router.get("/incidents", response=IncidentPage, summary="List incidents (same filters as the list page)")
def list_incidents(request, filters: Query[Filters]):
    raw = {k: v for k, v in filters.dict().items() if v is not None and k not in ("cursor", "page_size")}
    form = IncidentFilterForm(raw, policy=policy_of_person(request.auth))
    if not form.is_valid():
        raise Invalid(fields={k: " ".join(str(e) for e in v) for k, v in form.errors.items()})
    page = keyset.paginate(
        list_queryset(request.auth, form.cleaned_data), size=filters.page_size, after=filters.cursor
    )
    return {"page_size": filters.page_size, "next_cursor": page.next_cursor, "results": page.items}


def _detail(incident: Incident) -> Incident:
    return (
        Incident.objects.select_related("handler")
        .prefetch_related("reports", "actions__taken_by", "obligations", "evidence")
        .get(pk=incident.pk)
    )


@router.get("/incidents/{incident_id}", response=IncidentDetailOut)
def get_incident(request, incident_id: int):
    incident = access.get_incident_for(request.auth, incident_id)
    if not access.sees_in_full(request.auth, incident):
        raise NotFound()  # reached only through a task: reports and evidence are not theirs to read
    return _detail(incident)


class TriageIn(Schema):
    version: int = Field(description="The version you last read (optimistic locking)")
    is_incident: bool
    reason: str = Field(max_length=20000)
    category: str = ""
    level: int | None = None
    title: str = Field("", max_length=200)
    personal_data: bool | None = None
    restricted: bool | None = None
    is_drill: bool | None = None


@router.post("/incidents/{incident_id}/triage", response=IncidentDetailOut)
def triage(request, incident_id: int, payload: TriageIn):
    incident = access.get_incident_for(request.auth, incident_id)
    d = payload.dict()
    incident = services.triage(incident, actor=request.auth, expected_version=d.pop("version"), **d)
    return _detail(incident)


class TransitionIn(Schema):
    version: int
    transition: str = Field(
        description="start_triage, start_recovery, start_prevention, resume_response, close, reopen, reconsider"
    )
    summary: str = Field("", max_length=20000)
    root_cause: str = Field("", max_length=20000)
    prevention_measures: str = Field("", max_length=20000)
    reason: str = Field("", max_length=20000)


@router.post("/incidents/{incident_id}/transitions", response=IncidentDetailOut)
def apply_transition(request, incident_id: int, payload: TransitionIn):
    incident = access.get_incident_for(request.auth, incident_id)
    d = payload.dict()
    incident = services.transition(
        incident, d.pop("transition"), actor=request.auth, expected_version=d.pop("version"), **d
    )
    return _detail(incident)


class ActionIn(Schema):
    version: int
    phase: str
    description: str = Field(max_length=20000)
    taken_at: datetime | None = None
    emergency_action: str = ""


@router.post("/incidents/{incident_id}/actions", response={201: ActionOut})
def add_action(request, incident_id: int, payload: ActionIn):
    incident = access.get_incident_for(request.auth, incident_id)
    d = payload.dict()
    action = response.record_action(incident, actor=request.auth, expected_version=d.pop("version"), **d)
    return Status(201, action)


@router.post(
    "/incidents/{incident_id}/evidence",
    response={201: EvidenceOut},
    summary="Add evidence: a file (multipart) or a description",
)
def add_evidence(
    request,
    incident_id: int,
    version: Form[int],
    description: Form[str],
    collected_at: Form[datetime | None] = None,
    holder: Form[str] = "",
    file: File[UploadedFile] = None,  # type: ignore[assignment]
):
    incident = access.get_incident_for(request.auth, incident_id)
    if len(description) > 20000:
        raise Invalid(fields={"description": _("At most %(n)s characters.") % {"n": 20000}})
    evidence = response.add_evidence(
        incident,
        actor=request.auth,
        expected_version=version,
        description=description,
        upload=file,
        filename=(file.name or "") if file else "",
        content_type=(file.content_type or "") if file else "",
        collected_at=collected_at,
        holder=holder,
    )
    return Status(201, evidence)
