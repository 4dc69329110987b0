"""Reviews of the documents the policy names (見直し): who approved which revision when, and when the
next review is due (katsushika 6(2): 年1回以上; 6(3): 承認ルール; tatebayashi 9.3: 毎年度).

The documents themselves are listed in the policy (``reviews.documents``); a revision here is one review
with its approval — a review that changes nothing is recorded too, as “no change”."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.people.models import Organization


class Revision(models.Model):
    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), on_delete=models.PROTECT)
    document_key = models.CharField(_("document"), max_length=50)
    document_title = models.CharField(_("document title"), max_length=200)
    label = models.CharField(
        _("revision"), max_length=100, help_text=_("e.g. 第3版, 令和8年度改訂, or “no change”")
    )
    summary = models.TextField(_("what changed"))
    approved_on = models.DateField(_("approved on"))
    approved_by = models.ForeignKey(
        "people.User", verbose_name=_("approved by"), on_delete=models.PROTECT, related_name="+"
    )
    approval_reference = models.CharField(_("approval record"), max_length=200, blank=True)
    next_due_on = models.DateField(_("next review due"))
    recorded_by = models.ForeignKey(
        "people.User", verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        ordering = ["-approved_on", "-pk"]
        indexes = [models.Index(fields=["organization", "document_key", "-approved_on"])]

    def __str__(self) -> str:
        return f"{self.document_title} {self.label}"


class ReviewReminder(models.Model):
    """A reminder sent, so that it goes once for each due date and day count."""

    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), on_delete=models.PROTECT)
    document_key = models.CharField(_("document"), max_length=50)
    due_on = models.DateField(_("due"))
    days_before = models.IntegerField(_("days before"))
    sent_at = models.DateTimeField(_("sent at"))

    class Meta:
        verbose_name = _("review reminder")
        verbose_name_plural = _("review reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "document_key", "due_on", "days_before"], name="review_reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.document_key} {self.due_on} -{self.days_before}"
