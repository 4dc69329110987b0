"""The lifecycle of an incident, as one table (DESIGN.md, lifecycle).

received → triage → (not_incident | responding) → recovering → preventing → closed.
Each transition names the policy permission that guards it and the fields it requires. Triage
itself (to responding or not_incident) and merging have their own services because they carry
more data; they are listed here so that this table is the whole picture.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .choices import State


@dataclass(frozen=True)
class Transition:
    name: str
    label: Promise
    sources: tuple[str, ...]
    target: str
    permission: str
    requires: tuple[str, ...] = ()
    # Offered as a button on the incident page (triage and merge have forms of their own).
    generic: bool = True


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition("start_triage", _("Start triage"), (State.RECEIVED,), State.TRIAGE, "triage"),
        Transition(
            "triage_not_incident",
            _("Not an incident"),
            (State.RECEIVED, State.TRIAGE),
            State.NOT_INCIDENT,
            "triage",
            ("triage_reason",),
            generic=False,
        ),
        Transition(
            "triage_respond",
            _("Respond as an incident"),
            (State.RECEIVED, State.TRIAGE),
            State.RESPONDING,
            "triage",
            ("category", "level", "triage_reason"),
            generic=False,
        ),
        Transition(
            "merge",
            _("Merge into another incident"),
            (State.RECEIVED, State.TRIAGE),
            State.MERGED,
            "triage",
            generic=False,
        ),
        Transition("start_recovery", _("Start recovery"), (State.RESPONDING,), State.RECOVERING, "respond"),
        Transition(
            "start_prevention",
            _("Start recurrence prevention"),
            (State.RECOVERING,),
            State.PREVENTING,
            "respond",
        ),
        Transition(
            "resume_response",
            _("Back to response"),
            (State.RECOVERING, State.PREVENTING),
            State.RESPONDING,
            "respond",
            ("reason",),
        ),
        Transition(
            "close",
            _("Close (declare the end)"),
            (State.PREVENTING,),
            State.CLOSED,
            "close",
            ("summary", "root_cause", "prevention_measures"),
        ),
        Transition("reopen", _("Reopen"), (State.CLOSED,), State.RESPONDING, "reopen", ("reason",)),
        Transition(
            "reconsider", _("Triage again"), (State.NOT_INCIDENT,), State.TRIAGE, "reopen", ("reason",)
        ),
    )
}


def available(state: str, permissions: frozenset[str]) -> list[Transition]:
    return [
        t for t in TRANSITIONS.values() if t.generic and state in t.sources and t.permission in permissions
    ]
