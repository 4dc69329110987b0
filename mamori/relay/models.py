"""What the relay on the internet-facing segment keeps (MAMORI_RELAY_ONLY=true, its own database).

Only what a link needs to be answered from a phone: the hash of the link's token, a line saying what it is
about (an emergency's kind — never an incident's content), whom it is for, and until when it works. The
answers wait here until the main instance's worker collects them, then are deleted. The main instance
replaces the whole set of links at every sync, so a link of an ended emergency disappears here too.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class LinkKind(models.TextChoices):
    ROLLCALL = "rollcall", _("Safety roll-call")
    ACK = "ack", _("Acknowledgement")


class RelayLink(models.Model):
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=LinkKind.choices)
    title = models.CharField(_("what it is about"), max_length=300)
    recipient = models.CharField(_("for"), max_length=200)
    must_convene = models.BooleanField(_("must convene"), default=False)
    is_drill = models.BooleanField(_("drill"), default=False)
    expires_at = models.DateTimeField(_("link expires at"))

    class Meta:
        verbose_name = _("relayed link")
        verbose_name_plural = _("relayed links")

    def __str__(self) -> str:
        return f"{self.kind}: {self.title}"


class RelayAnswer(models.Model):
    """An answer given on the relay, waiting to be collected. Not tied to its link: the link may be
    replaced (or gone, the emergency ended) before the main instance collects what was answered."""

    token_hash = models.CharField(_("token hash"), max_length=64)
    kind = models.CharField(_("kind"), max_length=10, choices=LinkKind.choices)
    payload = models.JSONField(_("answer"), default=dict)
    received_at = models.DateTimeField(_("received at"))

    class Meta:
        verbose_name = _("relayed answer")
        verbose_name_plural = _("relayed answers")
        ordering = ["received_at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.received_at:%Y-%m-%d %H:%M}"
