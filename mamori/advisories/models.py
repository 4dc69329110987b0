"""Security advisories (セキュリティ情報) and the checks they start (tatebayashi 6.6(1)(3), 6.4(1)③).

An advisory names products and the versions affected; Mamori matches them against the software of
the register of information systems (assets.SoftwareItem) and asks each matched system's
情報システム管理者 to check and act (update, mitigate, or say why it does not apply), tracking each
answer until the advisory is closed.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.assets.models import product_key
from mamori.people.models import Organization


class Severity(models.TextChoices):
    CRITICAL = "critical", _("Critical")
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")
    NONE = "none", _("Not rated")

    @classmethod
    def of_score(cls, score: float | None) -> str:
        """CVSS v3 qualitative rating."""
        if score is None:
            return cls.NONE
        if score >= 9.0:
            return cls.CRITICAL
        if score >= 7.0:
            return cls.HIGH
        if score >= 4.0:
            return cls.MEDIUM
        return cls.LOW if score > 0 else cls.NONE


SEVERITY_COLOURS = {"critical": "red", "high": "orange", "medium": "yellow", "low": "grey", "none": "grey"}


class AdvisoryState(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Advisory(models.Model):
    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), on_delete=models.PROTECT)
    source = models.CharField(
        _("source"), max_length=100, help_text=_("e.g. JVN, JPCERT/CC, NISC, the vendor")
    )
    title = models.CharField(_("title"), max_length=300)
    summary = models.TextField(_("summary"), blank=True)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, default=Severity.NONE)
    cvss_score = models.DecimalField(_("CVSS score"), max_digits=3, decimal_places=1, null=True, blank=True)
    # CVE-2024-1234, JVNDB-2024-000123, JVN#12345678 …
    identifiers = models.JSONField(_("identifiers"), default=list, blank=True)
    url = models.URLField(_("link"), max_length=500, blank=True)
    published_on = models.DateField(_("published"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=AdvisoryState.choices, default=AdvisoryState.OPEN
    )
    recorded_by = models.ForeignKey(
        "people.User", verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closing_note = models.TextField(_("closing note"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("security advisory")
        verbose_name_plural = _("security advisories")
        ordering = ["-recorded_at", "-pk"]

    def __str__(self) -> str:
        return self.title


class AffectedProduct(models.Model):
    advisory = models.ForeignKey(
        Advisory, verbose_name=_("advisory"), on_delete=models.CASCADE, related_name="products"
    )
    product = models.CharField(_("product"), max_length=200)
    vendor = models.CharField(_("publisher"), max_length=200, blank=True)
    versions = models.CharField(
        _("affected versions"), max_length=500, blank=True, help_text=_("Empty: every version.")
    )
    product_key = models.CharField(_("product key"), max_length=200, db_index=True, editable=False)

    class Meta:
        verbose_name = _("affected product")
        verbose_name_plural = _("affected products")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.product} {self.versions}".strip()

    def save(self, *args, **kwargs):
        self.product_key = product_key(self.product)
        super().save(*args, **kwargs)


class CheckState(models.TextChoices):
    OPEN = "open", _("To check")
    UPDATED = "updated", _("Updated")
    MITIGATED = "mitigated", _("Mitigated otherwise")
    NOT_AFFECTED = "not_affected", _("Not affected")
    ACCEPTED = "accepted", _("Risk accepted")

    @classmethod
    def answers(cls) -> list[str]:
        return [cls.UPDATED, cls.MITIGATED, cls.NOT_AFFECTED, cls.ACCEPTED]


class AdvisoryCheck(models.Model):
    """One matched system: its administrator checks the software and says what was done."""

    advisory = models.ForeignKey(
        Advisory, verbose_name=_("advisory"), on_delete=models.PROTECT, related_name="checks"
    )
    system = models.ForeignKey(
        "assets.InformationSystem",
        verbose_name=_("information system"),
        on_delete=models.PROTECT,
        related_name="advisory_checks",
    )
    software = models.CharField(_("software as registered"), max_length=300)
    affected_versions = models.CharField(_("affected versions"), max_length=500, blank=True)
    version_unknown = models.BooleanField(_("version could not be compared"), default=False)
    assignee = models.ForeignKey(
        "people.User",
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assignee_role = models.CharField(_("assigned to role"), max_length=50, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=CheckState.choices, default=CheckState.OPEN)
    note = models.TextField(_("what was done"), blank=True)
    answered_by = models.ForeignKey(
        "people.User",
        verbose_name=_("answered by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    due_on = models.DateField(_("due"), null=True, blank=True)

    class Meta:
        verbose_name = _("advisory check")
        verbose_name_plural = _("advisory checks")
        ordering = ["system__code", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["advisory", "system", "software"], name="advisory_check_unique")
        ]

    def __str__(self) -> str:
        return f"{self.advisory} → {self.system}"
