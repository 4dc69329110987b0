"""Steps of an incident's life, for tests that read like the regulation's procedure."""

from datetime import timedelta
from typing import Any

from django.utils import timezone

from mamori.incidents import outside, response, services
from mamori.incidents.models import Incident
from mamori.intake.choices import Channel
from mamori.intake.services import ReportInput, submit_report


def report(
    org: Any, *, by: Any = None, description: str = "不審なメールの添付ファイルを開いた", **fields: Any
) -> Incident:
    """A staff member (default: org.staff) reports through the staff form with every item given."""
    person = by or org.staff
    data = ReportInput(
        description=description,
        discovered_at=timezone.now() - timedelta(hours=1),
        location="本庁舎3階 総務課",
        reporter_name=person.display_name,
        reporter_contact="内線1234",
        suspected_cause="標的型メール",
        impact_scope="端末1台",
        **fields,
    )
    return submit_report(org.organization, data, channel=Channel.STAFF_FORM, actor=person).incident


def triage(
    org: Any, incident: Incident, *, level: int = 3, category: str | None = None, **kw: Any
) -> Incident:
    incident.refresh_from_db()
    category = category or services.policy_of(incident).categories[0].key
    by = kw.pop("by", None) or next(p for p in org.people.values() if _can(p, "triage"))
    return services.triage(
        incident,
        actor=by,
        expected_version=incident.version,
        is_incident=True,
        reason="端末のログで不審な通信を確認した",
        category=category,
        level=level,
        **kw,
    )


def finish_checklist(org: Any, incident: Incident) -> None:
    approver = next(p for p in org.people.values() if _can(p, "approve_publication"))
    # The request comes from someone else: nobody approves their own request (兼務の禁止).
    responder = next(p for p in org.people.values() if _can(p, "respond") and p != approver)
    incident.refresh_from_db()
    approval = services.request_publication(
        incident,
        actor=responder,
        expected_version=incident.version,
        decision="not_publish",
        reason="住民への影響なし。関係機関へは報告済み",
    )
    services.decide_approval(approval, actor=approver, approve=True)
    for ob in incident.obligations.filter(done_at__isnull=True):
        services.complete_obligation(ob, actor=responder, outcome="電話で報告した")
    for outside_report in incident.external_reports.filter(status__in=["due", "drafted"]):
        outside.mark_sent(outside_report, actor=responder, sent_at=None, reference="メールで送付")


def close(org: Any, incident: Incident) -> Incident:
    responder = next(p for p in org.people.values() if _can(p, "respond"))
    closer = next(p for p in org.people.values() if _can(p, "close"))
    for name in ("start_recovery", "start_prevention"):
        incident.refresh_from_db()
        services.transition(incident, name, actor=responder, expected_version=incident.version)
    finish_checklist(org, incident)
    incident.refresh_from_db()
    return services.transition(
        incident,
        "close",
        actor=closer,
        expected_version=incident.version,
        summary="標的型メールによるマルウェア感染。端末1台を隔離・初期化した。",
        root_cause="添付ファイルの実行",
        prevention_measures="添付ファイルの無害化を導入",
    )


def act(org: Any, incident: Incident, text: str = "LANケーブルを抜き端末を隔離した") -> Any:
    responder = next(p for p in org.people.values() if _can(p, "respond"))
    incident.refresh_from_db()
    return response.record_action(
        incident, actor=responder, expected_version=incident.version, phase="containment", description=text
    )


def _can(person: Any, permission: str) -> bool:
    from mamori.incidents.access import can

    return can(person, permission)
