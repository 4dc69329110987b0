"""The registers' sections of the committee's yearly report: training and exercises (tatebayashi
5.2(2)⑥: the CISO reports the state of training to the committee every fiscal year; komae 第13条), audits
(9.1(5)) and self-inspections (9.2(2)). Read from the training and audits registers; a section of a
register the policy does not keep says so."""

from typing import Any

from mamori import wareki
from mamori.audits.models import Audit, AuditPlan, Finding, ItemResult
from mamori.audits.services import inspection_status
from mamori.policy.schema import PolicyDocument
from mamori.training.models import TrainingPlan, TrainingSession
from mamori.training.services import completion_by_department, drill_timings, kind_label

NONE = "—"


def register_sections(
    organization: Any, fiscal_year: int, policy: PolicyDocument, style: str
) -> dict[str, Any]:
    return {
        "training": _training(organization, fiscal_year, policy, style),
        "audit": _audits(organization, fiscal_year, policy, style),
    }


def _date(value: Any, style: str) -> str:
    return wareki.format_date(value, style) if value else NONE


def _training(organization: Any, fiscal_year: int, policy: PolicyDocument, style: str) -> dict[str, Any]:
    spec = policy.training
    if spec is None:
        return {
            "kept": "",
            "plan": "ポリシーに研修・訓練の定めがないため記録していません。",
            "sessions": [],
            "completion": [],
            "drills": [],
        }
    plan = TrainingPlan.objects.filter(organization=organization, fiscal_year=fiscal_year).first()
    if plan is None:
        plan_text = "研修計画は登録されていません。"
    elif plan.approved_on:
        plan_text = (
            f"「{plan.title}」（{spec.approved_by or '承認機関'}の承認 {_date(plan.approved_on, style)}）"
        )
    else:
        plan_text = f"「{plan.title}」（未承認）"
    sessions = list(
        TrainingSession.objects.filter(organization=organization, fiscal_year=fiscal_year).order_by(
            "held_on", "pk"
        )
    )
    drills = []
    for session in sessions:
        if session.drill_incident_id and session.drill_incident is not None:
            steps = {step.label: step.minutes for step in drill_timings(session.drill_incident)}
            values = list(steps.values())
            drills.append(
                {
                    "title": session.title,
                    "reference": session.drill_incident.reference,
                    "ack": NONE if values[1] is None else f"{values[1]}分",
                    "triage": NONE if values[2] is None else f"{values[2]}分",
                    "closed": NONE if values[4] is None else f"{values[4]}分",
                }
            )
    return {
        "kept": "yes",
        "plan": plan_text,
        "sessions": [
            {
                "date": _date(s.held_on, style),
                "kind": kind_label(spec, s.kind),
                "title": s.title,
                "audience": s.audience or NONE,
                "attendees": str(s.attendance.count()),
            }
            for s in sessions
        ],
        "completion": [
            {
                "department": r.department,
                "people": str(r.people),
                "attended": str(r.attended),
                "rate": f"{r.rate:.0f}%",
            }
            for r in completion_by_department(organization, fiscal_year)
        ],
        "drills": drills,
    }


def _audits(organization: Any, fiscal_year: int, policy: PolicyDocument, style: str) -> dict[str, Any]:
    if policy.audits is None:
        return {
            "plan": "ポリシーに監査の定めがないため記録していません。",
            "audits": [],
            "findings": [],
            "inspections": [],
        }
    plan = AuditPlan.objects.filter(organization=organization, fiscal_year=fiscal_year).first()
    if plan is None:
        plan_text = "監査実施計画は登録されていません。"
    else:
        approved = f"承認 {_date(plan.approved_on, style)}" if plan.approved_on else "未承認"
        plan_text = f"「{plan.title}」（{approved}）"
    audits = (
        Audit.objects.filter(plan=plan).select_related("department", "auditor")
        if plan
        else Audit.objects.none()
    )
    findings = (
        Finding.objects.filter(organization=organization, audit__plan=plan).select_related("department")
        if plan
        else []
    )
    return {
        "plan": plan_text,
        "audits": [
            {
                "department": str(a.department),
                "auditor": str(a.auditor),
                "done": _date(a.done_on, style),
                "nonconforming": str(
                    sum(1 for r in a.results if r.get("result") == ItemResult.DOES_NOT_CONFORM)
                ),
            }
            for a in audits
        ],
        "findings": [
            {"department": str(f.department), "text": f.text, "state": str(f.get_state_display())}
            for f in findings
        ],
        "inspections": [
            {
                "subject": row.subject,
                "done": _date(row.inspection.done_on, style) if row.inspection else "未実施",
                "inspector": str(row.inspection.inspector) if row.inspection else NONE,
            }
            for row in inspection_status(organization, fiscal_year)
        ],
    }


SAMPLE = {
    "training": {
        "kept": "yes",
        "plan": "「令和8年度 情報セキュリティ研修計画」（情報セキュリティ委員会の承認 令和8年5月20日）",
        "sessions": [
            {
                "date": "令和8年6月10日",
                "kind": "研修",
                "title": "全職員向け研修",
                "audience": "全職員",
                "attendees": "120",
            }
        ],
        "completion": [{"department": "総務課", "people": "20", "attended": "19", "rate": "95%"}],
        "drills": [
            {
                "title": "標的型メール対応 机上訓練",
                "reference": "R8-0042",
                "ack": "7.0分",
                "triage": "15.0分",
                "closed": "95.0分",
            }
        ],
    },
    "audit": {
        "plan": "「令和8年度 情報セキュリティ監査計画」（承認 令和8年6月1日）",
        "audits": [
            {
                "department": "警防課",
                "auditor": "総務課 監査担当",
                "done": "令和8年10月1日",
                "nonconforming": "1",
            }
        ],
        "findings": [
            {"department": "警防課", "text": "保守委託契約に遵守事項の条項がない", "state": "改善中"}
        ],
        "inspections": [
            {"subject": "警防課", "done": "令和8年11月2日", "inspector": "情報セキュリティ管理者"}
        ],
    },
}
