"""One class per concept, each value with its label and a colour for badges."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    RECEIVED = "received", _("Received")
    TRIAGE = "triage", _("In triage")
    NOT_INCIDENT = "not_incident", _("Not an incident")
    RESPONDING = "responding", _("Responding")
    RECOVERING = "recovering", _("Recovering")
    PREVENTING = "preventing", _("Preventing recurrence")
    CLOSED = "closed", _("Closed")
    MERGED = "merged", _("Merged into another incident")

    @classmethod
    def open_states(cls) -> list[str]:
        return [cls.RECEIVED, cls.TRIAGE, cls.RESPONDING, cls.RECOVERING, cls.PREVENTING]

    @classmethod
    def queue_states(cls) -> list[str]:
        return [cls.RECEIVED, cls.TRIAGE]


STATE_COLOURS = {
    State.RECEIVED: "blue",
    State.TRIAGE: "blue",
    State.NOT_INCIDENT: "grey",
    State.RESPONDING: "red",
    State.RECOVERING: "orange",
    State.PREVENTING: "yellow",
    State.CLOSED: "green",
    State.MERGED: "grey",
}

LEVEL_COLOURS = {0: "grey", 1: "yellow", 2: "orange", 3: "red"}


class Phase(models.TextChoices):
    DETECTION = "detection", _("Detection and intake")
    TRIAGE = "triage", _("Triage")
    INITIAL_RESPONSE = "initial_response", _("Initial response")
    CONTAINMENT = "containment", _("Containment and eradication")
    RECOVERY = "recovery", _("Recovery")
    PREVENTION = "prevention", _("Recurrence prevention")
    REPORTING = "reporting", _("Reporting and publication")
    CLOSURE = "closure", _("Closure")


class ObligationKind(models.TextChoices):
    NOTIFY = "notify", _("Tell a role")
    OUTSIDE_BODY = "outside_body", _("Decide on reporting to an outside body")
    CHECKLIST = "checklist", _("Checklist item")
    AFTER_REPORT = "after_report", _("After-the-fact report of an emergency action")
    PUBLICATION = "publication", _("Publication decision")


class TaskState(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class CustodyEvent(models.TextChoices):
    COLLECTED = "collected", _("Collected")
    TRANSFERRED = "transferred", _("Handed over")
    STORED = "stored", _("Stored")
    EXAMINED = "examined", _("Examined")
    RETURNED = "returned", _("Returned")
    DISPOSED = "disposed", _("Disposed of")


class PublicationDecision(models.TextChoices):
    UNDECIDED = "", _("Not yet decided")
    PUBLISH = "publish", _("Publish")
    NOT_PUBLISH = "not_publish", _("Do not publish")
