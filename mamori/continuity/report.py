"""The ICT department's report to the disaster headquarters (katsushika 4(2): 災害対策本部への状況報告):
the emergency, who commands, the roll-call by team, and the recovery checklist with the requests made to
vendors — a .docx the 連絡調整チーム can edit before it goes out."""

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from docx.shared import Mm

from mamori import wareki
from mamori.documents.default_templates import Builder
from mamori.policy.services import document_of

from . import recovery, rollcall
from .models import Emergency
from .services import command_of


def _table(b: Builder, headers: list[str], rows: list[list[str]], widths: list[int]) -> None:
    table = b.doc.add_table(rows=1 + len(rows), cols=len(headers))
    table.style = "Table Grid"
    for i, text in enumerate(headers):
        table.rows[0].cells[i].text = text
    for row, values in zip(table.rows[1:], rows, strict=True):
        for i, text in enumerate(values):
            row.cells[i].text = text
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Mm(width)


def headquarters_report(emergency: Emergency, *, author: Any) -> bytes:
    style = author.date_style
    plan = document_of(emergency.policy).bcp
    recipient = plan.recovery.report_to if plan else _("Disaster headquarters")

    def when(value: Any) -> str:
        return wareki.format_datetime(value, style) if value else "—"

    b = Builder()
    b.right(when(timezone.now()))
    b.left(_("To: %(recipient)s") % {"recipient": recipient})
    b.right(emergency.organization.name, str(author))
    title = _("Report on the damage to information systems and their recovery")
    b.title(f"{_('[DRILL]')} {title}" if emergency.is_drill else title)

    command = command_of(emergency)
    if command is None or command.person is None:
        commander = _("Nobody has taken command yet")
    else:
        commander = str(command.person)
        if command.acting_for:
            commander += _(" (acting for %(holder)s)") % {"holder": command.acting_for}
        if not command.settled:
            commander += _(" — being paged")
    b.heading(_("1. The emergency"))
    b.fields(
        [
            (_("Reference"), emergency.reference),
            (_("Kind"), str(emergency)),
            (_("Occurred at"), when(emergency.occurred_at)),
            (_("Declared at"), when(emergency.declared_at)),
            (_("Disaster headquarters"), _("set up") if emergency.headquarters else _("not set up")),
            (_("Scope and situation"), emergency.scope or "—"),
            (_("In command"), commander),
            (_("State"), emergency.get_state_display()),
        ]
    )

    b.heading(_("2. Safety of the staff and who is coming"))
    teams, _entries = rollcall.board(emergency)
    _table(
        b,
        [
            _("Team"),
            _("Asked"),
            _("Answered"),
            _("Safe"),
            _("Injured"),
            _("Coming now"),
            _("Later"),
            _("Cannot"),
            _("Remote"),
        ],
        [
            [
                t.label,
                *(
                    str(n)
                    for n in (
                        t.asked,
                        t.answered,
                        t.safe,
                        t.injured,
                        t.coming_now,
                        t.coming_later,
                        t.cannot,
                        t.remote,
                    )
                ),
            ]
            for t in teams
        ],
        [32, 14, 16, 14, 16, 18, 14, 16, 16],
    )

    b.heading(_("3. Damage and expected recovery, in the order of recovery"))
    items = recovery.board(emergency)
    _table(
        b,
        [_("Priority"), _("System"), _("Status"), _("Damage and measures"), _("Expected recovery")],
        [
            [
                i.priority_label,
                i.system.name,
                i.get_status_display(),
                i.damage or "—",
                when(i.expected_recovery_at),
            ]
            for i in items
        ],
        [28, 36, 24, 50, 26],
    )

    requests = [(i, r) for i in items for r in i.requests.all()]
    b.heading(_("4. Requests to vendors"))
    if requests:
        _table(
            b,
            [_("System"), _("Vendor"), _("Requested at"), _("What was asked"), _("Vendor's answer")],
            [
                [i.system.name, r.vendor, when(r.requested_at), r.request, r.response or "—"]
                for i, r in requests
            ],
            [30, 30, 26, 40, 38],
        )
    else:
        b.left(_("No request has been made yet."))
    return b.bytes()
