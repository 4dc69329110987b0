"""Audits and self-inspections (監査・自己点検), with their findings and improvement plans.

tatebayashi 9.1: audits every fiscal year under a plan the 情報セキュリティ委員会 approves ((3)①), by
auditors independent of the audited department ((2)①); findings are improved under a plan whose progress
is reported ((7)①), and a finding is checked in the other departments where it may also be ((7)②).
9.2: each fiscal year the 統括情報セキュリティ責任者 and 情報システム管理者 inspect their networks and
systems, the 情報セキュリティ責任者 and 管理者 their departments. edogawa 基準第32条.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.people.models import Department, Organization


class AuditPlan(models.Model):
    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), on_delete=models.PROTECT)
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    title = models.CharField(_("title"), max_length=200)
    scope = models.TextField(_("scope and method"))
    drafted_by = models.ForeignKey(
        "people.User", verbose_name=_("drafted by"), on_delete=models.PROTECT, related_name="+"
    )
    approved_on = models.DateField(_("approved on"), null=True, blank=True)
    approval_reference = models.CharField(_("approval record"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("audit plan")
        verbose_name_plural = _("audit plans")
        constraints = [
            models.UniqueConstraint(fields=["organization", "fiscal_year"], name="audit_plan_one_per_year")
        ]

    def __str__(self) -> str:
        return self.title


class ItemResult(models.TextChoices):
    CONFORMS = "conforms", _("Conforms")
    DOES_NOT_CONFORM = "does_not_conform", _("Does not conform")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class Audit(models.Model):
    plan = models.ForeignKey(
        AuditPlan, verbose_name=_("audit plan"), on_delete=models.PROTECT, related_name="audits"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("audited department"), on_delete=models.PROTECT, related_name="+"
    )
    auditor = models.ForeignKey(
        "people.User", verbose_name=_("auditor"), on_delete=models.PROTECT, related_name="+"
    )
    scheduled_on = models.DateField(_("scheduled on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    # [{"key": checklist key, "result": ItemResult, "note": "..."}]
    results = models.JSONField(_("results"), default=list, blank=True)
    summary = models.TextField(_("summary"), blank=True)

    class Meta:
        verbose_name = _("audit")
        verbose_name_plural = _("audits")
        ordering = ["scheduled_on", "pk"]

    def __str__(self) -> str:
        return f"{self.plan.fiscal_year} {self.department}"


class FindingState(models.TextChoices):
    TO_CHECK = "to_check", _("To check in this department")
    OPEN = "open", _("Open")
    IMPROVING = "improving", _("Improvement under way")
    CLOSED = "closed", _("Closed")
    ABSENT = "absent", _("Not present here")


class Finding(models.Model):
    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), on_delete=models.PROTECT)
    audit = models.ForeignKey(
        Audit,
        verbose_name=_("audit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="findings",
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="+"
    )
    item = models.CharField(_("checklist item"), max_length=50, blank=True)
    text = models.TextField(_("finding"))
    # 9.1(7)②: the same finding, to be checked in another department.
    origin = models.ForeignKey(
        "self",
        verbose_name=_("checked because of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="spread",
    )
    state = models.CharField(
        _("state"), max_length=20, choices=FindingState.choices, default=FindingState.OPEN
    )
    improvement_plan = models.TextField(_("improvement plan"), blank=True)
    due_on = models.DateField(_("due"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        "people.User", verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        ordering = ["recorded_at", "pk"]

    def __str__(self) -> str:
        return self.text[:60]


class Progress(models.Model):
    """A progress report on an improvement plan (9.1(7)①: 定期的に進捗状況の報告)."""

    finding = models.ForeignKey(
        Finding, verbose_name=_("finding"), on_delete=models.PROTECT, related_name="progress"
    )
    text = models.TextField(_("progress"))
    reported_by = models.ForeignKey(
        "people.User", verbose_name=_("reported by"), on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField(_("reported at"))

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["reported_at", "pk"]

    def __str__(self) -> str:
        return self.text[:60]


class SelfInspection(models.Model):
    """One fiscal year's self-inspection of a department or of a system (9.2(1))."""

    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), on_delete=models.PROTECT)
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    system = models.ForeignKey(
        "assets.InformationSystem",
        verbose_name=_("information system"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    inspector = models.ForeignKey(
        "people.User", verbose_name=_("inspected by"), on_delete=models.PROTECT, related_name="+"
    )
    done_on = models.DateField(_("done on"))
    results = models.JSONField(_("results"), default=list)
    improvements = models.TextField(_("improvements"), blank=True)

    class Meta:
        verbose_name = _("self-inspection")
        verbose_name_plural = _("self-inspections")
        constraints = [
            models.UniqueConstraint(
                fields=["fiscal_year", "department"],
                condition=models.Q(system__isnull=True),
                name="self_inspection_department_once",
            ),
            models.UniqueConstraint(
                fields=["fiscal_year", "system"],
                condition=models.Q(system__isnull=False),
                name="self_inspection_system_once",
            ),
            models.CheckConstraint(
                condition=models.Q(department__isnull=False) | models.Q(system__isnull=False),
                name="self_inspection_has_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fiscal_year} {self.system or self.department}"
