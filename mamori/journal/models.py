"""The journal: an append-only, hash-chained trail of every change of state.

Each entry's hash covers its own content and the previous entry's hash, so altering, removing,
inserting or reordering any entry breaks the chain from that entry on (see ``verify.py``).
``JournalHead`` remembers the last sequence number and hash, so cutting entries off the end is
noticed too.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete a journal entry."""


class JournalEntry(models.Model):
    seq = models.PositiveBigIntegerField(_("sequence number"), unique=True)
    created_at = models.DateTimeField(_("recorded at"))
    organization = models.ForeignKey(
        "people.Organization", verbose_name=_("organisation"), null=True, blank=True, on_delete=models.PROTECT
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True, on_delete=models.PROTECT
    )
    # Kept as text too: the trail must read the same even if the person is later renamed.
    actor_label = models.CharField(_("actor name"), max_length=200)
    action = models.CharField(_("action"), max_length=80)
    object_type = models.CharField(_("object type"), max_length=80)
    object_id = models.CharField(_("object ID"), max_length=64)
    object_label = models.CharField(_("object"), max_length=200, blank=True)
    data = models.JSONField(_("details"), default=dict)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id", "seq"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("journal entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("journal entries cannot be deleted")


class JournalHead(models.Model):
    """A single row: the last entry's sequence number and hash. Locking it serialises appends."""

    last_seq = models.PositiveBigIntegerField(_("last sequence number"), default=0)
    last_hash = models.CharField(_("last hash"), max_length=64)

    class Meta:
        verbose_name = _("journal head")
        verbose_name_plural = _("journal head")

    def __str__(self) -> str:
        return f"#{self.last_seq}"
