"""Incidents and what happens to them: level history, obligations, actions, evidence, tasks.

An incident is opened by its first report (``mamori.intake.Report``) in state ``received`` and
shares that report's reference (e.g. R8-0001). The lifecycle is the table in ``transitions.py``.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .choices import CustodyEvent, ObligationKind, Phase, PublicationDecision, State, TaskState


class ReferenceCounter(models.Model):
    """The last number handed out in one fiscal year (April–March) of one organisation."""

    organization = models.ForeignKey(
        "people.Organization", verbose_name=_("organisation"), on_delete=models.PROTECT
    )
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("reference counter")
        verbose_name_plural = _("reference counters")
        constraints = [
            models.UniqueConstraint(fields=["organization", "fiscal_year"], name="counter_unique_year")
        ]

    def __str__(self) -> str:
        return f"{self.organization} FY{self.fiscal_year}: {self.last_number}"


class Incident(models.Model):
    organization = models.ForeignKey(
        "people.Organization", verbose_name=_("organisation"), on_delete=models.PROTECT
    )
    reference = models.CharField(_("reference"), max_length=20)
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    title = models.CharField(_("title"), max_length=200)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.RECEIVED)
    category = models.CharField(_("category"), max_length=50, blank=True)
    level = models.PositiveSmallIntegerField(_("level"), null=True, blank=True)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handled_incidents",
    )
    policy = models.ForeignKey(
        "policy.PolicyVersion",
        verbose_name=_("policy version"),
        on_delete=models.PROTECT,
        help_text=_("The policy in force when the incident was last triaged."),
    )
    affected_systems = models.TextField(_("affected systems"), blank=True)
    is_drill = models.BooleanField(
        _("drill"), default=False, help_text=_("An exercise, not a real incident.")
    )
    personal_data = models.BooleanField(_("personal data involved"), default=False)
    restricted = models.BooleanField(
        _("restricted"), default=False, help_text=_("Visible only to the CSIRT and people added by name.")
    )
    triage_reason = models.TextField(_("triage reasoning"), blank=True)
    summary = models.TextField(_("summary"), blank=True)
    root_cause = models.TextField(_("root cause"), blank=True)
    prevention_measures = models.TextField(_("recurrence-prevention measures"), blank=True)
    publication_decision = models.CharField(
        _("publication decision"), max_length=20, choices=PublicationDecision.choices, blank=True, default=""
    )
    publication_reason = models.TextField(_("reason for the publication decision"), blank=True)
    # When the organisation became aware: legal clocks of outside reports run from here.
    aware_at = models.DateTimeField(_("became aware at"), null=True, blank=True)
    # Facts the outside-report rules ask for (triggers, persons affected, the items of the forms).
    report_facts = models.JSONField(_("facts for outside reports"), default=dict, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged",
    )
    opened_at = models.DateTimeField(_("opened at"))
    triaged_at = models.DateTimeField(_("triaged at"), null=True, blank=True)
    # The first move from response to recovery: the damage was contained (statistics: time to containment).
    contained_at = models.DateTimeField(_("contained at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"))
    # Optimistic locking: every change increments it; a form carrying an older value is refused.
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "reference"], name="incident_unique_reference"),
            models.CheckConstraint(condition=models.Q(level__lte=9), name="incident_level_range"),
        ]
        indexes = [
            models.Index(fields=["organization", "state", "-opened_at"]),
            # The list filtered by fiscal year (and state), newest first; also the statistics' year. Was
            # (organization, fiscal_year): a year's closed incidents were found by walking every closed
            # incident of later years (117,000 rows, 75 ms on PostgreSQL at 1M, docs/performance.md).
            models.Index(
                fields=["organization", "fiscal_year", "state", "-opened_at"],
                name="incident_year_state_opened",
            ),
            # The list page's default order.
            models.Index(fields=["organization", "-opened_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.state in State.open_states()


class LevelChange(models.Model):
    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.PROTECT, related_name="level_changes"
    )
    from_level = models.PositiveSmallIntegerField(_("from level"), null=True, blank=True)
    to_level = models.PositiveSmallIntegerField(_("to level"))
    reason = models.TextField(_("reason"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("changed by"), on_delete=models.PROTECT
    )
    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        verbose_name = _("level change")
        verbose_name_plural = _("level changes")
        ordering = ["changed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.incident.reference}: {self.from_level} → {self.to_level}"


class Obligation(models.Model):
    """Something the policy says must happen because of this incident's level, category or flags.

    ``key`` identifies the rule (e.g. ``notify:csirt_head``), so re-triaging never lists it twice.
    """

    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.PROTECT, related_name="obligations"
    )
    key = models.CharField(_("rule key"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=ObligationKind.choices)
    role_key = models.CharField(_("role"), max_length=50, blank=True)
    text = models.TextField(_("what must happen"))
    basis = models.CharField(_("basis"), max_length=300, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    created_at = models.DateTimeField(_("listed at"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("done by"), null=True, blank=True, on_delete=models.PROTECT
    )
    outcome = models.TextField(_("outcome"), blank=True)
    waived = models.BooleanField(_("not needed"), default=False)

    class Meta:
        verbose_name = _("obligation")
        verbose_name_plural = _("obligations")
        ordering = ["created_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["incident", "key"], name="obligation_unique_key")]

    def __str__(self) -> str:
        return self.text

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


class Action(models.Model):
    """One entry of the response timeline."""

    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.PROTECT, related_name="actions"
    )
    phase = models.CharField(_("phase"), max_length=20, choices=Phase.choices)
    description = models.TextField(_("what was done"))
    taken_at = models.DateTimeField(_("done at"))
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    # An emergency action of the policy (edogawa 基準第27条第1項第2号), done before approval.
    emergency_action = models.CharField(_("emergency action"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        ordering = ["taken_at", "pk"]

    def __str__(self) -> str:
        return self.description[:60]


def evidence_path(instance: "Evidence", filename: str) -> str:
    # Files are stored under their hash, never under a name the uploader chose.
    return f"evidence/{instance.incident.organization_id}/{instance.sha256[:2]}/{instance.sha256}"


class Evidence(models.Model):
    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.PROTECT, related_name="evidence"
    )
    description = models.TextField(_("description"))
    file = models.FileField(_("file"), upload_to=evidence_path, blank=True, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    collected_at = models.DateTimeField(_("collected at"))
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("collected by"), on_delete=models.PROTECT
    )

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["collected_at", "pk"]

    def __str__(self) -> str:
        return self.original_name or self.description[:60]


class CustodyEntry(models.Model):
    evidence = models.ForeignKey(
        Evidence, verbose_name=_("evidence"), on_delete=models.PROTECT, related_name="custody"
    )
    event = models.CharField(_("event"), max_length=20, choices=CustodyEvent.choices)
    holder = models.CharField(_("now held by"), max_length=200)
    note = models.TextField(_("note"), blank=True)
    at = models.DateTimeField(_("at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT
    )

    class Meta:
        verbose_name = _("custody entry")
        verbose_name_plural = _("custody entries")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_event_display()} {self.holder}"


class Task(models.Model):
    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.PROTECT, related_name="tasks"
    )
    title = models.CharField(_("task"), max_length=200)
    details = models.TextField(_("details"), blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incident_tasks",
    )
    assignee_role = models.CharField(_("assigned to role"), max_length=50, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=TaskState.choices, default=TaskState.OPEN)
    result = models.TextField(_("result"), blank=True)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(assignee__isnull=True, assignee_role=""), name="task_has_assignee"
            )
        ]

    def __str__(self) -> str:
        return self.title


class ExternalReport(models.Model):
    """A report owed to an outside body (個人情報保護委員会, 総務省, the prefecture, the police…), with its
    legal clock. Created by the policy's rules (``outside.py``); closure needs each sent or waived."""

    class Status(models.TextChoices):
        DUE = "due", pgettext_lazy("outside report status", "Not yet sent")
        DRAFTED = "drafted", _("Drafted")
        SENT = "sent", pgettext_lazy("outside report status", "Sent")
        WAIVED = "waived", _("Not required (waived)")

    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.PROTECT, related_name="external_reports"
    )
    body_key = models.CharField(_("outside body"), max_length=50)
    body_name = models.CharField(_("outside body name"), max_length=300)
    kind = models.CharField(_("kind"), max_length=50)
    label = models.CharField(_("report"), max_length=100)
    basis = models.CharField(_("basis"), max_length=300, blank=True)
    form = models.CharField(_("form"), max_length=20, default="plain")
    decided_by = models.CharField(_("decided by (role)"), max_length=50, blank=True)
    due_at = models.DateTimeField(_("due"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DUE)
    draft_text = models.TextField(_("draft"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sent_reference = models.CharField(_("reference of the report"), max_length=200, blank=True)
    waived_reason = models.TextField(_("reason it is not required"), blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("listed at"))
    # Reminders and the overdue page are sent by the worker; these say what is left to send.
    reminded = models.JSONField(_("reminders sent"), default=list)
    next_check_at = models.DateTimeField(_("next check"), null=True, blank=True)
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    claimed_by = models.CharField(_("claimed by"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("outside report")
        verbose_name_plural = _("outside reports")
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "body_key", "kind"], name="external_report_unique_kind"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_check_at"],
                condition=models.Q(status__in=["due", "drafted"]),
                name="external_report_due",
            ),
            # The dashboard's watch list: the reports not yet sent, soonest due first.
            models.Index(fields=["status", "due_at"], name="external_report_status_due"),
        ]

    def __str__(self) -> str:
        return f"{self.incident.reference} {self.body_name} {self.label}"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.DUE, self.Status.DRAFTED)


class Approval(models.Model):
    """A decision requested of the role the policy names (komae 第12条: publication is approved by the
    CSIRT責任者). Never decided by the person who requested it (tatebayashi 1(8) 兼務の禁止)."""

    class Subject(models.TextChoices):
        PUBLICATION = "publication", _("Outside reporting and publication")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for a decision")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.PROTECT, related_name="approvals"
    )
    subject = models.CharField(_("subject"), max_length=30, choices=Subject.choices)
    proposal = models.CharField(_("proposal"), max_length=30, choices=PublicationDecision.choices)
    text = models.TextField(_("proposal in words"))
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "subject"],
                condition=models.Q(state="pending"),
                name="approval_one_pending",
            ),
            models.CheckConstraint(
                condition=~models.Q(decided_by=models.F("requested_by")), name="approval_not_by_requester"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.incident.reference} {self.get_subject_display()}"


class IncidentMember(models.Model):
    """A person added by name to a restricted incident (need-to-know beyond the CSIRT roles)."""

    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.PROTECT, related_name="members"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("why they need to know"), max_length=300)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("added by"), on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(_("added at"))

    class Meta:
        verbose_name = _("person with need-to-know")
        verbose_name_plural = _("people with need-to-know")
        constraints = [
            models.UniqueConstraint(fields=["incident", "person"], name="incident_member_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.incident_id}: {self.person}"


class IncidentSearch(models.Model):
    """The texts of an incident and of its reports as character bigrams, for the list's text search
    (``search.py``, docs/adr/0008-japanese-search.md). Derived data, written only by ``search.reindex``.

    On SQLite, triggers copy every change into the FTS5 table ``incidents_search_fts`` (migration 0009).
    A migration that makes SQLite rebuild this table drops those triggers: run
    ``manage.py rebuild_search_index`` after it, which puts them back.
    """

    incident = models.OneToOneField(
        Incident, verbose_name=_("incident"), primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    organization = models.ForeignKey(
        "people.Organization", verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="+"
    )
    grams = models.TextField(_("character bigrams"))

    class Meta:
        verbose_name = _("search text")
        verbose_name_plural = _("search texts")

    def __str__(self) -> str:
        return str(self.incident_id)
