"""Policy versions: every file ever loaded, who loaded it and when; one is active per organisation."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PolicyVersion(models.Model):
    organization = models.ForeignKey(
        "people.Organization", verbose_name=_("organisation"), on_delete=models.PROTECT
    )
    version = models.PositiveIntegerField(_("version"))
    source_name = models.CharField(_("source"), max_length=300, help_text=_("Preset name or file name"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    text = models.TextField(_("policy file"))
    document = models.JSONField(_("parsed policy"))
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("loaded by"), null=True, blank=True, on_delete=models.PROTECT
    )
    loaded_by_label = models.CharField(_("loaded by (name)"), max_length=200)
    loaded_at = models.DateTimeField(_("loaded at"))
    is_active = models.BooleanField(_("active"), default=False)

    class Meta:
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        ordering = ["organization", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "version"], name="policy_unique_version"),
            models.UniqueConstraint(
                fields=["organization"], condition=models.Q(is_active=True), name="policy_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} v{self.version}"
