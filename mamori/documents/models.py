"""An organisation's own Word template for one kind of document (its letterhead, its wording).

Each upload is kept (who, when, SHA-256), so which template produced a past document can be told;
only the latest active one is used. Without one, Mamori's own template (default_templates.py) is used.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def template_path(instance: "DocumentTemplate", filename: str) -> str:
    return f"document-templates/{instance.organization_id}/{instance.kind}-{instance.sha256}.docx"


class DocumentTemplate(models.Model):
    organization = models.ForeignKey(
        "people.Organization", verbose_name=_("organisation"), on_delete=models.PROTECT
    )
    kind = models.CharField(_("document"), max_length=30)
    file = models.FileField(_("file"), upload_to=template_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    active = models.BooleanField(_("in use"), default=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        verbose_name = _("document template")
        verbose_name_plural = _("document templates")
        ordering = ["kind", "-uploaded_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kind"],
                condition=models.Q(active=True),
                name="document_template_one_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.original_name}"
