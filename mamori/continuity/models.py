"""The ICT business-continuity plan at work (katsushika ICT-BCP 4(2), 5, 6).

An ``Emergency`` is declared (地震 震度6弱, 風水害, 情報セキュリティ事象 …); the policy's convening rules say
who must come. Every member of the division gets a ``RollCallEntry`` — a one-tap link asking whether they
are safe and can come (安否確認, 職員安否確認票（参集予測票）) — sent as ``RollCallNotice`` rows the worker
delivers. The 電算機管理者 is paged through the paging app's escalation (代行者1・2・3 in order); someone who
answers that they cannot come is skipped as if absent. Each system of the register gets a
``RecoveryItem`` (被害・復旧見込みチェックリスト) with the requests made to its vendor (``VendorRequest``).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mamori.paging.models import Outbox

from .choices import (
    AnsweredVia,
    Convening,
    EmergencyState,
    Family,
    Intensity,
    NoticeKind,
    RecoveryStatus,
    Safety,
)


class Emergency(models.Model):
    organization = models.ForeignKey(
        "people.Organization", verbose_name=_("organisation"), on_delete=models.PROTECT
    )
    policy = models.ForeignKey(
        "policy.PolicyVersion", verbose_name=_("policy version"), on_delete=models.PROTECT, related_name="+"
    )
    reference = models.CharField(_("reference"), max_length=20)
    kind = models.CharField(_("kind"), max_length=50)
    kind_label = models.CharField(_("kind"), max_length=100)
    intensity = models.CharField(_("seismic intensity"), max_length=2, choices=Intensity.choices, blank=True)
    headquarters = models.BooleanField(_("disaster headquarters set up"), default=False)
    scope = models.TextField(_("scope and situation"), blank=True)
    occurred_at = models.DateTimeField(_("occurred at"))
    declared_at = models.DateTimeField(_("declared at"))
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("declared by"), on_delete=models.PROTECT, related_name="+"
    )
    # What the convening rule decided, as worked out at declaration: {"convene", "share_percent", "teams",
    # "basis", "members", "required"} — kept, because the policy may change later.
    convening = models.JSONField(_("convening rule applied"), default=dict)
    # A security event is usually also an incident; the board links to it.
    incident = models.ForeignKey(
        "incidents.Incident",
        verbose_name=_("incident"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="emergencies",
    )
    is_drill = models.BooleanField(_("drill"), default=False)
    training_session = models.OneToOneField(
        "training.TrainingSession",
        verbose_name=_("exercise"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="drill_emergency",
    )
    state = models.CharField(
        _("state"), max_length=10, choices=EmergencyState.choices, default=EmergencyState.ACTIVE
    )
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ended by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    end_note = models.TextField(_("note at the end"), blank=True)

    class Meta:
        verbose_name = _("emergency")
        verbose_name_plural = _("emergencies")
        ordering = ["-declared_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "reference"], name="emergency_unique_reference")
        ]
        indexes = [models.Index(fields=["organization", "state"], name="emergency_org_state")]

    def __str__(self) -> str:
        intensity = f" {self.get_intensity_display()}" if self.intensity else ""
        return f"{self.reference} {self.kind_label}{intensity}"

    @property
    def active(self) -> bool:
        return self.state == EmergencyState.ACTIVE


class RollCallEntry(models.Model):
    """One person's 安否確認 in one emergency: asked, reminded, answered."""

    emergency = models.ForeignKey(
        Emergency, verbose_name=_("emergency"), on_delete=models.PROTECT, related_name="rollcall"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.PROTECT, related_name="+"
    )
    # The team key of the policy (bcp.teams), or "" for the command chain outside the teams.
    team = models.CharField(_("team"), max_length=50, blank=True)
    must_convene = models.BooleanField(_("must convene"), default=False)
    # One link per person per emergency, usable without logging in: only its hash is stored; the token is
    # derived from the secret key and the salt (paging.tokens), so a reminder carries the same link.
    token_salt = models.CharField(_("token salt"), max_length=32)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    token_expires_at = models.DateTimeField(_("link expires at"))
    asked_at = models.DateTimeField(_("asked at"))
    reminders = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    next_reminder_at = models.DateTimeField(_("next reminder"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    safety = models.CharField(_("safety"), max_length=20, choices=Safety.choices, blank=True)
    family = models.CharField(_("family"), max_length=20, choices=Family.choices, blank=True)
    convening = models.CharField(_("can convene"), max_length=10, choices=Convening.choices, blank=True)
    arrives_at = models.DateTimeField(_("expected arrival"), null=True, blank=True)
    remote = models.BooleanField(_("can work remotely"), null=True, blank=True)
    message = models.TextField(_("message"), blank=True)
    answered_via = models.CharField(_("answered via"), max_length=10, choices=AnsweredVia.choices, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answer recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # While the person cannot come, paging skips them (paging.Absence); ended with the emergency.
    absence = models.OneToOneField(
        "paging.Absence", verbose_name=_("absence"), null=True, blank=True, on_delete=models.PROTECT
    )

    # Not stored: set by rollcall.board to say whether the person's messages got out.
    reach = ""

    class Meta:
        verbose_name = _("roll-call entry")
        verbose_name_plural = _("roll-call entries")
        ordering = ["emergency", "team", "pk"]
        constraints = [models.UniqueConstraint(fields=["emergency", "person"], name="rollcall_unique_person")]
        indexes = [
            models.Index(
                fields=["next_reminder_at"],
                condition=models.Q(answered_at__isnull=True),
                name="rollcall_reminder_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.emergency.reference}: {self.person}"

    @property
    def answered(self) -> bool:
        return self.answered_at is not None


class RollCallNotice(Outbox):
    """One message of the roll-call on one channel; the worker sends it and keeps what happened."""

    entry = models.ForeignKey(
        RollCallEntry, verbose_name=_("roll-call entry"), on_delete=models.PROTECT, related_name="notices"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=NoticeKind.choices)

    class Meta:
        verbose_name = _("roll-call message")
        verbose_name_plural = _("roll-call messages")
        ordering = ["pk"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(state__in=["queued", "retrying"]),
                name="rollcall_notice_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.entry} [{self.channel}]"


class RecoveryItem(models.Model):
    """One line of 被害・復旧見込みチェックリスト: a system's damage and expected recovery."""

    emergency = models.ForeignKey(
        Emergency, verbose_name=_("emergency"), on_delete=models.PROTECT, related_name="recovery"
    )
    system = models.ForeignKey(
        "assets.InformationSystem", verbose_name=_("information system"), on_delete=models.PROTECT
    )
    # From the policy (bcp.recovery.priorities) and the system's class when the emergency was declared.
    priority = models.PositiveSmallIntegerField(_("recovery priority"))
    priority_label = models.CharField(_("recovery priority"), max_length=100)
    target_hours = models.PositiveIntegerField(_("target recovery time (hours)"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=RecoveryStatus.choices, default=RecoveryStatus.UNCHECKED
    )
    damage = models.TextField(_("damage and measures"), blank=True)
    expected_recovery_at = models.DateTimeField(_("expected recovery"), null=True, blank=True)
    # When it was first found out of "not checked" (the drill's timings read it).
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    recovered_at = models.DateTimeField(_("recovered at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("recovery checklist item")
        verbose_name_plural = _("recovery checklist items")
        ordering = ["emergency", "priority", "system__name", "pk"]
        constraints = [models.UniqueConstraint(fields=["emergency", "system"], name="recovery_unique_system")]

    def __str__(self) -> str:
        return f"{self.emergency.reference}: {self.system}"


class VendorRequest(models.Model):
    """A request for help made to a vendor (katsushika 5(1)イ 保守事業者に復旧へ向けた協力依頼)."""

    item = models.ForeignKey(
        RecoveryItem, verbose_name=_("checklist item"), on_delete=models.PROTECT, related_name="requests"
    )
    vendor = models.CharField(_("vendor"), max_length=200)
    contact = models.CharField(_("vendor contact"), max_length=200, blank=True)
    request = models.TextField(_("what was asked"))
    requested_at = models.DateTimeField(_("requested at"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    response = models.TextField(_("vendor's answer"), blank=True)
    responded_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("request to a vendor")
        verbose_name_plural = _("requests to vendors")
        ordering = ["requested_at", "pk"]

    def __str__(self) -> str:
        return f"{self.item}: {self.vendor}"
