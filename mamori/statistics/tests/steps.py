"""Incidents made through the real services at chosen moments, for the figures to count."""

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import time_machine

from mamori.incidents import services
from mamori.incidents.models import Incident
from mamori.incidents.tests.scenario import finish_checklist, report, triage
from mamori.intake.choices import Channel
from mamori.intake.services import ReportInput, submit_report

JST = ZoneInfo("Asia/Tokyo")


def jst(*args: int) -> datetime:
    return datetime(*args, tzinfo=JST)


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


def reported(org: Any, moment: datetime, *, channel: str = Channel.STAFF_FORM, **fields: Any) -> Incident:
    """A report taken in at ``moment``: through the staff form, or logged by the PoC from a call or mail."""
    with at(moment):
        if channel == Channel.STAFF_FORM:
            return report(org, **fields)
        data = ReportInput(
            description=fields.get("description", "不審な電話があった"),
            discovered_at=moment - timedelta(hours=1),
            location="本庁舎1階 市民課",
            reporter_name="市民 佐藤",
            reporter_contact="090-0000-0000",
            suspected_cause="不明",
            impact_scope="不明",
        )
        return submit_report(org.organization, data, channel=channel, actor=org.poc, on_behalf=True).incident


def triaged(org: Any, incident: Incident, moment: datetime, **kw: Any) -> Incident:
    with at(moment):
        triage(org, incident, **kw)
    incident.refresh_from_db()
    return incident


def not_an_incident(org: Any, incident: Incident, moment: datetime) -> Incident:
    with at(moment):
        incident.refresh_from_db()
        services.triage(
            incident,
            actor=org.csirt_manager,
            expected_version=incident.version,
            is_incident=False,
            reason="迷惑メールで、開封していない",
        )
    incident.refresh_from_db()
    return incident


def merged(org: Any, incident: Incident, into: Incident, moment: datetime) -> Incident:
    with at(moment):
        incident.refresh_from_db()
        services.merge(incident, actor=org.csirt_manager, expected_version=incident.version, into=into)
    incident.refresh_from_db()
    return incident


def contained(org: Any, incident: Incident, moment: datetime) -> Incident:
    with at(moment):
        incident.refresh_from_db()
        services.transition(incident, "start_recovery", actor=org.handler, expected_version=incident.version)
    incident.refresh_from_db()
    return incident


def closed(org: Any, incident: Incident, moment: datetime) -> Incident:
    """Recurrence prevention, the closing checklist and the closure itself, all at ``moment``."""
    with at(moment):
        incident.refresh_from_db()
        services.transition(
            incident, "start_prevention", actor=org.handler, expected_version=incident.version
        )
        finish_checklist(org, incident)
        incident.refresh_from_db()
        services.transition(
            incident,
            "close",
            actor=org.csirt_manager,
            expected_version=incident.version,
            summary="標的型メールによるマルウェア感染。端末1台を隔離・初期化した。",
            root_cause="添付ファイルの実行",
            prevention_measures="添付ファイルの無害化を導入",
        )
    incident.refresh_from_db()
    return incident
