"""A made-up incident with every placeholder filled: an uploaded template is tried against it before it
is accepted, so a misspelt placeholder is refused at upload rather than on the day of an incident.

A test checks that these keys are exactly those of ``context.incident_context``.
"""

from typing import Any

_ACTION = {
    "at": "令和8年5月7日 09:40",
    "description": "当該端末をネットワークから切り離した",
    "by": "担当 太郎",
}


SAMPLE_ORGANIZATION = {
    "name": "見本市",
    "poc": "見本市CSIRT POC",
    "poc_unit": "総務部 情報システム係",
    "poc_contacts": "電話番号 03-0000-0000",
    "regulation": "見本市情報セキュリティインシデント対応要綱",
}
SAMPLE_SENDER = {"name": "CSIRT 責任者", "roles": "CSIRT責任者"}


def sample_incident_context() -> dict[str, Any]:
    report = {
        "reference": "R8-0012",
        "received_at": "令和8年5月7日 09:12",
        "channel": "職員の報告フォーム",
        "discovered_at": "令和8年5月7日 09:00",
        "location": "本庁舎3階 市民課",
        "description": "業務用PCの画面に身代金を要求する表示が出た。",
        "suspected_cause": "不審なメールの添付ファイルを開いた",
        "impact_scope": "市民課の共有フォルダ",
        "reporter": "職員 山本",
    }
    custody = {"at": "令和8年5月7日 10:00", "event": "保管", "holder": "情報システム係 金庫", "note": ""}
    return {
        "organization": SAMPLE_ORGANIZATION,
        "sender": SAMPLE_SENDER,
        "ciso": "最高情報セキュリティ責任者",
        "publication_decider": "CSIRT責任者",
        "today": "令和8年6月1日",
        "incident": {
            "reference": "R8-0012",
            "title": "業務用PCのランサムウェア感染",
            "fiscal_year": "令和8年度",
            "state": "完了",
            "category": "サイバー攻撃",
            "level": "レベル2",
            "level_criteria": "業務に影響がある",
            "handler": "担当 太郎",
            "opened_at": "令和8年5月7日 09:12",
            "aware_at": "令和8年5月7日 09:12",
            "triaged_at": "令和8年5月7日 09:30",
            "contained_at": "令和8年5月7日 12:00",
            "closed_at": "令和8年6月1日 17:00",
            "closed_on": "令和8年6月1日",
            "summary": "市民課の業務用PC1台がランサムウェアに感染した。",
            "triage_reason": "業務継続に影響するためレベル2とした。",
            "root_cause": "添付ファイルのマクロ実行",
            "prevention_measures": "マクロの既定無効化と研修",
            "affected_systems": "市民課 業務用PC",
            "personal_data": "いいえ",
            "persons_affected": "",
            "drill": "いいえ",
            "publication_decision": "公表しない",
            "publication_reason": "個人情報の流出がないため",
        },
        "reports": [report],
        "first_report": report,
        "timeline": [{**_ACTION, "phase": "初動対応"}],
        "phases": [{"name": "初動対応", "actions": [{**_ACTION, "emergency": "はい"}]}],
        "level_history": [
            {
                "at": "令和8年5月7日 09:30",
                "from_level": "",
                "to_level": "レベル2",
                "reason": "業務影響",
                "by": "担当",
            }
        ],
        "evidence": [
            {
                "no": "1",
                "name": "disk.img",
                "description": "端末のディスクイメージ",
                "sha256": "0" * 64,
                "size": "1.0 GB",
                "collected_at": "令和8年5月7日 10:00",
                "collected_by": "担当 太郎",
                "custody": [custody],
                "custody_text": "令和8年5月7日 10:00 保管 情報システム係 金庫",
            }
        ],
        "outside_reports": [
            {
                "body": "個人情報保護委員会",
                "label": "速報",
                "basis": "個人情報保護法第68条第1項",
                "due_at": "令和8年5月10日 09:12",
                "status": "報告不要",
                "sent_at": "",
                "sent_reference": "",
                "waived_reason": "個人データの漏えいがない",
                "outcome": "報告不要：個人データの漏えいがない",
            }
        ],
        "approvals": [
            {
                "subject": "外部への報告と公表",
                "proposal": "公表しない",
                "text": "個人情報の流出がないため公表しない",
                "state": "承認",
                "requested_by": "担当 太郎",
                "requested_at": "令和8年5月20日 10:00",
                "decided_by": "CSIRT 責任者",
                "decided_at": "令和8年5月20日 15:00",
                "comment": "",
            }
        ],
        "tasks": [
            {
                "title": "他システムの確認",
                "assignee": "情報システム管理者",
                "due_at": "",
                "state": "完了",
                "result": "異常なし",
            }
        ],
        "outside_forms": [
            {
                "key": "ppc",
                "title": "個人情報保護委員会への漏えい等報告（9項目）",
                "note": "認知：令和8年5月7日 09:12",
                "entries": [{"key": "summary", "label": "概要", "value": "市民課の業務用PC1台が感染した。"}],
            }
        ],
    }
