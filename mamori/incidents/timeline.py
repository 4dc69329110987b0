"""The incident's story in time order: reports, triage, level changes, actions, evidence, tasks."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mamori.journal.models import JournalEntry
from mamori.people.models import full_name, name_columns
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
    who: str  # the person's name (or the reporter's, as given)
    emergency: bool = False
    at_label: str = ""  # ``at`` as the reader prefers dates (the view fills it in)


# Lifecycle steps taken from the journal (the authoritative record), with the phase they belong to.
MILESTONES = {
    "incident.start_triage": ("triage", gettext_lazy("Triage started")),
    "incident.triaged": ("triage", gettext_lazy("Triage decided")),
    "incident.handler_assigned": ("triage", gettext_lazy("Handler assigned")),
    "incident.reports_joined": ("triage", gettext_lazy("Another report was merged into this incident")),
    "incident.merged": ("triage", gettext_lazy("Merged into another incident")),
    "incident.start_recovery": ("recovery", gettext_lazy("Recovery started")),
    "incident.start_prevention": ("prevention", gettext_lazy("Recurrence prevention started")),
    "incident.resume_response": ("initial_response", gettext_lazy("Back to response")),
    "incident.publication_decided": (
        "reporting",
        gettext_lazy("Decision on outside reporting and publication"),
    ),
    "incident.close": ("closure", gettext_lazy("Closed")),
    "incident.reopen": ("initial_response", gettext_lazy("Reopened")),
    "incident.reconsider": ("triage", gettext_lazy("Sent back to triage")),
}


def _name(person: Any) -> str:
    return person.get_full_name() if person is not None else ""


def build_timeline(
    incident: Incident,
    policy: PolicyDocument,
    *,
    reports: Iterable[Any] | None = None,
    level_changes: Iterable[Any] | None = None,
    evidence: Iterable[Any] | None = None,
    tasks: Iterable[Any] | None = None,
) -> list[Entry]:
    """Every step, oldest first. The actions — hundreds on a long incident — and the journal's
    milestones are read as plain rows, not model instances: half the detail page's time went into
    building those objects (docs/performance.md). A page that has already loaded the incident's
    reports, level changes, evidence or tasks (with their people) passes them instead of their being
    read twice."""
    labels = {p.key: p.label for p in policy.phases}

    def phase_label(key: str) -> str:
        return labels.get(key) or str(Phase(key).label)  # type: ignore[call-overload]

    entries: list[Entry] = []
    if reports is None:
        reports = incident.reports.select_related("reporter", "logged_by")
    for report in reports:
        entries.append(
            Entry(
                report.received_at,
                "detection",
                phase_label("detection"),
                "report",
                _("Report %(ref)s received (%(channel)s)")
                % {"ref": report.reference, "channel": report.get_channel_display()},
                _name(report.reporter or report.logged_by) or report.reporter_name,
            )
        )

    def level_label(value: int | None) -> str:
        spec = policy.level(value)
        return spec.label if spec else ("-" if value is None else str(value))

    if level_changes is None:
        level_changes = incident.level_changes.select_related("changed_by")
    for change in level_changes:
        entries.append(
            Entry(
                change.changed_at,
                "triage",
                phase_label("triage"),
                "level",
                _("Level changed %(from)s → %(to)s: %(reason)s")
                % {
                    "from": level_label(change.from_level),
                    "to": level_label(change.to_level),
                    "reason": change.reason,
                },
                _name(change.changed_by),
            )
        )
    # The journal's name for who did it: the trail reads the same even if the person is renamed.
    milestones = JournalEntry.objects.filter(
        object_type=Incident._meta.label_lower, object_id=str(incident.pk), action__in=list(MILESTONES)
    ).order_by("seq")
    for created_at, action, data, actor_label in milestones.values_list(
        "created_at", "action", "data", "actor_label"
    ):
        phase, label = MILESTONES[action]
        detail_key = {
            "incident.handler_assigned": "to",
            "incident.merged": "into",
            "incident.reports_joined": "from",
        }.get(action, "reason")
        detail = data.get(detail_key) or ""
        text = f"{label}: {detail}" if isinstance(detail, str) and detail else str(label)
        entries.append(Entry(created_at, phase, phase_label(phase), "milestone", text, actor_label))
    emergency_labels = {e.key: e.label for e in policy.emergency_actions}
    actions = incident.actions.order_by("taken_at", "pk").values_list(
        "taken_at", "phase", "description", "emergency_action", *name_columns("taken_by")
    )
    for taken_at, phase, description, emergency, *name in actions:
        text = description
        if emergency:
            text = f"【{emergency_labels.get(emergency, emergency)}】{text}"
        entries.append(
            Entry(
                taken_at,
                phase,
                phase_label(phase),
                "action",
                text,
                full_name(*name),
                emergency=bool(emergency),
            )
        )
    if evidence is None:
        evidence = incident.evidence.select_related("collected_by")
    for item in evidence:
        entries.append(
            Entry(
                item.collected_at,
                "initial_response",
                phase_label("initial_response"),
                "evidence",
                _("Evidence kept: %(what)s") % {"what": item.original_name or item.description},
                _name(item.collected_by),
            )
        )
    if tasks is None:
        tasks = incident.tasks.filter(done_at__isnull=False).select_related("done_by")
    for task in tasks:
        if task.done_at:
            entries.append(
                Entry(
                    task.done_at,
                    "recovery",
                    phase_label("recovery"),
                    "task",
                    _("Task done: %(title)s — %(result)s") % {"title": task.title, "result": task.result},
                    _name(task.done_by),
                )
            )
    entries.sort(key=lambda e: e.at)
    return entries
