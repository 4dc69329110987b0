"""Receiving reports from every channel into one triage queue (komae 第9条, mutsu 第2条第1号ア, 第3条).

Each report opens an incident in state ``received`` that shares its reference (e.g. R8-0001);
triage may later merge it into another. What a reporter must give comes from the policy
(mutsu 別表第1 確認項目; edogawa 基準第27条第1項第1号).
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mamori.files import clean_filename, hash_upload
from mamori.incidents import access, search
from mamori.incidents.choices import State
from mamori.incidents.errors import Invalid, NotAllowed, RateLimited
from mamori.incidents.models import Incident
from mamori.incidents.references import next_reference
from mamori.journal.services import record
from mamori.paging.services import start_escalation
from mamori.people.models import Organization
from mamori.policy.schema import IntakeItem
from mamori.policy.services import active_version, document_of

from .choices import Channel
from .models import Attachment, Report

MAX_FIELD = {"location": 300, "reporter_name": 200, "reporter_contact": 300}
MAX_TEXT = 20000
MAX_ATTACHMENTS = 10


@dataclass
class ReportInput:
    description: str = ""
    discovered_at: datetime | None = None
    location: str = ""
    reporter_name: str = ""
    reporter_contact: str = ""
    suspected_cause: str = ""
    impact_scope: str = ""
    affected_systems: str = ""
    raw_text: str = ""
    message_id: str = ""
    # An exercise run through the real workflow (training.start_drill): flagged from the first page on,
    # left out of the statistics (statistics/figures.py).
    is_drill: bool = False


@dataclass
class Upload:
    file: IO[bytes]
    name: str
    content_type: str = ""


@dataclass
class Received:
    report: Report
    incident: Incident
    # Only for the public form: the secret of the status link, shown once and stored as a hash.
    status_token: str = ""
    duplicate: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def item_labels() -> dict[str, str]:
    return {
        "discovered_at": _("When it was found"),
        "location": _("Where it was found"),
        "description": _("What was found, and how"),
        "reporter_name": _("Name of the person who found it"),
        "reporter_contact": _("Contact of the person who found it"),
        "suspected_cause": _("Suspected cause"),
        "impact_scope": _("Impact confirmed so far"),
        "affected_systems": _("Affected systems"),
    }


def validate(data: ReportInput, required: list[str] | list[IntakeItem]) -> dict[str, str]:
    """Field errors for a report, in the reporter's language."""
    labels = item_labels()
    errors: dict[str, str] = {}
    for name, value in vars(data).items():
        if isinstance(value, str) and "\x00" in value:
            setattr(data, name, value.replace("\x00", ""))  # see mamori/home/text.py
    for item in required:
        value = getattr(data, item)
        if value is None or (isinstance(value, str) and not value.strip()):
            errors[item] = _("%(label)s is required by the organisation's rules.") % {"label": labels[item]}
    if not data.description.strip():
        errors.setdefault("description", _("%(label)s is required.") % {"label": labels["description"]})
    for name, limit in MAX_FIELD.items():
        if len(getattr(data, name)) > limit:
            errors[name] = _("At most %(n)s characters.") % {"n": limit}
    for name in ("description", "suspected_cause", "impact_scope", "affected_systems"):
        if len(getattr(data, name)) > MAX_TEXT:
            errors[name] = _("At most %(n)s characters.") % {"n": MAX_TEXT}
    if data.discovered_at is not None:
        moment = data.discovered_at
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
            data.discovered_at = moment
        if moment > timezone.now() + timedelta(minutes=5):
            errors["discovered_at"] = _("The time of discovery cannot be in the future.")
        elif moment.year < 2000:
            errors["discovered_at"] = _("This date is not plausible.")
    return errors


# What a file of each allowed type starts with: the name alone proves nothing (an HTML page can be
# called invoice.pdf). Text types must decode as text and must not be markup.
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".gif": (b"GIF87a", b"GIF89a"),
    ".pdf": (b"%PDF-",),
    ".msg": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",),
}
TEXT_TYPES = (".txt", ".eml")


def public_upload_allowed(name: str, head: bytes = b"") -> bool:
    """Residents may send screenshots, documents and the suspicious mail itself, nothing executable,
    and the content must be what the name says.

    Staff evidence has no such limit: a malware sample is evidence too.
    """
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in settings.MAMORI_PUBLIC_UPLOAD_TYPES:
        return False
    if suffix in SIGNATURES:
        return head.startswith(SIGNATURES[suffix])
    if suffix in TEXT_TYPES:
        try:
            text = head.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = head.decode("cp932")
            except UnicodeDecodeError:
                return suffix == ".eml"  # mail may be in any charset; its headers are checked on parsing
        return not text.lstrip().lower().startswith(("<!doctype", "<html", "<script", "<svg"))
    return False  # an allowed type without a known signature is not accepted


def _head(upload: "Upload") -> bytes:
    upload.file.seek(0)
    head = upload.file.read(512)
    upload.file.seek(0)
    return head


def source_key(address: str) -> str:
    """An HMAC of the client address: rate-limits the public form without storing addresses."""
    return hmac.new(settings.SECRET_KEY.encode(), address.encode(), hashlib.sha256).hexdigest()


def _title_from(description: str) -> str:
    first = description.strip().splitlines()[0] if description.strip() else ""
    return (first[:60] + "…") if len(first) > 60 else first


def submit_report(
    organization: Organization,
    data: ReportInput,
    *,
    channel: str,
    actor: Any = None,
    on_behalf: bool = False,
    uploads: list[Upload] | None = None,
    client_address: str = "",
) -> Received:
    """Take in one report and open its incident in the triage queue.

    ``actor`` is the staff member reporting (staff form, API), or the PoC clerk logging a call or
    mail on a caller's behalf (``on_behalf=True``, needs the ``log_report`` permission), or None for
    the public form and mail intake.
    """
    if channel not in Channel.values:
        raise Invalid(fields={"channel": _("Unknown channel.")})
    version = active_version(organization)
    policy = document_of(version)
    if on_behalf:
        if actor is None or actor.organization_id != organization.pk or not access.can(actor, "log_report"):
            raise NotAllowed()
    elif actor is not None and actor.organization_id != organization.pk:
        raise NotAllowed()
    required = list(policy.poc.required_items.items)
    if actor is not None and not on_behalf:
        # A logged-in staff member is the reporter: name and contact come from their account.
        data.reporter_name = data.reporter_name or actor.get_full_name()
        data.reporter_contact = data.reporter_contact or " / ".join(
            x for x in (actor.email, actor.phone) if x
        )
    errors = validate(data, required)
    uploads = uploads or []
    if len(uploads) > MAX_ATTACHMENTS:
        errors["attachments"] = _("At most %(n)s files.") % {"n": MAX_ATTACHMENTS}
    if channel == Channel.PUBLIC_FORM:
        refused = [u.name for u in uploads if not public_upload_allowed(u.name, _head(u))]
        if refused:
            errors["attachments"] = _("These files cannot be sent here: %(names)s. Allowed: %(types)s") % {
                "names": ", ".join(refused),
                "types": " ".join(settings.MAMORI_PUBLIC_UPLOAD_TYPES),
            }
    hashed = []
    if not errors:
        hashed = [hash_upload(u.file, "attachments") for u in uploads]
    if errors:
        raise Invalid(fields=errors)

    now = timezone.now()
    key = source_key(client_address) if client_address else ""
    token = secrets.token_urlsafe(24) if channel == Channel.PUBLIC_FORM else ""
    try:
        with transaction.atomic():
            if key:
                recent = Report.objects.filter(
                    source_key=key, received_at__gte=now - timedelta(hours=1)
                ).count()
                if recent >= settings.MAMORI_PUBLIC_REPORTS_PER_HOUR:
                    raise RateLimited()
            fy, reference = next_reference(organization, now)
            incident = Incident.objects.create(
                organization=organization,
                reference=reference,
                fiscal_year=fy,
                title=_title_from(data.description),
                state=State.RECEIVED,
                policy=version,
                affected_systems=data.affected_systems.strip(),
                is_drill=data.is_drill,
                opened_at=now,
                updated_at=now,
            )
            report = Report.objects.create(
                organization=organization,
                reference=reference,
                incident=incident,
                channel=channel,
                received_at=now,
                discovered_at=data.discovered_at,
                location=data.location.strip(),
                description=data.description.strip(),
                suspected_cause=data.suspected_cause.strip(),
                impact_scope=data.impact_scope.strip(),
                affected_systems=data.affected_systems.strip(),
                reporter_name=data.reporter_name.strip(),
                reporter_contact=data.reporter_contact.strip(),
                reporter=actor if (actor is not None and not on_behalf) else None,
                logged_by=actor if on_behalf else None,
                raw_text=data.raw_text,
                status_token_hash=hashlib.sha256(token.encode()).hexdigest() if token else "",
                source_key=key,
                message_id=data.message_id[:300],
            )
            search.index_new(incident, [(report.reference, report.location, report.description)])
            files = []
            for upload, (sha256, size) in zip(uploads, hashed, strict=True):
                att = Attachment(
                    report=report,
                    original_name=clean_filename(upload.name),
                    content_type=upload.content_type[:100],
                    size=size,
                    sha256=sha256,
                )
                att.file.save(sha256, File(upload.file), save=False)
                att.save()
                files.append({"name": att.original_name, "sha256": sha256, "size": size})
            record(
                actor=actor,
                action="report.received",
                obj=report,
                organization=organization,
                data={
                    "channel": channel,
                    "on_behalf": on_behalf,
                    "incident": reference,
                    "discovered_at": data.discovered_at.isoformat() if data.discovered_at else None,
                    "location": report.location,
                    "description": report.description,
                    "reporter_name": report.reporter_name,
                    "attachments": files,
                },
            )
            record(
                actor=actor,
                action="incident.opened",
                obj=incident,
                organization=organization,
                data={
                    "reference": reference,
                    "policy_version": version.version,
                    "title": incident.title,
                    **({"drill": True} if data.is_drill else {}),
                },
            )
            # Who is told of every new report (komae 第9条第3項: the PoC tells the CSIRT管理者 at once).
            for rule in policy.escalation.on_report:
                start_escalation(
                    incident,
                    actor=actor,
                    key=f"report:{rule.role}",
                    role_key=rule.role,
                    text=rule.text,
                    basis=rule.basis or "",
                    ack_minutes=rule.within_minutes,
                    fresh=True,
                )
    except IntegrityError:
        # The same message (Message-ID) was already taken in: report it, don't file it twice.
        existing = Report.objects.filter(organization=organization, message_id=data.message_id[:300]).first()
        if existing is None or not data.message_id:
            raise
        return Received(existing, existing.incident, duplicate=True)
    return Received(report, incident, status_token=token)


def report_by_token(token: str) -> Report | None:
    """The report a public status link points at, or None. Compares hashes, never the token itself."""
    if not token or len(token) > 100:
        return None
    digest = hashlib.sha256(token.encode()).hexdigest()
    return Report.objects.select_related("incident", "organization").filter(status_token_hash=digest).first()


def public_status(report: Report) -> str:
    """What a public reporter may learn: received, being handled, or finished — nothing more."""
    incident = report.incident
    if incident.merged_into_id:
        incident = incident.merged_into  # type: ignore[assignment]
    if incident.state in State.queue_states():
        return _("Received; the CSIRT is checking it.")
    if incident.state in (State.CLOSED, State.NOT_INCIDENT):
        return _("Checked and finished. Thank you for your report.")
    return _("Being handled by the CSIRT.")
