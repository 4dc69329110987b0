"""Counters for rate limits, kept in the database so that every web process shares them."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RateWindow(models.Model):
    """How many times ``key`` (e.g. a hashed client address, or a token) was used in one window."""

    key = models.CharField(_("key"), max_length=100)
    window = models.BigIntegerField(_("window"), help_text=_("Start of the window, in seconds since 1970."))
    count = models.PositiveIntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("rate window")
        verbose_name_plural = _("rate windows")
        constraints = [models.UniqueConstraint(fields=["key", "window"], name="rate_window_unique")]
        indexes = [models.Index(fields=["window"])]

    def __str__(self) -> str:
        return f"{self.key} @{self.window}: {self.count}"
