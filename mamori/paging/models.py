"""Paging: who must acknowledge what, by when, and every attempt to reach them.

An ``Escalation`` is one duty to tell a role something (komae 第10条第2項: tell the CSIRT責任者). It
pages the role's people one at a time — the holder, then the deputies in order (katsushika
5(1)ア 代行者1→2→3) — each ``Page`` with its own deadline; each page is sent on several channels,
each attempt a ``Delivery``. The worker claims due rows (``claims.py``), so a crash loses nothing.
"""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import Channel, DeliveryState, EscalationState, PageState


class Escalation(models.Model):
    # What the people are told about: an incident, or an emergency of the business-continuity plan (its
    # command chain, katsushika 5(1)ア(ウ)). Exactly one of the two.
    incident = models.ForeignKey(
        "incidents.Incident",
        verbose_name=_("incident"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="escalations",
    )
    emergency = models.ForeignKey(
        "continuity.Emergency",
        verbose_name=_("emergency"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="escalations",
    )
    obligation = models.ForeignKey(
        "incidents.Obligation", verbose_name=_("obligation"), null=True, blank=True, on_delete=models.PROTECT
    )
    key = models.CharField(_("rule key"), max_length=100)
    role_key = models.CharField(_("role"), max_length=50)
    text = models.TextField(_("what they must be told"))
    basis = models.CharField(_("basis"), max_length=300, blank=True)
    ack_minutes = models.PositiveIntegerField(_("minutes to acknowledge"))
    state = models.CharField(
        _("state"), max_length=20, choices=EscalationState.choices, default=EscalationState.OPEN
    )
    # The chain as it was worked out when the escalation began: user ids in paging order.
    chain = models.JSONField(_("people in order"), default=list)
    step = models.PositiveSmallIntegerField(_("current step"), default=0)
    created_at = models.DateTimeField(_("created at"))
    next_check_at = models.DateTimeField(_("next check"), null=True, blank=True)
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    claimed_by = models.CharField(_("claimed by"), max_length=40, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "key"], name="escalation_unique_key"),
            models.UniqueConstraint(fields=["emergency", "key"], name="escalation_unique_emergency_key"),
            models.CheckConstraint(
                condition=models.Q(incident__isnull=False, emergency__isnull=True)
                | models.Q(incident__isnull=True, emergency__isnull=False),
                name="escalation_one_subject",
            ),
        ]
        indexes = [
            # The worker's question: which open escalations are due?
            models.Index(fields=["next_check_at"], condition=models.Q(state="open"), name="escalation_due"),
            # The banner and the dashboard: chains nobody acknowledged, among a million finished ones.
            models.Index(fields=["state", "next_check_at"], name="escalation_state_check"),
        ]

    def __str__(self) -> str:
        return f"{self.subject.reference}: {self.role_key}"

    @property
    def subject(self) -> Any:
        """The incident or the emergency; both have ``reference``, ``organization`` and ``policy``."""
        return self.incident if self.incident_id else self.emergency

    def subject_data(self) -> dict[str, str]:
        """How the journal names what this escalation is about."""
        subject = self.subject
        return {"incident" if self.incident_id else "emergency": subject.reference}


class Page(models.Model):
    escalation = models.ForeignKey(
        Escalation, verbose_name=_("escalation"), on_delete=models.PROTECT, related_name="pages"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.PROTECT, related_name="pages"
    )
    # The holder this person stands in for, when they are a deputy (journaled as "X acted for Y").
    acting_for = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acting for"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    step = models.PositiveSmallIntegerField(_("step"))
    is_fallback = models.BooleanField(_("fallback"), default=False)
    state = models.CharField(_("state"), max_length=20, choices=PageState.choices, default=PageState.OPEN)
    paged_at = models.DateTimeField(_("paged at"))
    deadline = models.DateTimeField(_("acknowledge by"))
    # One-time acknowledgement link: only the hash is stored.
    # The link's token is derived from the secret key and this salt (tokens.py), so a retried
    # delivery can carry it again; the database alone cannot make a valid link.
    token_salt = models.CharField(_("token salt"), max_length=32)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    token_expires_at = models.DateTimeField(_("link expires at"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)

    class Meta:
        verbose_name = _("page")
        verbose_name_plural = _("pages")
        ordering = ["paged_at", "pk"]
        # Every page a person sees counts their open pages (the inbox badge); a CSIRT manager of a large
        # organisation is paged hundreds of thousands of times in ten years, nearly all acknowledged.
        indexes = [models.Index(fields=["recipient", "state"], name="page_recipient_state")]

    def __str__(self) -> str:
        return f"{self.escalation} → {self.recipient}"


class Outbox(models.Model):
    """A message to send on one channel, claimed and tried by the worker with backoff (delivery.py):
    a page's ``Delivery``, and an emergency's roll-call message (continuity.RollCallNotice)."""

    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    state = models.CharField(
        _("state"), max_length=20, choices=DeliveryState.choices, default=DeliveryState.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    claimed_by = models.CharField(_("claimed by"), max_length=40, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    # Sent with webhooks so that a receiver can drop a repeat after a worker crash.
    idempotency_key = models.CharField(_("idempotency key"), max_length=64, unique=True)

    class Meta:
        abstract = True


class Delivery(Outbox):
    page = models.ForeignKey(
        Page, verbose_name=_("page"), on_delete=models.PROTECT, related_name="deliveries"
    )

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["pk"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(state__in=["queued", "retrying"]),
                name="delivery_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.page} [{self.channel}]"


class DeliveryAttempt(models.Model):
    """Each try on each channel, kept with its outcome (what an auditor asks after a silent night)."""

    delivery = models.ForeignKey(
        Delivery, verbose_name=_("delivery"), on_delete=models.PROTECT, related_name="tries"
    )
    at = models.DateTimeField(_("at"))
    ok = models.BooleanField(_("succeeded"))
    permanent = models.BooleanField(_("permanent failure"), default=False)
    detail = models.TextField(_("detail"), blank=True)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.delivery} {'ok' if self.ok else 'failed'}"


class InboxMessage(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.PROTECT, related_name="inbox"
    )
    page = models.ForeignKey(Page, verbose_name=_("page"), null=True, blank=True, on_delete=models.PROTECT)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("inbox message")
        verbose_name_plural = _("inbox messages")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.subject


class Absence(models.Model):
    """A declared absence (leave, business trip): the person is skipped when paged in that time."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.PROTECT, related_name="absences"
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("declared at"))

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="absence_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person}: {self.starts_at:%Y-%m-%d} – {self.ends_at:%Y-%m-%d}"
