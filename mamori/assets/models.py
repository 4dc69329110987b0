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
