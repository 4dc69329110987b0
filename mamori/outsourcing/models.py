"""Outsourcing contracts and cloud services (業務委託と外部サービス, tatebayashi 8).

8.1(2)①(エ): a contract for work on important information states the security clauses of the policy's
checklist, (オ) with a non-disclosure agreement; 8.1(3)①(イ): compliance is checked periodically; 8.1(4):
at the end, acceptance and the return or erasure of information are confirmed. 8.3(5): the use of a cloud
service is applied for and decided, and the approved service gets a named クラウドサービス管理者.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.people.models import Department, Organization


class ContractState(models.TextChoices):
    ACTIVE = "active", _("In force")
    ENDED = "ended", _("Ended")


class Contract(models.Model):
    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), on_delete=models.PROTECT)
    title = models.CharField(_("work outsourced"), max_length=200)
    vendor = models.CharField(_("vendor"), max_length=200)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    manager = models.ForeignKey(
        "people.User", verbose_name=_("managed by"), on_delete=models.PROTECT, related_name="+"
    )
    systems = models.ManyToManyField(
        "assets.InformationSystem", verbose_name=_("information systems"), blank=True, related_name="+"
    )
    important_information = models.BooleanField(_("handles important information"), default=False)
    nda = models.BooleanField(_("non-disclosure agreement signed"), default=False)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    # {item key: true} for each clause of the policy's contract_items the contract contains.
    clauses = models.JSONField(_("security clauses"), default=dict, blank=True)
    next_check_on = models.DateField(_("next compliance check"))
    # The next_check_on a reminder was sent for, so that each check is recalled once.
    check_reminded_for = models.DateField(_("reminder sent for the check of"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=ContractState.choices, default=ContractState.ACTIVE
    )
    end_checks = models.JSONField(_("end-of-contract checks"), default=dict, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        "people.User", verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("outsourcing contract")
        verbose_name_plural = _("outsourcing contracts")
        ordering = ["next_check_on", "pk"]

    def __str__(self) -> str:
        return f"{self.title}（{self.vendor}）"


class ComplianceCheck(models.Model):
    """8.1(3)①(イ)(ウ): the vendor's compliance checked, the measures taken, reported to the chief."""

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.PROTECT, related_name="checks"
    )
    checked_on = models.DateField(_("checked on"))
    checked_by = models.ForeignKey(
        "people.User", verbose_name=_("checked by"), on_delete=models.PROTECT, related_name="+"
    )
    compliant = models.BooleanField(_("complies"))
    note = models.TextField(_("what was checked"))
    measures = models.TextField(_("measures taken"), blank=True)

    class Meta:
        verbose_name = _("compliance check")
        verbose_name_plural = _("compliance checks")
        ordering = ["-checked_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.contract} {self.checked_on}"


class CloudState(models.TextChoices):
    APPLIED = "applied", _("Applied for")
    APPROVED = "approved", _("Approved for use")
    REJECTED = "rejected", _("Not approved")


class CloudApplication(models.Model):
    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), on_delete=models.PROTECT)
    service = models.CharField(_("cloud service"), max_length=200)
    provider = models.CharField(_("provider"), max_length=200)
    purpose = models.TextField(_("purpose"))
    information = models.TextField(_("information handled"), help_text=_("and its classification"))
    data_location = models.CharField(
        _("where the data is kept"), max_length=200, help_text=_("country or region (8.3(3)⑦(イ))")
    )
    applicant = models.ForeignKey(
        "people.User", verbose_name=_("applicant"), on_delete=models.PROTECT, related_name="+"
    )
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
    applied_at = models.DateTimeField(_("applied at"))
    state = models.CharField(
        _("state"), max_length=10, choices=CloudState.choices, default=CloudState.APPLIED
    )
    decided_by = models.ForeignKey(
        "people.User",
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision"), blank=True)
    # 8.3(5)③: named when the use is approved.
    cloud_manager = models.ForeignKey(
        "people.User",
        verbose_name=_("cloud service manager"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("cloud service application")
        verbose_name_plural = _("cloud service applications")
        ordering = ["-applied_at", "-pk"]

    def __str__(self) -> str:
        return self.service
