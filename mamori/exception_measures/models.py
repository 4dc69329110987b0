"""例外措置 (tatebayashi 7.4): a rule of the security policy not followed, for a reason, until a date,
with compensating measures; approved by the CISO (7.4(1)), or taken first in an emergency and reported
afterwards (7.4(2)); the applications and decisions kept as a register (7.4(3)).

Rules of who may apply and decide, and the deadlines, are in the policy (``exception_measures``).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mamori.people.models import Department, Organization


class MeasureState(models.TextChoices):
    APPLIED = "applied", _("Applied for")
    REPORTED = "reported", _("Taken in an emergency, reported")
    APPROVED = "approved", pgettext_lazy("exception measure", "Approved")
    REJECTED = "rejected", pgettext_lazy("exception measure", "Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    ENDED = "ended", _("Ended")

    @classmethod
    def awaiting_decision(cls) -> list[str]:
        return [cls.APPLIED, cls.REPORTED]


STATE_COLOURS: dict[str, str] = {
    MeasureState.APPLIED: "blue",
    MeasureState.REPORTED: "orange",
    MeasureState.APPROVED: "green",
    MeasureState.REJECTED: "red",
    MeasureState.WITHDRAWN: "grey",
    MeasureState.ENDED: "grey",
}


class ExceptionMeasure(models.Model):
    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), on_delete=models.PROTECT)
    number = models.PositiveIntegerField(_("number"))
    applicant = models.ForeignKey(
        "people.User",
        verbose_name=_("applicant"),
        on_delete=models.PROTECT,
        related_name="exception_measures",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    rule = models.CharField(_("rule not followed"), max_length=300)
    measure = models.TextField(_("what is done instead"))
    reason = models.TextField(_("reason"))
    compensating = models.TextField(_("compensating measures"))
    systems = models.ManyToManyField(
        "assets.InformationSystem", verbose_name=_("information systems"), blank=True, related_name="+"
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    emergency = models.BooleanField(_("taken in an emergency"), default=False)
    acted_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    report_due_at = models.DateTimeField(_("report due"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=MeasureState.choices)
    decided_by = models.ForeignKey(
        "people.User",
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision"), blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    end_note = models.TextField(_("how it ended"), blank=True)
    # The day counts of remind_days_before_end already sent, so that a reminder goes once.
    reminded_days = models.JSONField(_("reminders sent"), default=list, blank=True)
    created_at = models.DateTimeField(_("applied at"))
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("exception measure")
        verbose_name_plural = _("exception measures")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "number"], name="exception_measure_unique_number"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="exception_measure_period"
            ),
        ]
        indexes = [models.Index(fields=["state", "ends_on"])]

    def __str__(self) -> str:
        return f"{self.number}: {self.rule}"

    @property
    def late_report(self) -> bool:
        """An emergency measure reported after its deadline (7.4(2): 事後速やかに)."""
        return bool(self.emergency and self.report_due_at and self.created_at > self.report_due_at)
