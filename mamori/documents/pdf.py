"""The final report as a fixed-layout PDF, for the record and for those who must not edit it.

Drawn with reportlab from the same context as the Word file (``context.incident_context``), with the
Japanese font embedded (a subset of IPAexGothic from Debian's fonts-ipaexfont-gothic, which
`make run` and `make test` install): the PDF reads the same on every machine, whatever fonts the
server or the reader happen to have. Japanese lines wrap between any two characters (``CJK``).
"""

import io
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

FONT = "IPAexGothic"


class FontMissing(Exception):
    """The Japanese font is not installed where MAMORI_PDF_FONT says."""


@cache
def _register_font(path: str) -> None:
    pdfmetrics.registerFont(TTFont(FONT, path))


def font_path() -> Path:
    return Path(settings.MAMORI_PDF_FONT)


def ensure_font() -> None:
    path = font_path()
    if not path.is_file():
        raise FontMissing(str(path))
    _register_font(str(path))


class Styles:
    def __init__(self) -> None:
        base = {"fontName": FONT, "wordWrap": "CJK"}
        self.body = ParagraphStyle("body", fontSize=10, leading=15, **base)
        self.small = ParagraphStyle("small", fontSize=8, leading=11, **base)
        self.title = ParagraphStyle(
            "title", fontSize=16, leading=24, alignment=TA_CENTER, spaceAfter=6 * mm, **base
        )
        self.heading = ParagraphStyle(
            "heading", fontSize=12, leading=18, spaceBefore=5 * mm, spaceAfter=2 * mm, **base
        )
        self.right = ParagraphStyle("right", fontSize=10, leading=15, alignment=TA_RIGHT, **base)


def _p(text: Any, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text: escaped (reportlab reads markup), line breaks kept."""
    return Paragraph(escape(str(text or "")).replace("\n", "<br/>"), style)


def _table(headers: list[str], rows: list[list[Any]], widths: list[float], s: Styles) -> LongTable:
    data = [[_p(h, s.small) for h in headers]] + [[_p(c, s.small) for c in row] for row in rows]
    if len(data) == 1:
        data.append([_p(_("None"), s.small)] + [""] * (len(headers) - 1))
    table = LongTable(data, colWidths=[w * mm for w in widths], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.9, 0.9, 0.9)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def final_report_pdf(context: dict[str, Any]) -> bytes:
    """The same sections as the default Word template (default_templates.final_report), fixed."""
    ensure_font()
    s = Styles()
    inc = context["incident"]
    org = context["organization"]
    story: list[Any] = [
        _p(context["today"], s.right),
        _p(f"{context['ciso']} 様", s.body),
        _p(org["name"], s.right),
        _p(f"{context['sender']['roles']} {context['sender']['name']}", s.right),
        Spacer(1, 4 * mm),
        _p("情報セキュリティインシデント対応報告書", s.title),
    ]

    def heading(text: str) -> None:
        story.append(_p(text, s.heading))

    def text(value: str, empty: str = "（記載なし）") -> None:
        story.append(_p(value or empty, s.body))

    heading("1 事案の概要")
    fields = [
        ("整理番号", f"{inc['reference']}（{inc['fiscal_year']}）"),
        ("件名", inc["title"]),
        ("分類", inc["category"]),
        ("レベル", inc["level"]),
        ("状態", inc["state"]),
        ("担当者", inc["handler"]),
        ("受付日時", inc["opened_at"]),
        ("認知日時", inc["aware_at"]),
        ("評価日時", inc["triaged_at"]),
        ("封じ込め日時", inc["contained_at"]),
        ("収束日時", inc["closed_at"]),
        ("影響を受けたシステム", inc["affected_systems"]),
        ("個人情報", f"{inc['personal_data']} {inc['persons_affected']}"),
    ]
    story.append(_table(["項目", "内容"], [list(f) for f in fields], [40, 120], s))
    heading("2 概要")
    text(inc["summary"])
    heading("3 受付の内容")
    for r in context["reports"]:
        text(
            f"{r['reference']} {r['received_at']}（{r['channel']}） 報告者：{r['reporter']}\n{r['description']}"
        )
    heading("4 レベルの判定と変更")
    story.append(
        _table(
            ["日時", "変更", "理由", "判定者"],
            [
                [c["at"], f"{c['from_level']} → {c['to_level']}", c["reason"], c["by"]]
                for c in context["level_history"]
            ],
            [32, 35, 70, 23],
            s,
        )
    )
    heading("5 対応の経過")
    story.append(
        _table(
            ["日時", "段階", "内容", "記録者"],
            [[e["at"], e["phase"], e["description"], e["by"]] for e in context["timeline"]],
            [32, 28, 77, 23],
            s,
        )
    )
    heading("6 段階ごとの対応")
    for phase in context["phases"]:
        text(f"【{phase['name']}】")
        # One paragraph per action: reportlab splits a long paragraph across pages in quadratic time.
        for a in phase["actions"]:
            text(f"・{a['at']} {a['description']}（{a['by']}）")
    heading("7 証拠の一覧")
    story.append(
        _table(
            ["番号", "名称", "SHA-256", "取得", "保管の経過"],
            [
                [
                    e["no"],
                    e["name"],
                    e["sha256"],
                    f"{e['collected_at']} {e['collected_by']}",
                    e["custody_text"],
                ]
                for e in context["evidence"]
            ],
            [10, 35, 45, 32, 38],
            s,
        )
    )
    heading("8 原因")
    text(inc["root_cause"])
    heading("9 再発防止策")
    text(inc["prevention_measures"])
    heading("10 外部機関への報告")
    story.append(
        _table(
            ["報告先", "報告", "根拠", "状況"],
            [[o["body"], o["label"], o["basis"], o["outcome"]] for o in context["outside_reports"]],
            [45, 25, 40, 50],
            s,
        )
    )
    heading("11 公表の判断")
    text(f"{inc['publication_decision']}\n{inc['publication_reason']}")
    heading("12 決裁")
    story.append(
        _table(
            ["件名", "提案", "依頼", "決定", "結果"],
            [
                [
                    a["subject"],
                    f"{a['proposal']} {a['text']}",
                    f"{a['requested_by']} {a['requested_at']}",
                    f"{a['decided_by']} {a['decided_at']}",
                    f"{a['state']} {a['comment']}",
                ]
                for a in context["approvals"]
            ],
            [25, 45, 30, 30, 30],
            s,
        )
    )
    story.append(Spacer(1, 4 * mm))
    story.append(_p("以上", s.right))

    header = f"{inc['reference']} {inc['title']}"

    def on_page(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.drawString(20 * mm, A4[1] - 12 * mm, header[:70])
        canvas.drawCentredString(A4[0] / 2, 10 * mm, f"- {doc.page} -")
        canvas.restoreState()

    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"{inc['reference']} 情報セキュリティインシデント対応報告書",
        author=org["name"],
        creator="Mamori",
    )
    document.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return out.getvalue()
