"""The CSIRT's yearly report to the information security committee (委員会への年次報告), as Word.

The figures are those of the statistics page (``figures.yearly_figures``). The sections on training,
audits and self-inspections (tatebayashi 5.2(2)⑥, 9.1(5), 9.2(2); komae 第13条) are read from those
registers (committee_registers.py). Like the incident documents, the template can be replaced by the
organisation (docs/documents.md lists the placeholders).
"""

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy

from mamori import wareki
from mamori.documents.context import organization_context, sender_context
from mamori.documents.default_templates import Builder
from mamori.documents.render import Kind, register_kind
from mamori.documents.samples import SAMPLE_ORGANIZATION, SAMPLE_SENDER
from mamori.policy.schema import PolicyDocument

from .committee_registers import SAMPLE as REGISTER_SAMPLE
from .committee_registers import register_sections
from .figures import YearFigures


def _hours(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}時間"


def committee_context(
    figures: YearFigures, *, organization: Any, policy: PolicyDocument, user: Any, style: str
) -> dict[str, Any]:
    def rows(items: list[Any]) -> list[dict[str, str]]:
        return [{"label": r.label, "count": str(r.count)} for r in items]

    return {
        "organization": organization_context(organization, policy),
        "sender": sender_context(user, policy),
        "today": wareki.format_date(timezone.localdate(), style),
        "year": {
            "label": figures.label,
            "period": f"{wareki.format_date(figures.starts, style)}〜{wareki.format_date(figures.ends, style)}",
            "reports": str(figures.reports),
            "incidents": str(figures.incidents),
            "not_incident": str(figures.not_incident),
            "merged": str(figures.merged),
            "drills": str(figures.drills),
        },
        "by_month": rows(figures.by_month),
        "by_category": rows(figures.by_category),
        "by_level": rows(figures.by_level),
        "by_channel": rows(figures.by_channel),
        "durations": [
            {"label": d.label, "n": str(d.n), "median": _hours(d.median_hours), "p90": _hours(d.p90_hours)}
            for d in figures.durations
        ],
        **register_sections(organization, figures.fiscal_year, policy, style),
    }


def sample_committee_context() -> dict[str, Any]:
    row = {"label": "サイバー攻撃", "count": "3"}
    return {
        "organization": SAMPLE_ORGANIZATION,
        "sender": SAMPLE_SENDER,
        "today": "令和9年5月10日",
        "year": {
            "label": "令和8年度",
            "period": "令和8年4月1日〜令和9年3月31日",
            "reports": "25",
            "incidents": "12",
            "not_incident": "10",
            "merged": "3",
            "drills": "2",
        },
        "by_month": [{"label": "4月", "count": "1"}],
        "by_category": [row],
        "by_level": [{"label": "レベル1", "count": "8"}],
        "by_channel": [{"label": "職員の報告フォーム", "count": "9"}],
        "durations": [{"label": "受付から評価まで", "n": "12", "median": "1.5時間", "p90": "6.0時間"}],
        **REGISTER_SAMPLE,
    }


def committee_template() -> bytes:
    """Mamori's template; Japanese by nature, like the incident documents (default_templates.py)."""
    b = Builder()
    b.right("{{ today }}", "{{ organization.name }}", "{{ sender.roles }} {{ sender.name }}")
    b.left("情報セキュリティ委員会 御中")
    b.title("{{ year.label }} 情報セキュリティインシデント対応状況報告")
    b.left(
        "{{ year.label }}（{{ year.period }}）における情報セキュリティインシデントへの対応状況を次のとおり報告します。"
    )
    b.heading("1 件数")
    b.fields(
        [
            ("受け付けた報告", "{{ year.reports }}件"),
            ("インシデント", "{{ year.incidents }}件"),
            ("インシデントに当たらないと評価したもの", "{{ year.not_incident }}件"),
            ("他の事案に統合したもの", "{{ year.merged }}件"),
            ("訓練（件数に含めない）", "{{ year.drills }}件"),
        ]
    )
    for title, key, header in (
        ("2 月別の件数", "by_month", "月"),
        ("3 分類別の件数", "by_category", "分類"),
        ("4 レベル別の件数", "by_level", "レベル"),
        ("5 受付経路別の件数（最初の報告の経路）", "by_channel", "受付経路"),
    ):
        b.heading(title)
        b.repeated_rows([header, "件数"], f"r in {key}", ["{{ r.label }}", "{{ r.count }}"], [110, 50])
    b.heading("6 対応に要した時間（受付から）")
    b.repeated_rows(
        ["段階", "件数", "中央値", "90パーセンタイル"],
        "d in durations",
        ["{{ d.label }}", "{{ d.n }}", "{{ d.median }}", "{{ d.p90 }}"],
        [60, 25, 35, 40],
    )
    b.heading("7 研修・訓練の実施状況")
    b.left("研修計画：{{ training.plan }}")
    b.repeated_rows(
        ["実施日", "種別", "名称", "対象者", "参加者数"],
        "s in training.sessions",
        ["{{ s.date }}", "{{ s.kind }}", "{{ s.title }}", "{{ s.audience }}", "{{ s.attendees }}"],
        [30, 30, 50, 30, 20],
    )
    b.left("所属別の研修受講状況")
    b.repeated_rows(
        ["所属", "人数", "受講者", "受講率"],
        "c in training.completion",
        ["{{ c.department }}", "{{ c.people }}", "{{ c.attended }}", "{{ c.rate }}"],
        [60, 30, 30, 30],
    )
    b.left("訓練（実際の手順で対応した訓練インシデント。件数には含めない）")
    b.repeated_rows(
        ["訓練", "番号", "最初の受領確認", "評価", "収束"],
        "d in training.drills",
        ["{{ d.title }}", "{{ d.reference }}", "{{ d.ack }}", "{{ d.triage }}", "{{ d.closed }}"],
        [60, 25, 30, 25, 25],
    )
    b.heading("8 監査及び自己点検の結果")
    b.left("監査実施計画：{{ audit.plan }}")
    b.repeated_rows(
        ["被監査部門", "監査を行う者", "実施日", "不適合の項目数"],
        "a in audit.audits",
        ["{{ a.department }}", "{{ a.auditor }}", "{{ a.done }}", "{{ a.nonconforming }}"],
        [45, 45, 40, 30],
    )
    b.left("指摘事項")
    b.repeated_rows(
        ["所属", "指摘事項", "状況"],
        "f in audit.findings",
        ["{{ f.department }}", "{{ f.text }}", "{{ f.state }}"],
        [35, 95, 30],
    )
    b.left("自己点検")
    b.repeated_rows(
        ["所属又は情報システム", "実施日", "点検者"],
        "i in audit.inspections",
        ["{{ i.subject }}", "{{ i.done }}", "{{ i.inspector }}"],
        [70, 45, 45],
    )
    b.heading("9 主な事案と再発防止策")
    b.left("（記入してください）")
    b.right("以上")
    return b.bytes()


COMMITTEE = Kind(
    "committee_yearly",
    gettext_lazy("Yearly report to the committee"),
    "委員会への年次報告",
    sample_committee_context,
)
register_kind(COMMITTEE, committee_template)
