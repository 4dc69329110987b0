"""API tokens: only a hash is stored; the token itself is shown once when created."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# What a token may be used for. An integration gets only what it needs: a mail gateway or a SIEM that
# files reports needs ``reports:write``, a dashboard ``incidents:read``.
SCOPES = {
    "reports:write": _("File reports"),
    "incidents:read": _("Read incidents"),
    "incidents:write": _("Change incidents (triage, actions, evidence, transitions)"),
}


def default_scopes() -> list[str]:
    return ["reports:write"]


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.PROTECT)
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(
        _("prefix"), max_length=12, help_text=_("First characters, to tell tokens apart.")
    )
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    scopes = models.JSONField(
        _("scopes"), default=default_scopes, help_text=_("What the token may be used for.")
    )

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
