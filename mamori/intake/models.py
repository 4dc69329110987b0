"""Reports: one intake each, from any channel (mutsu 第2条第1号ア, komae 第9条)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import Channel


class Report(models.Model):
    organization = models.ForeignKey(
        "people.Organization", verbose_name=_("organisation"), on_delete=models.PROTECT
    )
    reference = models.CharField(_("reference"), max_length=20)
    incident = models.ForeignKey(
        "incidents.Incident", verbose_name=_("incident"), on_delete=models.PROTECT, related_name="reports"
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    received_at = models.DateTimeField(_("received at"))
    discovered_at = models.DateTimeField(_("discovered at"), null=True, blank=True)
    location = models.CharField(_("where"), max_length=300, blank=True)
    description = models.TextField(_("what was found"))
    suspected_cause = models.TextField(_("suspected cause"), blank=True)
    impact_scope = models.TextField(_("impact confirmed so far"), blank=True)
    affected_systems = models.TextField(_("affected systems"), blank=True)
    reporter_name = models.CharField(_("reporter name"), max_length=200, blank=True)
    reporter_contact = models.CharField(_("reporter contact"), max_length=300, blank=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporter (staff)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports_made",
    )
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("logged by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports_logged",
        help_text=_("The PoC clerk who took the call or mail, or the owner of the API token."),
    )
    raw_text = models.TextField(_("original message"), blank=True)
    # The public status link carries a secret token; only its SHA-256 is stored.
    status_token_hash = models.CharField(_("status token hash"), max_length=64, blank=True, db_index=True)
    # HMAC of the sender's address: enough to rate-limit, without keeping the address itself.
    source_key = models.CharField(_("source key"), max_length=64, blank=True, db_index=True)
    message_id = models.CharField(_("message ID"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "reference"], name="report_unique_reference"),
            models.UniqueConstraint(
                fields=["organization", "message_id"],
                condition=~models.Q(message_id=""),
                name="report_unique_message",
            ),
        ]

    def __str__(self) -> str:
        return self.reference


def attachment_path(instance: "Attachment", filename: str) -> str:
    return f"attachments/{instance.report.organization_id}/{instance.sha256[:2]}/{instance.sha256}"


class Attachment(models.Model):
    """A file that came with a report (e.g. a suspicious mail's attachment), kept as evidence."""

    report = models.ForeignKey(
        Report, verbose_name=_("report"), on_delete=models.PROTECT, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name
