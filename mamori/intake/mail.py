"""Mail intake: a report that arrives as mail is filed like any other (komae 第9条, mutsu 第2条第1号ア).

A mail cannot answer the form's questions, so a required item it does not answer is filled with
an explicit placeholder instead of the report being refused (see ``_fill_required``). The same
mail is never filed twice: its Message-ID is kept on the report, and ``submit_report`` reports a
second delivery as a duplicate.
"""

import email
import hashlib
import io
import logging
import mailbox
import mimetypes
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from html.parser import HTMLParser
from pathlib import Path
from typing import cast

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from mamori.incidents.errors import Invalid, NotFound
from mamori.people.models import Organization
from mamori.policy.services import active_version, document_of

from .choices import Channel
from .services import MAX_ATTACHMENTS, MAX_FIELD, MAX_TEXT, Received, ReportInput, Upload, submit_report

log = logging.getLogger("mamori.intake.mail")

MAX_RAW_TEXT = 1_000_000
MAX_NOTES = MAX_TEXT // 4
PROCESSED_FOLDER = "processed"
FAILED_FOLDER = "failed"
# Japanese mail is often labelled with a narrower charset than it uses (Windows "Shift_JIS" with
# ① or ㈱, 8-bit UTF-8 labelled US-ASCII); decoding with the superset keeps those characters.
CHARSET_SUPERSETS = dict.fromkeys(("shift_jis", "shift-jis", "sjis", "x-sjis", "windows-31j"), "cp932") | {
    "us-ascii": "utf-8"
}


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    failed: int = 0
    # Left where they are because the database failed; the next pass tries them again.
    deferred: int = 0
    references: list[str] = field(default_factory=list)


def not_stated() -> str:
    return _("(not stated in the mail)")


def intake_organization() -> Organization:
    """MAMORI_ORGANIZATION, or the only organisation there is: the public form's rule."""
    qs = Organization.objects.all()
    if settings.MAMORI_ORGANIZATION:
        qs = qs.filter(key=settings.MAMORI_ORGANIZATION)
    orgs = list(qs[:2])
    if len(orgs) != 1:
        raise NotFound(_("Cannot tell which organisation the mail is for; set MAMORI_ORGANIZATION."))
    return orgs[0]


def parse(raw: bytes) -> EmailMessage:
    msg = cast(EmailMessage, email.message_from_bytes(raw, policy=default_policy))
    # RFC 5322 §3.6 requires From and Date, and every MTA delivers them. Bytes with neither are
    # not a mail (a stray file, a truncated write): a person should look at them.
    if not any(name in msg for name in ("From", "Sender", "Date")):
        raise Invalid(_("This is not a mail message: it has no From or Date header."))
    return msg


def _clean(text: str) -> str:
    # PostgreSQL refuses NUL in text and JSON, and no database takes the lone surrogates that
    # headers in an unknown charset decode to; nothing a reader needs is lost with them.
    return text.replace("\x00", "").encode("utf-8", errors="replace").decode("utf-8")


def _one_line(text: str) -> str:
    return "".join(c for c in _clean(text) if c.isprintable()).strip()


def _header(msg: EmailMessage, name: str) -> str:
    try:
        return _one_line(str(msg.get(name) or ""))
    except Exception:  # a header the parser chokes on is treated as absent, not as a broken mail
        log.warning("unreadable %s header", name)
        return ""


def _decode_text(part: EmailMessage) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = (part.get_content_charset() or "us-ascii").lower()
    try:
        return _clean(payload.decode(CHARSET_SUPERSETS.get(charset, charset), errors="replace"))
    except LookupError:
        return _clean(payload.decode("utf-8", errors="replace"))


class _TextOfHtml(HTMLParser):
    BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "table", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head"):
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head"):
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.chunks.append(data)


def html_to_text(html: str) -> str:
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.chunks).splitlines()]
    return "\n".join(line for line in lines if line)


def _leaves(part: EmailMessage) -> Iterator[EmailMessage]:
    """Leaf parts; a forwarded message (message/rfc822) stays whole, to be kept as an .eml file."""
    payload = part.get_payload()
    if part.get_content_maintype() == "multipart" and isinstance(payload, list):
        for sub in payload:
            yield from _leaves(cast(EmailMessage, sub))
    else:
        yield part


def _find_body(msg: EmailMessage) -> EmailMessage | None:
    try:
        return cast(EmailMessage | None, msg.get_body(preferencelist=("plain", "html")))
    except Exception:  # a multipart without its boundary; its text is still in raw_text
        log.warning("mail structure unreadable; no body taken")
        return None


def _date(msg: EmailMessage, now: datetime) -> datetime | None:
    try:
        moment = getattr(msg.get("Date"), "datetime", None)
    except Exception:
        return None
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=UTC)  # "-0000": UTC, sender's zone unknown (RFC 5322 §3.3)
    if moment > now + timedelta(minutes=5) or moment.year < 2000:
        return None
    return moment


def build_report(msg: EmailMessage, raw: bytes, required: Sequence[str]) -> tuple[ReportInput, list[Upload]]:
    """What a report made from ``msg`` says, and the files it brings."""
    now = timezone.now()
    notes: list[str] = []
    body = _find_body(msg)
    texts = [_header(msg, "Subject")]
    if body is not None:
        text = _decode_text(body)
        texts.append(html_to_text(text) if body.get_content_type() == "text/html" else text)
    uploads: list[Upload] = []
    for n, part in enumerate(_leaves(msg), start=1):
        if part is body:
            continue
        ctype = part.get_content_type()
        name = _clean(part.get_filename() or "")
        if ctype in ("text/plain", "text/html") and not name and not part.is_attachment():
            if ctype == "text/plain":  # a second inline text (some mailers split around files)
                texts.append(_decode_text(part))
            continue  # the HTML twin of the plain-text body
        if part.get_content_maintype() == "message":
            inner = part.get_payload(0) if part.is_multipart() else None
            data = inner.as_bytes() if isinstance(inner, EmailMessage) else b""
            name = name or f"message-{n}.eml"
        else:
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
            name = name or f"part-{n}{mimetypes.guess_extension(ctype) or '.bin'}"
        if not data:
            notes.append(_("Attachment %(name)s is empty and was not kept.") % {"name": name})
        elif len(data) > settings.MAMORI_MAX_UPLOAD_BYTES:
            notes.append(_("Attachment %(name)s is too large to keep here.") % {"name": name})
        elif len(uploads) >= MAX_ATTACHMENTS:
            notes.append(_("Attachment %(name)s exceeds the number of files kept.") % {"name": name})
        else:
            uploads.append(Upload(io.BytesIO(data), name, ctype))

    sender = None
    for header in ("From", "Sender"):
        try:
            addresses = getattr(msg.get(header), "addresses", ())
        except Exception:
            addresses = ()
        if addresses:
            sender = addresses[0]
            break
    discovered_at = _date(msg, now)
    if discovered_at is None:
        discovered_at = now
        notes.append(_("The mail has no usable Date header; the time of receipt is used."))

    notes_text = ""
    if notes:
        notes_text = ("\n\n-- " + _("Notes from mail intake") + "\n" + "\n".join(notes))[:MAX_NOTES]
    description = "\n\n".join(t.strip() for t in texts if t.strip())
    description = description[: MAX_TEXT - len(notes_text)] + notes_text
    raw_text = _clean(raw.decode("utf-8", errors="replace"))
    if len(raw_text) > MAX_RAW_TEXT:
        cut = _("[cut: the message is longer than %(n)s characters]") % {"n": MAX_RAW_TEXT}
        raw_text = raw_text[:MAX_RAW_TEXT] + "\n" + cut
    data_in = ReportInput(
        description=description,
        discovered_at=discovered_at,
        reporter_name=_one_line((sender.display_name or sender.addr_spec) if sender else ""),
        reporter_contact=_one_line(sender.addr_spec if sender else ""),
        raw_text=raw_text,
        # Without a Message-ID, the same bytes delivered twice are still the same mail.
        message_id=_header(msg, "Message-ID") or "sha256:" + hashlib.sha256(raw).hexdigest(),
    )
    _fill_required(data_in, required)
    for item, limit in MAX_FIELD.items():
        setattr(data_in, item, getattr(data_in, item)[:limit])
    return data_in, uploads


def _fill_required(data: ReportInput, required: Sequence[str]) -> None:
    # Intake must never lose a report. A mail cannot answer a form, so a required item it leaves
    # unanswered gets a placeholder that triage sees and asks the reporter about; refusing would
    # bounce or strand the mail, and with it the report.
    for item in [*required, "description"]:
        value = getattr(data, item, None)
        if isinstance(value, str) and not value.strip():
            setattr(data, item, _("Mail (place not stated)") if item == "location" else not_stated())


def ingest_message(organization: Organization, raw: bytes) -> Received:
    """File one mail as a report; a second delivery of the same mail returns ``duplicate=True``."""
    msg = parse(raw)
    required = document_of(active_version(organization)).poc.required_items.items
    # Placeholders and notes are stored, so they are written in the installation's language.
    with translation.override(settings.LANGUAGE_CODE):
        data, uploads = build_report(msg, raw, required)
    received = submit_report(organization, data, channel=Channel.MAIL_GATEWAY, actor=None, uploads=uploads)
    report = received.report
    if received.duplicate and (
        report.description != data.description.strip()
        or report.reporter_contact != data.reporter_contact.strip()
    ):
        # Another mail reusing a Message-ID (a broken mailer, or one forged to hide a report):
        # it is filed under an ID of its own instead of being taken for the first.
        data.message_id = f"{data.message_id[:200]}#{hashlib.sha256(raw).hexdigest()[:32]}"
        for upload in uploads:
            upload.file.seek(0)
        received = submit_report(
            organization, data, channel=Channel.MAIL_GATEWAY, actor=None, uploads=uploads
        )
    return received


def ingest_maildir(path: str | Path, organization: Organization | None = None) -> IngestResult:
    """File every mail in a Maildir's new/ and cur/, then move it into a sub-folder.

    Filed mail (and duplicates) go to the Maildir++ folder ``.processed``, unreadable mail to
    ``.failed``. Seen-flags would not do: they are shared with anyone reading the box by IMAP, so
    a clerk opening a mail would hide it from intake. Folders are explicit, keep the original
    bytes as evidence, show up in any mail client, and leave the inbox empty when all is well;
    pruning ``.processed`` is left to the mail admin.
    """
    organization = organization or intake_organization()
    active_version(organization)  # no policy: stop here, before any mail is moved
    box = mailbox.Maildir(path, create=False)
    processed = box.add_folder(PROCESSED_FOLDER)
    failed = box.add_folder(FAILED_FOLDER)
    result = IngestResult()
    for key in list(box.keys()):
        try:
            raw = box.get_bytes(key)
        except (KeyError, FileNotFoundError):
            continue  # another reader took it meanwhile
        try:
            received = ingest_message(organization, raw)
        except DatabaseError:
            log.exception("mail %s left in the inbox: the database failed", key)
            result.deferred += 1
            continue
        except Exception:
            # One bad mail must not stop the others; it waits in .failed for a person.
            log.exception("mail %s could not be filed; moved to .%s", key, FAILED_FOLDER)
            result.failed += 1
            _move(box, key, raw, failed)
            continue
        if received.duplicate:
            result.duplicates += 1
            log.info("mail %s was already filed as %s", key, received.report.reference)
        else:
            result.accepted += 1
            result.references.append(received.report.reference)
            log.info("mail %s filed as %s", key, received.report.reference)
        _move(box, key, raw, processed)
    return result


def _move(box: mailbox.Maildir, key: str, raw: bytes, folder: mailbox.Maildir) -> None:
    # Copy first, then remove: a crash in between leaves two copies, and the second is then
    # recognised by its Message-ID as a duplicate, never filed twice and never lost.
    try:
        folder.add(raw)
        box.remove(key)
    except (OSError, KeyError):
        log.exception("could not move mail %s out of the inbox; it will be read again", key)
