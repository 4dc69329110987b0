"""The register of information systems (情報システム台帳) and the software each one runs.

tatebayashi 2(2)①(イ): each 情報システム管理者 keeps the register of the systems they administer;
2(1): every information asset is classified (機密性・完全性・可用性, or 重要度 I–IV) and handled as its
class requires; 3: the network segment a system sits in (マイナンバー利用事務系 / LGWAN接続系 /
インターネット接続系). The software list is what advisories (6.6) and cross-system checks (5.3(3)③)
are matched against.

A system is never deleted: it is marked out of use, so that incidents and the journal keep pointing at
it. Its history is its journal entries (``system.created``, ``system.changed``, ``system.software_set``).
"""

import unicodedata

from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.people.models import Department, Organization


def product_key(name: str) -> str:
    """How software names are compared: full-width folded, case and spaces ignored
    (“Microsoft  Edge”, “ＭＩＣＲＯＳＯＦＴ ＥＤＧＥ” and “microsoft edge” are one product)."""
    return "".join(unicodedata.normalize("NFKC", name).casefold().split())


class InformationSystem(models.Model):
    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), on_delete=models.PROTECT)
    # 管理番号: what the municipality's own register calls the system; the key of the Excel import.
    code = models.CharField(_("register number"), max_length=30)
    name = models.CharField(_("name"), max_length=200)
    purpose = models.TextField(_("business use"), blank=True)
    owner_department = models.ForeignKey(
        Department,
        verbose_name=_("owner department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    administrator = models.ForeignKey(
        "people.User",
        verbose_name=_("system administrator"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="administered_systems",
    )
    operator = models.ForeignKey(
        "people.User",
        verbose_name=_("system operator"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="operated_systems",
    )
    vendor = models.CharField(_("vendor"), max_length=200, blank=True)
    vendor_contact = models.CharField(_("vendor contact"), max_length=200, blank=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    segment = models.CharField(_("network segment"), max_length=50, blank=True)
    # {axis key: level key} in the policy's classification scheme (policy ``classification``).
    classification = models.JSONField(_("classification"), default=dict, blank=True)
    personal_data = models.BooleanField(_("holds personal data"), default=False)
    personal_data_count = models.PositiveIntegerField(
        _("number of persons in the personal data"), null=True, blank=True
    )
    in_use = models.BooleanField(_("in use"), default=True)
    notes = models.TextField(_("notes"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("information system")
        verbose_name_plural = _("information systems")
        ordering = ["code", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="system_unique_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class SoftwareItem(models.Model):
    """One product a system runs, with its version: what an advisory names."""

    system = models.ForeignKey(
        InformationSystem,
        verbose_name=_("information system"),
        on_delete=models.CASCADE,
        related_name="software",
    )
    product = models.CharField(_("product"), max_length=200)
    publisher = models.CharField(_("publisher"), max_length=200, blank=True)
    version = models.CharField(_("version"), max_length=100, blank=True)
    product_key = models.CharField(_("product key"), max_length=200, db_index=True, editable=False)

    class Meta:
        verbose_name = _("software")
        verbose_name_plural = _("software")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.product} {self.version}".strip()

    def save(self, *args, **kwargs):
        self.product_key = product_key(self.product)
        super().save(*args, **kwargs)

    def as_row(self) -> dict[str, str]:
        return {"product": self.product, "publisher": self.publisher, "version": self.version}


class AffectedSystem(models.Model):
    """A system an incident touches, chosen at triage or later (DESIGN: Incident.affected systems)."""

    incident = models.ForeignKey(
        "incidents.Incident", verbose_name=_("incident"), on_delete=models.PROTECT, related_name="affected"
    )
    system = models.ForeignKey(
        InformationSystem,
        verbose_name=_("information system"),
        on_delete=models.PROTECT,
        related_name="incidents",
    )
    added_at = models.DateTimeField(_("added at"))
    added_by = models.ForeignKey(
        "people.User", verbose_name=_("added by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("affected system")
        verbose_name_plural = _("affected systems")
        ordering = ["system__code", "pk"]
        constraints = [models.UniqueConstraint(fields=["incident", "system"], name="affected_system_unique")]

    def __str__(self) -> str:
        return str(self.system)


class CheckFinding(models.TextChoices):
    PENDING = "pending", _("Not answered yet")
    NOT_AFFECTED = "not_affected", _("Not affected")
    AFFECTED = "affected", _("Affected")


class CrossSystemCheck(models.Model):
    """tatebayashi 5.3(3)③: the CSIRT considers whether the same incident may be happening in another
    system and has that system's 情報システム管理者 check. One row per system asked, with the task that
    asks it and the answer; ``shared`` says what the system has in common with the affected ones."""

    incident = models.ForeignKey(
        "incidents.Incident",
        verbose_name=_("incident"),
        on_delete=models.PROTECT,
        related_name="cross_checks",
    )
    system = models.ForeignKey(
        InformationSystem,
        verbose_name=_("information system"),
        on_delete=models.PROTECT,
        related_name="checks",
    )
    task = models.OneToOneField(
        "incidents.Task", verbose_name=_("task"), on_delete=models.PROTECT, related_name="cross_check"
    )
    # [{"kind": "software" | "vendor" | "segment", "value": "...", "via": "<code of the affected system>"}]
    shared = models.JSONField(_("what it shares with the affected systems"), default=list)
    finding = models.CharField(
        _("finding"), max_length=20, choices=CheckFinding.choices, default=CheckFinding.PENDING
    )

    class Meta:
        verbose_name = _("cross-system check")
        verbose_name_plural = _("cross-system checks")
        ordering = ["system__code", "pk"]
        constraints = [models.UniqueConstraint(fields=["incident", "system"], name="cross_check_unique")]

    def __str__(self) -> str:
        return f"{self.incident} → {self.system}"


class AssetKind(models.TextChoices):
    DATA = "data", _("Electronic data")
    PAPER = "paper", _("Paper documents")
    MEDIUM = "medium", _("Storage media")
    DEVICE = "device", _("Devices and terminals")
    OTHER = "other", _("Other")


class InformationAsset(models.Model):
    """An entry of the 情報資産台帳 that is not a system: a data set, documents, media or devices
    (tatebayashi 2(1)(2): classified, with a 情報セキュリティ管理者 answerable for it, 2(2)①(ア)).
    Systems are in InformationSystem; an asset may sit in one."""

    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), on_delete=models.PROTECT)
    code = models.CharField(_("register number"), max_length=30)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=AssetKind.choices, default=AssetKind.DATA)
    owner_department = models.ForeignKey(
        Department,
        verbose_name=_("owner department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    manager = models.ForeignKey(
        "people.User",
        verbose_name=_("responsible manager"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="managed_assets",
    )
    location = models.CharField(_("where it is kept"), max_length=200, blank=True)
    system = models.ForeignKey(
        InformationSystem,
        verbose_name=_("information system"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assets",
    )
    classification = models.JSONField(_("classification"), default=dict, blank=True)
    personal_data = models.BooleanField(_("holds personal data"), default=False)
    personal_data_count = models.PositiveIntegerField(
        _("number of persons in the personal data"), null=True, blank=True
    )
    in_use = models.BooleanField(_("in use"), default=True)
    notes = models.TextField(_("notes"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("information asset")
        verbose_name_plural = _("information assets")
        ordering = ["code", "pk"]
        constraints = [models.UniqueConstraint(fields=["organization", "code"], name="asset_unique_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"
