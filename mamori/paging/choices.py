from django.db import models
from django.utils.translation import gettext_lazy as _


class EscalationState(models.TextChoices):
    OPEN = "open", _("Waiting for acknowledgement")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    # Nobody in the chain acknowledged: the fallback role has been paged and a banner is shown.
    EXHAUSTED = "exhausted", _("Nobody acknowledged")
    CANCELLED = "cancelled", _("Cancelled")


class PageState(models.TextChoices):
    OPEN = "open", _("Waiting")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    EXPIRED = "expired", _("No answer in time")
    SKIPPED = "skipped", _("Skipped (absent)")
    CLOSED = "closed", _("No longer needed")


class Channel(models.TextChoices):
    INBOX = "inbox", _("In-app inbox")
    EMAIL = "email", _("Email")
    WEBHOOK = "webhook", _("Chat webhook")


class DeliveryState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    RETRYING = "retrying", _("Will retry")
    FAILED = "failed", _("Failed")
    # The page was acknowledged or closed before this channel was tried.
    CANCELLED = "cancelled", _("No longer needed")
