"""Mamori's own Word templates, built here rather than kept as binary files so that a change is a
readable diff. An organisation downloads one, edits it in Word (its letterhead, its wording), and
uploads it back (``services.replace_template``); the placeholders are in docs/documents.md.

The text of these templates is Japanese by nature: they are the forms a Japanese municipality files
(報告書, 第一報, 収束宣言, 報道発表資料), data like the presets, not interface strings to translate.
Placeholders use docxtpl's Jinja syntax: ``{{ incident.title }}``, and ``{%tr for … %}`` /
``{%p for … %}`` to repeat a table row or a paragraph.
"""

import io
from collections.abc import Callable
from functools import cache

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

# Fonts an office PC in a Japanese municipality has; Word substitutes where they are missing.
BODY_FONT = "ＭＳ 明朝"
LATIN_FONT = "Century"
HEADING_FONT = "ＭＳ ゴシック"


class Builder:
    """A thin layer over python-docx for the shapes our forms use: titles, headings, label/value
    tables, repeated rows and paragraphs."""

    def __init__(self) -> None:
        self.doc = Document()
        section = self.doc.sections[0]
        section.page_height, section.page_width = Mm(297), Mm(210)  # A4, as municipal documents are
        section.left_margin = section.right_margin = Mm(25)
        section.top_margin = section.bottom_margin = Mm(20)
        normal = self.doc.styles["Normal"]
        normal.font.name = LATIN_FONT
        normal.font.size = Pt(10.5)
        normal.element.rPr.rFonts.set(qn("w:eastAsia"), BODY_FONT)
        for name in ("Title", "Heading 1", "Heading 2"):
            style = self.doc.styles[name]
            style.font.name = HEADING_FONT
            style.element.rPr.rFonts.set(qn("w:eastAsia"), HEADING_FONT)
            style.font.color.rgb = None
        self.doc.styles["Title"].font.size = Pt(16)
        self.doc.styles["Heading 1"].font.size = Pt(12)
        self.doc.styles["Heading 2"].font.size = Pt(10.5)

    def right(self, *lines: str) -> None:
        for line in lines:
            self.doc.add_paragraph(line).alignment = WD_ALIGN_PARAGRAPH.RIGHT

    def left(self, *lines: str) -> None:
        for line in lines:
            self.doc.add_paragraph(line)

    def title(self, text: str) -> None:
        p = self.doc.add_paragraph(text, style="Title")
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER

    def heading(self, text: str, level: int = 1) -> None:
        self.doc.add_heading(text, level=level)

    def fields(self, rows: list[tuple[str, str]]) -> None:
        """A two-column table: label, placeholder."""
        table = self.doc.add_table(rows=len(rows), cols=2)
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for row, (label, value) in zip(table.rows, rows, strict=True):
            row.cells[0].text, row.cells[1].text = label, value
            row.cells[0].width, row.cells[1].width = Mm(40), Mm(120)

    def repeated_rows(self, headers: list[str], loop: str, cells: list[str], widths: list[int]) -> None:
        """A table with a header row and one row repeated for each item of ``loop`` (``a in list``)."""
        table = self.doc.add_table(rows=4, cols=len(headers))
        table.style = "Table Grid"
        for i, text in enumerate(headers):
            table.rows[0].cells[i].text = text
        table.rows[1].cells[0].text = "{%tr for " + loop + " %}"
        for i, text in enumerate(cells):
            table.rows[2].cells[i].text = text
        table.rows[3].cells[0].text = "{%tr endfor %}"
        for row in table.rows:
            for cell, width in zip(row.cells, widths, strict=True):
                cell.width = Mm(width)

    def repeated_paragraphs(self, loop: str, *lines: str) -> None:
        self.doc.add_paragraph("{%p for " + loop + " %}")
        for line in lines:
            self.doc.add_paragraph(line)
        self.doc.add_paragraph("{%p endfor %}")

    def text(self, placeholder: str, empty: str = "（記載なし）") -> None:
        """A free-text field, with what to print when it is empty."""
        self.doc.add_paragraph("{{ " + placeholder + " or '" + empty + "' }}")

    def bytes(self) -> bytes:
        out = io.BytesIO()
        self.doc.save(out)
        return out.getvalue()


def _addressed(b: Builder) -> None:
    b.right("{{ today }}")
    b.left("{{ ciso }} 様")
    b.right("{{ organization.name }}", "{{ sender.roles }} {{ sender.name }}")


def final_report() -> bytes:
    b = Builder()
    _addressed(b)
    b.title("情報セキュリティインシデント対応報告書")
    b.left("標記の事案について、対応の結果を次のとおり報告します。")
    b.heading("1 事案の概要")
    b.fields(
        [
            ("整理番号", "{{ incident.reference }}（{{ incident.fiscal_year }}）"),
            ("件名", "{{ incident.title }}"),
            ("分類", "{{ incident.category }}"),
            ("レベル", "{{ incident.level }}"),
            ("状態", "{{ incident.state }}"),
            ("担当者", "{{ incident.handler }}"),
            ("受付日時", "{{ incident.opened_at }}"),
            ("認知日時", "{{ incident.aware_at }}"),
            ("評価日時", "{{ incident.triaged_at }}"),
            ("封じ込め日時", "{{ incident.contained_at }}"),
            ("収束日時", "{{ incident.closed_at }}"),
            ("影響を受けたシステム", "{{ incident.affected_systems }}"),
            ("個人情報", "{{ incident.personal_data }} {{ incident.persons_affected }}"),
        ]
    )
    b.heading("2 概要")
    b.text("incident.summary")
    b.heading("3 受付の内容")
    b.repeated_paragraphs(
        "r in reports",
        "{{ r.reference }} {{ r.received_at }}（{{ r.channel }}） 報告者：{{ r.reporter }}",
        "{{ r.description }}",
    )
    b.heading("4 レベルの判定と変更")
    b.repeated_rows(
        ["日時", "変更", "理由", "判定者"],
        "c in level_history",
        ["{{ c.at }}", "{{ c.from_level }} → {{ c.to_level }}", "{{ c.reason }}", "{{ c.by }}"],
        [32, 35, 70, 23],
    )
    b.heading("5 対応の経過")
    b.repeated_rows(
        ["日時", "段階", "内容", "記録者"],
        "e in timeline",
        ["{{ e.at }}", "{{ e.phase }}", "{{ e.description }}", "{{ e.by }}"],
        [32, 28, 77, 23],
    )
    b.heading("6 段階ごとの対応")
    b.repeated_paragraphs(
        "ph in phases",
        "【{{ ph.name }}】",
        "{% for a in ph.actions %}・{{ a.at }} {{ a.description }}（{{ a.by }}）\n{% endfor %}",
    )
    b.heading("7 証拠の一覧")
    b.repeated_rows(
        ["番号", "名称", "SHA-256", "取得", "保管の経過"],
        "ev in evidence",
        [
            "{{ ev.no }}",
            "{{ ev.name }}",
            "{{ ev.sha256 }}",
            "{{ ev.collected_at }} {{ ev.collected_by }}",
            "{{ ev.custody_text }}",
        ],
        [12, 35, 45, 30, 38],
    )
    b.heading("8 原因")
    b.text("incident.root_cause")
    b.heading("9 再発防止策")
    b.text("incident.prevention_measures")
    b.heading("10 外部機関への報告")
    b.repeated_rows(
        ["報告先", "報告", "根拠", "状況"],
        "o in outside_reports",
        ["{{ o.body }}", "{{ o.label }}", "{{ o.basis }}", "{{ o.outcome }}"],
        [45, 25, 40, 50],
    )
    b.heading("11 公表の判断")
    b.left("{{ incident.publication_decision }}", "{{ incident.publication_reason }}")
    b.heading("12 決裁")
    b.repeated_rows(
        ["件名", "提案", "依頼", "決定", "結果"],
        "ap in approvals",
        [
            "{{ ap.subject }}",
            "{{ ap.proposal }} {{ ap.text }}",
            "{{ ap.requested_by }} {{ ap.requested_at }}",
            "{{ ap.decided_by }} {{ ap.decided_at }}",
            "{{ ap.state }} {{ ap.comment }}",
        ],
        [25, 45, 30, 30, 30],
    )
    b.right("以上")
    return b.bytes()


def first_report() -> bytes:
    b = Builder()
    _addressed(b)
    b.title("情報セキュリティインシデントの発生について（第一報）")
    b.left("次のとおり情報セキュリティインシデントが発生しましたので、第一報として報告します。")
    b.fields(
        [
            ("整理番号", "{{ incident.reference }}"),
            ("件名", "{{ incident.title }}"),
            ("認知日時", "{{ incident.aware_at or incident.opened_at }}"),
            (
                "受付",
                "{% if first_report %}{{ first_report.received_at }}（{{ first_report.channel }}）{% endif %}",
            ),
            ("発見の場所", "{% if first_report %}{{ first_report.location }}{% endif %}"),
            ("分類・レベル", "{{ incident.category }} {{ incident.level }}"),
            ("影響を受けたシステム", "{{ incident.affected_systems }}"),
            ("個人情報", "{{ incident.personal_data }} {{ incident.persons_affected }}"),
            ("担当者", "{{ incident.handler }}"),
        ]
    )
    b.heading("1 発生の状況")
    b.left("{% if first_report %}{{ first_report.description }}{% endif %}")
    b.heading("2 確認した影響の範囲")
    b.left("{% if first_report %}{{ first_report.impact_scope or '調査中' }}{% else %}調査中{% endif %}")
    b.heading("3 評価")
    b.text("incident.triage_reason", "評価中")
    b.heading("4 これまでの対応")
    b.repeated_rows(
        ["日時", "内容", "記録者"],
        "e in timeline",
        ["{{ e.at }}", "{{ e.description }}", "{{ e.by }}"],
        [35, 100, 25],
    )
    b.heading("5 今後の対応")
    b.left("（記入）")
    b.right("以上")
    return b.bytes()


def closure() -> bytes:
    b = Builder()
    _addressed(b)
    b.title("情報セキュリティインシデントの収束について（収束宣言）")
    b.left("次の事案について、対応を終え、収束したことを宣言します。")
    b.fields(
        [
            ("整理番号", "{{ incident.reference }}"),
            ("件名", "{{ incident.title }}"),
            ("受付日時", "{{ incident.opened_at }}"),
            ("収束日", "{{ incident.closed_on or '　　年　　月　　日' }}"),
            ("分類・レベル", "{{ incident.category }} {{ incident.level }}"),
        ]
    )
    b.heading("1 事案の概要")
    b.text("incident.summary")
    b.heading("2 原因")
    b.text("incident.root_cause")
    b.heading("3 再発防止策")
    b.text("incident.prevention_measures")
    b.heading("4 外部機関への報告")
    b.repeated_rows(
        ["報告先", "報告", "状況"],
        "o in outside_reports",
        ["{{ o.body }}", "{{ o.label }}", "{{ o.outcome }}"],
        [55, 35, 70],
    )
    b.heading("5 公表")
    b.left("{{ incident.publication_decision }} {{ incident.publication_reason }}")
    b.right("以上")
    return b.bytes()


# The questions the press asks of every municipal incident; answers start from what is recorded.
PRESS_QUESTIONS = [
    (
        "いつ、どのように発覚したのか。",
        "{{ incident.aware_at or incident.opened_at }}、{% if first_report %}{{ first_report.channel }}により{% endif %}把握しました。",
    ),
    (
        "個人情報の漏えいはあるのか。何人分か。",
        "個人情報：{{ incident.personal_data }}　{{ incident.persons_affected }}",
    ),
    ("原因は何か。", "{{ incident.root_cause or '調査中です。' }}"),
    ("二次被害は確認されているか。", "（記入）"),
    ("対象となる方への対応はどうするのか。", "（記入）"),
    (
        "関係機関への報告はしたのか。",
        "{% for o in outside_reports %}{{ o.body }}：{{ o.outcome }}\n{% endfor %}",
    ),
    ("再発防止策は何か。", "{{ incident.prevention_measures or '検討中です。' }}"),
    ("なぜ今日の公表となったのか。", "（記入）"),
]


def press_release() -> bytes:
    b = Builder()
    b.right("{{ today }}", "{{ organization.name }}")
    b.left("報道発表資料（案）")
    b.title("{{ incident.title }}について")
    b.heading("1 概要")
    b.text("incident.summary", "（記入）")
    b.heading("2 経緯")
    b.repeated_paragraphs("r in reports", "{{ r.received_at }} {{ r.description }}")
    b.heading("3 影響")
    b.left(
        "影響を受けたシステム：{{ incident.affected_systems }}",
        "個人情報：{{ incident.personal_data }} {{ incident.persons_affected }}",
    )
    b.heading("4 原因")
    b.text("incident.root_cause", "調査中")
    b.heading("5 再発防止策")
    b.text("incident.prevention_measures", "検討中")
    b.heading("6 お問い合わせ先")
    b.left("{{ organization.poc }} {{ organization.poc_unit }}", "{{ organization.poc_contacts }}")
    b.heading("想定問答")
    b.fields([(f"問{n} {q}", a) for n, (q, a) in enumerate(PRESS_QUESTIONS, 1)])
    return b.bytes()


def outside_texts() -> bytes:
    b = Builder()
    b.right("{{ today }}", "{{ organization.name }}")
    b.title("外部機関への報告事項")
    b.left("{{ incident.reference }} {{ incident.title }}")
    b.repeated_paragraphs(
        "form in outside_forms",
        "■ {{ form.title }}",
        "{{ form.note }}",
        "{% for item in form.entries %}{{ loop.index }}. {{ item.label }}\n{{ item.value or '（記入）' }}\n\n{% endfor %}",
    )
    return b.bytes()


DEFAULT_BUILDERS: dict[str, Callable[[], bytes]] = {
    "final_report": final_report,
    "first_report": first_report,
    "closure": closure,
    "press_release": press_release,
    "outside_texts": outside_texts,
}


@cache
def default_template(kind: str) -> bytes:
    return DEFAULT_BUILDERS[kind]()
