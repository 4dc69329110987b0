from datetime import datetime

from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import Field

from mamori.incidents.errors import Invalid, NotAllowed
from mamori.policy.services import NoActivePolicy

from .choices import Channel
from .services import ReportInput, submit_report

router = Router(tags=["reports"])


class ReportIn(Schema):
    description: str = Field(max_length=20000)
    discovered_at: datetime | None = None
    location: str = Field("", max_length=300)
    reporter_name: str = Field("", max_length=200)
    reporter_contact: str = Field("", max_length=300)
    suspected_cause: str = Field("", max_length=20000)
    impact_scope: str = Field("", max_length=20000)
    affected_systems: str = Field("", max_length=2000)
    on_behalf: bool = Field(
        False, description="True when a PoC clerk files for someone else (needs log_report)"
    )
    channel: str = Field(
        "api", description="api, phone, mail, in_person or detection (the last four with on_behalf)"
    )
    message_id: str = Field(
        "",
        max_length=300,
        description=(
            "The sender's own identifier of this report (an alert ID, a mail's Message-ID). A report sent "
            "again with the same identifier is not filed twice: the answer names the first one "
            "(duplicate: true), so a call that timed out may simply be sent again."
        ),
    )


class ReportOut(Schema):
    reference: str
    incident_id: int
    received_at: datetime
    duplicate: bool = False


@router.post(
    "/reports",
    response={201: ReportOut, 200: ReportOut},
    summary="Report a suspected incident",
    description="201: filed. 200: a report with the same message_id was filed before by the same person; "
    "the answer names it and nothing new is filed.",
)
def create_report(request, payload: ReportIn):
    user = request.auth
    if not user.organization_id:
        raise NotAllowed()
    allowed = {Channel.API} | (
        {Channel.PHONE, Channel.MAIL, Channel.IN_PERSON, Channel.DETECTION} if payload.on_behalf else set()
    )
    if payload.channel not in allowed:
        raise Invalid(fields={"channel": _("This channel cannot be used here.")})
    data = ReportInput(**payload.dict(exclude={"on_behalf", "channel", "message_id"}))
    if payload.message_id:
        # Kept per sender: one person's identifiers never meet another's, nor a mail's Message-ID,
        # and nobody learns of someone else's report by guessing its identifier.
        data.message_id = f"api:{user.pk}:{payload.message_id}"
    try:
        received = submit_report(
            user.organization, data, channel=payload.channel, actor=user, on_behalf=payload.on_behalf
        )
    except NoActivePolicy:
        raise NotAllowed(_("The organisation has no policy loaded.")) from None
    return Status(
        200 if received.duplicate else 201,
        {
            "reference": received.report.reference,
            "incident_id": received.incident.pk,
            "received_at": received.report.received_at,
            "duplicate": received.duplicate,
        },
    )
