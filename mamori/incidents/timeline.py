"""The incident's story in time order: reports, triage, level changes, actions, evidence, tasks."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from mamori.policy.schema import PolicyDocument

from .choices import Phase
from .models import Incident


@dataclass
class Entry:
    at: datetime
    phase: str
    phase_label: str
    kind: str
    text: str
    who: Any
    emergency: bool = False


def build_timeline(incident: Incident, policy: PolicyDocument) -> list[Entry]:
    labels = {p.key: p.label for p in policy.phases}

    def phase_label(key: str) -> str:
        return labels.get(key) or str(Phase(key).label)  # type: ignore[call-overload]

    entries: list[Entry] = []
    for report in incident.reports.all():
        entries.append(
            Entry(
                report.received_at,
                "detection",
                phase_label("detection"),
                "report",
                _("Report %(ref)s received (%(channel)s)")
                % {"ref": report.reference, "channel": report.get_channel_display()},
                report.reporter or report.logged_by or report.reporter_name,
            )
        )
    for change in incident.level_changes.all():
        entries.append(
            Entry(
                change.changed_at,
                "triage",
                phase_label("triage"),
                "level",
                _("Level %(from)s → %(to)s: %(reason)s")
                % {
                    "from": "-" if change.from_level is None else change.from_level,
                    "to": change.to_level,
                    "reason": change.reason,
                },
                change.changed_by,
            )
        )
    emergency_labels = {e.key: e.label for e in policy.emergency_actions}
    for action in incident.actions.select_related("taken_by"):
        text = action.description
        if action.emergency_action:
            text = f"【{emergency_labels.get(action.emergency_action, action.emergency_action)}】{text}"
        entries.append(
            Entry(
                action.taken_at,
                action.phase,
                phase_label(action.phase),
                "action",
                text,
                action.taken_by,
                emergency=bool(action.emergency_action),
            )
        )
    for evidence in incident.evidence.all():
        entries.append(
            Entry(
                evidence.collected_at,
                "initial_response",
                phase_label("initial_response"),
                "evidence",
                _("Evidence kept: %(what)s") % {"what": evidence.original_name or evidence.description},
                evidence.collected_by,
            )
        )
    for task in incident.tasks.all():
        if task.done_at:
            entries.append(
                Entry(
                    task.done_at,
                    "recovery",
                    phase_label("recovery"),
                    "task",
                    _("Task done: %(title)s — %(result)s") % {"title": task.title, "result": task.result},
                    task.done_by,
                )
            )
    entries.sort(key=lambda e: e.at)
    return entries
