from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mamori.policy.schema_bcp import INTENSITIES


class Intensity(models.TextChoices):
    """気象庁震度階級. The order of ``INTENSITIES`` is the order of the scale."""

    I0 = "0", _("Intensity 0")
    I1 = "1", _("Intensity 1")
    I2 = "2", _("Intensity 2")
    I3 = "3", _("Intensity 3")
    I4 = "4", _("Intensity 4")
    I5L = "5-", _("Intensity 5 lower")
    I5U = "5+", _("Intensity 5 upper")
    I6L = "6-", _("Intensity 6 lower")
    I6U = "6+", _("Intensity 6 upper")
    I7 = "7", _("Intensity 7")


def at_least(intensity: str, threshold: str) -> bool:
    return INTENSITIES.index(intensity) >= INTENSITIES.index(threshold)


class EmergencyState(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("emergency", "In force")
    ENDED = "ended", pgettext_lazy("emergency", "Ended")


class Safety(models.TextChoices):
    SAFE = "safe", _("Safe")
    INJURED = "injured", _("Slightly injured")
    SERIOUSLY_INJURED = "seriously_injured", _("Seriously injured")


class Family(models.TextChoices):
    SAFE = "safe", _("Family safe")
    AFFECTED = "affected", _("Family injured or home damaged")
    UNKNOWN = "unknown", _("Not yet known")


class Convening(models.TextChoices):
    NOW = "now", _("Can come now")
    LATER = "later", _("Can come later")
    CANNOT = "cannot", _("Cannot come")


class AnsweredVia(models.TextChoices):
    LINK = "link", _("Link in the message")
    APP = "app", _("Logged in")
    RELAY = "relay", _("Link, through the internet-facing relay")
    PROXY = "proxy", _("Recorded by someone else (phone call)")


class NoticeKind(models.TextChoices):
    FIRST = "first", _("First message")
    REMINDER = "reminder", _("Reminder")


class RecoveryStatus(models.TextChoices):
    UNCHECKED = "unchecked", _("Not checked")
    DAMAGED = "damaged", _("Damaged")
    INTERIM = "interim", _("Running on interim measures")
    RECOVERED = "recovered", _("Recovered")
    UNAFFECTED = "unaffected", _("No damage")
