"""Mail intake: mails become reports, files are kept with their hash, nothing is filed twice."""

import hashlib
import io
import mailbox
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import translation

from mamori.intake import mail
from mamori.intake.choices import Channel
from mamori.intake.management.commands import ingest_mail as mail_command
from mamori.intake.models import Report
from mamori.journal.models import JournalEntry

JST = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 6, 3, 10, 0, tzinfo=JST)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def make_mail(
    subject: str = "不審なメールを受信しました",
    body: str = "添付ファイルを開いてしまいました。\n市民課の端末です。",
    message_id: str = "<report-1@city.example>",
    charset: str = "iso-2022-jp",
    attachment: bytes | None = PDF,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = "市民課 田中 <tanaka@city.example>"
    msg["To"] = "csirt@city.example"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(NOW - timedelta(hours=2))
    msg["Message-ID"] = message_id
    msg.set_content(body, charset=charset)
    if attachment is not None:
        msg.add_attachment(attachment, maintype="application", subtype="pdf", filename="請求書.pdf")
    return msg.as_bytes()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "files"


@pytest.fixture
def maildir(tmp_path) -> mailbox.Maildir:
    return mailbox.Maildir(tmp_path / "Maildir", create=True)


def stdin_of(raw: bytes) -> io.TextIOWrapper:
    """Standard input as a pipe from the MTA gives it: text with the bytes underneath."""
    return io.TextIOWrapper(io.BytesIO(raw))


@time_machine.travel(NOW, tick=False)
def test_japanese_mail_becomes_report_with_its_attachment_intact(komae, media):
    received = mail.ingest_message(komae.organization, make_mail())

    report = received.report
    assert not received.duplicate
    assert report.channel == Channel.MAIL_GATEWAY
    assert report.description.startswith("不審なメールを受信しました\n\n添付ファイルを開いてしまいました。")
    assert report.reporter_name == "市民課 田中"
    assert report.reporter_contact == "tanaka@city.example"
    assert report.discovered_at == NOW - timedelta(hours=2)
    assert report.message_id == "<report-1@city.example>"
    assert "Message-ID: <report-1@city.example>" in report.raw_text
    attachment = report.attachments.get()
    assert attachment.original_name == "請求書.pdf"
    assert attachment.sha256 == hashlib.sha256(PDF).hexdigest()
    with attachment.file.open("rb") as stored:
        assert stored.read() == PDF


@time_machine.travel(NOW, tick=False)
def test_utf8_html_only_mail_is_read_as_text(komae, media):
    msg = EmailMessage()
    msg["From"] = "tanaka@city.example"
    msg["Date"] = format_datetime(NOW)
    msg["Subject"] = "ホームページ改ざん"
    msg.set_content(
        "<html><style>p{}</style><body><p>トップページが</p><p>書き換えられています</p>", subtype="html"
    )

    report = mail.ingest_message(komae.organization, msg.as_bytes()).report

    assert report.description == "ホームページ改ざん\n\nトップページが\n書き換えられています"


@time_machine.travel(NOW, tick=False)
def test_same_message_id_twice_files_one_report(komae, media):
    first = mail.ingest_message(komae.organization, make_mail())
    second = mail.ingest_message(komae.organization, make_mail())

    assert second.duplicate
    assert second.report == first.report
    assert Report.objects.count() == 1


@time_machine.travel(NOW, tick=False)
def test_other_mail_reusing_a_message_id_is_still_filed(komae, media):
    mail.ingest_message(komae.organization, make_mail())
    other = mail.ingest_message(komae.organization, make_mail(body="別の報告です。"))

    assert not other.duplicate
    assert Report.objects.count() == 2


@time_machine.travel(NOW, tick=False)
def test_required_items_the_mail_cannot_give_get_placeholders(komae, media):
    msg = EmailMessage()
    msg["Date"] = format_datetime(NOW)
    msg.set_content("USBメモリを紛失しました。")

    report = mail.ingest_message(komae.organization, msg.as_bytes()).report

    with translation.override("ja"):
        placeholder = mail.not_stated()
    assert report.reporter_name == placeholder
    assert report.reporter_contact == placeholder
    assert report.location


@time_machine.travel(NOW, tick=False)
def test_report_received_is_journalled(komae, media):
    report = mail.ingest_message(komae.organization, make_mail()).report

    entry = JournalEntry.objects.get(action="report.received", object_id=str(report.pk))
    assert entry.data["channel"] == Channel.MAIL_GATEWAY
    assert entry.actor is None
    assert entry.data["attachments"][0]["sha256"] == hashlib.sha256(PDF).hexdigest()


@time_machine.travel(NOW, tick=False)
def test_maildir_files_good_mail_sets_garbage_aside_and_reads_nothing_twice(komae, media, maildir, tmp_path):
    maildir.add(make_mail(message_id="<a@city.example>"))
    seen = mailbox.MaildirMessage(make_mail(message_id="<b@city.example>", body="二件目"))
    seen.set_subdir("cur")
    maildir.add(seen)
    maildir.add(b"\x00\xff\xfe this is not a mail \x89PNG\r\n\x1a\n")

    first = mail.ingest_maildir(tmp_path / "Maildir", komae.organization)
    second = mail.ingest_maildir(tmp_path / "Maildir", komae.organization)

    assert (first.accepted, first.duplicates, first.failed) == (2, 0, 1)
    assert (second.accepted, second.duplicates, second.failed) == (0, 0, 0)
    assert Report.objects.count() == 2
    assert len(maildir) == 0
    assert len(maildir.get_folder("processed")) == 2
    assert len(maildir.get_folder("failed")) == 1


def test_command_files_a_mail_from_stdin(komae, media):
    out = io.StringIO()
    with (
        time_machine.travel(NOW, tick=False),
        mock.patch("sys.stdin", stdin_of(make_mail())),
    ):
        call_command("ingest_mail", stdout=out)

    report = Report.objects.get()
    assert report.reference in out.getvalue()
    assert report.attachments.get().sha256 == hashlib.sha256(PDF).hexdigest()


def test_command_refuses_what_is_not_a_mail_so_the_mta_bounces_it(komae, media):
    with mock.patch("sys.stdin", stdin_of(b"just some text\n")), pytest.raises(CommandError) as refused:
        call_command("ingest_mail")

    assert refused.value.returncode == mail_command.EX_DATAERR
    assert not Report.objects.exists()
