"""Training and exercises (研修・訓練): the yearly plan and its approval, the sessions held, who
attended, and the exercises run as drill incidents through the real workflow.

tatebayashi 5.2(2)①: the CISO drafts the plan for all staff and has the 情報セキュリティ委員会 approve it;
③: sessions by role; ④: attendance recorded per department; ⑤⑥: reports to the CISO and the committee;
5.2(3): emergency-response exercises. komae 第13条; katsushika 6(4): 机上訓練, 緊急連絡・安否確認訓練,
システム復旧訓練, each yearly.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.people.models import Organization

# A session of this kind is a training course; any other kind is one of the policy's exercises.
COURSE = "course"


class TrainingPlan(models.Model):
    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), on_delete=models.PROTECT)
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    title = models.CharField(_("title"), max_length=200)
    content = models.TextField(_("plan"))
    drafted_by = models.ForeignKey(
        "people.User", verbose_name=_("drafted by"), on_delete=models.PROTECT, related_name="+"
    )
    drafted_at = models.DateTimeField(_("drafted at"))
    approved_on = models.DateField(_("approved on"), null=True, blank=True)
    approval_reference = models.CharField(_("approval record"), max_length=200, blank=True)
    approval_recorded_by = models.ForeignKey(
        "people.User",
        verbose_name=_("approval recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("training plan")
        verbose_name_plural = _("training plans")
        ordering = ["-fiscal_year"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "fiscal_year"], name="training_plan_one_per_year")
        ]

    def __str__(self) -> str:
        return self.title


class TrainingSession(models.Model):
    organization = models.ForeignKey(Organization, verbose_name=_("organisation"), on_delete=models.PROTECT)
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    kind = models.CharField(
        _("kind"), max_length=50, help_text=_("course, or the key of one of the policy's exercises")
    )
    title = models.CharField(_("title"), max_length=200)
    audience = models.CharField(_("for whom"), max_length=200, blank=True)
    held_on = models.DateField(_("held on"))
    minutes = models.PositiveIntegerField(_("length in minutes"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # An exercise run through the real workflow: its incident is flagged is_drill and left out of the
    # statistics, and its timings are read from it.
    drill_incident = models.OneToOneField(
        "incidents.Incident",
        verbose_name=_("drill incident"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="training_session",
    )
    recorded_by = models.ForeignKey(
        "people.User", verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return self.title


class Attendance(models.Model):
    session = models.ForeignKey(
        TrainingSession, verbose_name=_("session"), on_delete=models.CASCADE, related_name="attendance"
    )
    person = models.ForeignKey(
        "people.User", verbose_name=_("person"), on_delete=models.PROTECT, related_name="training_attendance"
    )

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [models.UniqueConstraint(fields=["session", "person"], name="attendance_unique")]

    def __str__(self) -> str:
        return f"{self.session}: {self.person}"
